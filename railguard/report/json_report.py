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

import json
from typing import Any

from railguard.model import Finding, RunResult
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


def to_dict(run: RunResult) -> dict[str, Any]:
    refs = finding_refs(run)
    irefs = item_refs(run)
    return {
        "kind": run.kind,
        "started_at": run.started_at,
        "duration_s": run.duration_s,
        "accounts": run.accounts,
        "regions": run.regions,
        "frameworks": [{"id": f.id, "title": f.title, "version": f.version} for f in run.frameworks],
        "summary": {f.id: run.counts(run.items_of(f.id)) for f in run.frameworks},
        "items": [
            {
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
            for i in run.items
        ],
        "findings": [_finding(f, refs) for f in failed_findings(run)],
        "gaps": [{"type": g.type, "account": g.account, "region": g.region, "reason": g.reason} for g in run.gaps],
        "api_calls": {"total": run.api_call_total, "by_operation": dict(sorted(run.api_calls.items()))},
        "errors": run.errors,
        "meta": jsonable(run.meta),
    }


def render(run: RunResult) -> str:
    return json.dumps(to_dict(run), indent=2, default=str, ensure_ascii=False) + "\n"
