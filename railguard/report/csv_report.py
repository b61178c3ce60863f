"""CSV report: one row per (framework item x offender), one row for an item without offenders.

Columns, in this order (stable; new columns are only ever appended):

| column | meaning |
|---|---|
| framework | framework id (`cis-aws-foundations-3.0`) |
| item_id, title, section, level | the framework item |
| assessment | what the framework says: automated or manual |
| result | the item's result (PASS, FAIL, UNKNOWN, MANUAL, SUPPRESSED) |
| severity | the item's severity (highest of its controls), empty for manual items |
| control_id | the control that produced the offender (empty on an item row without offender) |
| finding_result | the offender's own result: FAIL, UNKNOWN, ERROR or SUPPRESSED |
| account, region | where a live resource is |
| file, line | where a template resource is |
| resource_type, resource_id, resource_name, arn | the offending resource |
| reason | why the offender fails / is unknown; on an item row, the item's reason or guidance |
| evidence | the offending values as compact JSON (keys sorted) |
| suppressed_by | the exception or ignore covering a SUPPRESSED offender |
| fingerprint | the finding's stable fingerprint (control, account, region, resource) |
| note | the framework's note on the item |

Offenders are the FAIL/UNKNOWN/ERROR findings of an item, then its SUPPRESSED ones (a
suppression is reported, never dropped). A run without framework items (an IaC scan of controls
only) has one row per non-PASS finding with the item columns empty.

Cells starting with `=`, `+`, `-`, `@`, tab or carriage return get a leading `'` so a
spreadsheet shows them as text instead of evaluating them (CSV injection).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from railguard.model import Finding, ItemResult, RunResult
from railguard.report._common import compact_json, failed_findings, suppressed

COLUMNS = [
    "framework", "item_id", "title", "section", "level", "assessment", "result", "severity",
    "control_id", "finding_result", "account", "region", "file", "line",
    "resource_type", "resource_id", "resource_name", "arn",
    "reason", "evidence", "suppressed_by", "fingerprint", "note",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell's text, neutralized when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _item_cols(i: ItemResult) -> dict[str, Any]:
    return {
        "framework": i.framework, "item_id": i.id, "title": i.title, "section": i.section,
        "level": i.level, "assessment": i.assessment, "result": i.result.value,
        "severity": i.severity.value if i.severity else "", "note": i.note,
    }


def _finding_cols(f: Finding) -> dict[str, Any]:
    return {
        "control_id": f.control_id, "finding_result": f.result.value, "account": f.account,
        "region": f.region, "file": f.origin.file, "line": f.origin.line,
        "resource_type": f.resource_type, "resource_id": f.resource_id,
        "resource_name": f.resource_name, "arn": f.arn, "reason": f.reason,
        "evidence": compact_json(dict(f.evidence)) if f.evidence else "",
        "suppressed_by": f.suppressed_by, "fingerprint": f.fingerprint,
    }


def rows(run: RunResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not run.items:
        for f in failed_findings(run):
            out.append({"title": f.title, "severity": f.severity.value, **_finding_cols(f)})
        return out
    for i in run.items:
        base = _item_cols(i)
        offenders = i.offenders + suppressed(i)
        if not offenders:
            out.append({**base, "reason": i.reason})
        for f in offenders:
            out.append({**base, **_finding_cols(f)})
    return out


def render(run: RunResult) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in rows(run):
        writer.writerow({c: safe_cell(row.get(c)) for c in COLUMNS})
    return buf.getvalue()
