"""Full JSON report: every framework item with its result, offenders and the run's gaps.

Shape (stable; new keys may be added, none removed):

- `kind`, `started_at`, `duration_s`, `accounts`, `regions`, `frameworks` [{id, title, version}]
- `summary`: {framework id: {PASS: n, FAIL: n, UNKNOWN: n, MANUAL: n, SUPPRESSED: n, ERROR: n}}
- `items`: one per framework item: `framework`, `id`, `title`, `section`, `level`, `assessment`,
  `result`, `severity`, `controls`, `note`, `reason` (why UNKNOWN, MANUAL guidance),
  `offenders` (FAIL/UNKNOWN/ERROR findings), `suppressed` (SUPPRESSED findings, with
  `suppressed_by`), `checked` (findings evaluated), `refs` (items of other frameworks in this
  run that share a control, as `framework:item`)
- each finding: `Finding.to_dict()` (control_id, title, severity, result, resource_type,
  resource_id, resource_name, arn, account, region, file, line, reason, evidence, remediation,
  suppressed_by, fingerprint) plus `items`: every `framework:item` of the run it serves
- `findings`: every non-PASS finding of the run once (the same dicts), which is also what an
  IaC run without framework items reports
- `gaps`, `api_calls` {total, by_operation}, `errors`, `meta`
"""

from __future__ import annotations

import io
import json
from typing import Any, TextIO

import orjson

from railguard.model import Finding, ItemResult, RunResult
from railguard.report._common import (
    failed_findings,
    finding_key,
    finding_refs,
    item_ref,
    item_refs,
    jsonable,
    suppressed,
)


def _finding(f: Finding, refs: dict[tuple[str, str, str], list[str]]) -> dict[str, Any]:
    d = f.to_dict()
    d["evidence"] = jsonable(d["evidence"])
    d["items"] = refs.get(finding_key(f), [])
    return d


def _item(i: ItemResult, refs: dict[tuple[str, str, str], list[str]], irefs: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "framework": i.framework,
        "id": i.id,
        "title": i.title,
        "section": i.section,
        "level": i.level,
        "assessment": i.assessment,
        "result": i.result.value,
        "severity": i.severity.value if i.severity else None,
        "controls": i.controls,
        "note": i.note,
        "reason": i.reason,
        "offenders": [_finding(f, refs) for f in i.offenders],
        "suppressed": [_finding(f, refs) for f in suppressed(i)],
        "checked": len(i.findings),
        "refs": irefs.get(item_ref(i), []),
    }


def _head(run: RunResult) -> dict[str, Any]:
    return {
        "kind": run.kind,
        "started_at": run.started_at,
        "duration_s": run.duration_s,
        "accounts": run.accounts,
        "regions": run.regions,
        "frameworks": [{"id": f.id, "title": f.title, "version": f.version} for f in run.frameworks],
        "summary": {f.id: run.counts(run.items_of(f.id)) for f in run.frameworks},
    }


def _tail(run: RunResult) -> dict[str, Any]:
    return {
        "gaps": [{"type": g.type, "account": g.account, "region": g.region, "reason": g.reason} for g in run.gaps],
        "api_calls": {"total": run.api_call_total, "by_operation": dict(sorted(run.api_calls.items()))},
        "errors": run.errors,
        "meta": jsonable(run.meta),
    }


def to_dict(run: RunResult) -> dict[str, Any]:
    refs = finding_refs(run)
    irefs = item_refs(run)
    return {
        **_head(run),
        "items": [_item(i, refs, irefs) for i in run.items],
        "findings": [_finding(f, refs) for f in failed_findings(run)],
        **_tail(run),
    }


# dates and dataclasses go through `default=str` as they did with `json`, not orjson's own forms
_ORJSON_OPTS = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(value: Any, level: int) -> str:
    """`value` as indented JSON nested `level` deep (JSON strings hold no raw newline).

    orjson writes the same text as `json.dumps(indent=2, ensure_ascii=False)` about 20 times faster
    (a 50,000-resource template's report is 200 MB); what it refuses (integers beyond 64 bits,
    non-string keys) goes through `json`."""
    try:
        text = orjson.dumps(value, default=str, option=_ORJSON_OPTS).decode()
    except TypeError:
        text = json.dumps(value, indent=2, default=str, ensure_ascii=False)
    return text.replace("\n", "\n" + "  " * level) if level else text


def write(run: RunResult, out: TextIO) -> None:
    """The report written piece by piece: one item or finding in memory at a time, never the
    whole document (a large IaC scan's report is hundreds of megabytes)."""
    refs = finding_refs(run)
    irefs = item_refs(run)
    out.write("{\n")
    for key, value in _head(run).items():
        out.write(f"  {json.dumps(key)}: {_dumps(value, 1)},\n")
    for key, rows in (("items", (_item(i, refs, irefs) for i in run.items)),
                      ("findings", (_finding(f, refs) for f in failed_findings(run)))):
        out.write(f"  {json.dumps(key)}: [")
        sep = "\n"
        for row in rows:
            out.write(f"{sep}    {_dumps(row, 2)}")
            sep = ",\n"
        out.write("\n  ],\n" if sep != "\n" else "],\n")
    tail = list(_tail(run).items())
    for n, (key, value) in enumerate(tail):
        out.write(f"  {json.dumps(key)}: {_dumps(value, 1)}{',' if n < len(tail) - 1 else ''}\n")
    out.write("}\n")


def render(run: RunResult) -> str:
    buf = io.StringIO()
    write(run, buf)
    return buf.getvalue()
