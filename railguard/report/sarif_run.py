"""SARIF 2.1.0 for a run (live scan or IaC scan): what code-scanning UIs and CI annotations read.

Built on the generic builder of `railguard.report.sarif` (shared with the secrets scanner).

Shape:

- one `run` whose `tool.driver` is railguard, with one rule per control that produced a
  finding: `id` = control id, `shortDescription` = control title, `help` = the control's fix
  hint, `defaultConfiguration.level` from its severity, and `properties`:
  `security-severity` (critical 9.5, high 8.0, medium 5.5, low 3.0, info 0.0, the scale GitHub
  code scanning reads), `severity`, `tags` (`security` and every `framework:item` it serves)
- one result per FAIL, UNKNOWN, ERROR or SUPPRESSED finding (PASS and MANUAL are not results):
  - FAIL: `kind` "fail", `level` from severity (critical/high error, medium warning, low/info note)
  - ERROR (broken input): `kind` "fail", `level` "error"
  - UNKNOWN (could not be assessed): `kind` "open", `level` "none" (SARIF requires level none
    for a kind other than fail); the message says why
  - SUPPRESSED: as FAIL, plus `suppressions: [{kind, status: "accepted", justification: <the
    exception or ignore>}]`, `kind` "inSource" for an inline ignore (`suppressed_by` starting
    with "inline"), "external" for an exception or a baseline
- location: a template finding has a `physicalLocation` (artifact `uri` = the file path as
  given, `region.startLine` when the line is known); every finding has a `logicalLocation`
  (`name` = resource id, `fullyQualifiedName` = ARN, or `account/region/type/id` for a live
  resource and `file#id` for a template one, `kind` "resource")
- `partialFingerprints["railguard/v1"]` = the finding's stable fingerprint
- `properties` of a result: `result`, `resource_type`, `resource_id`, `account`, `region`,
  `evidence`, `items` (framework items it serves)
- `invocations[0]`: `executionSuccessful` false when the run has errors; run errors and gaps
  as `toolExecutionNotifications`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import railguard
from railguard.model import Finding, Result, RunResult
from railguard.report._common import failed_findings, finding_key, finding_refs, jsonable
from railguard.report.sarif import level_for, sarif_log, sarif_result, sarif_rule

FINGERPRINT_KEY = "railguard/v1"


def _kind_level(f: Finding) -> tuple[str, str]:
    if f.result == Result.UNKNOWN:
        return "open", "none"
    if f.result == Result.ERROR:
        return "fail", "error"
    return "fail", level_for(f.severity.value)


def _rule(f: Finding, tags: list[str]) -> dict[str, Any]:
    return sarif_rule(
        f.control_id, f.title or f.control_id, f.title or f.control_id,
        level=level_for(f.severity.value), help_text=f.remediation or f.title or f.control_id,
        severity=f.severity.value, tags=["security", *tags],
    )


def _logical(f: Finding) -> dict[str, Any]:
    if f.origin.file:
        fqn = f"{f.origin.file}#{f.resource_id}"
    else:
        fqn = f.arn or "/".join([f.account or "-", f.region or "global", f.resource_type, f.resource_id])
    return {"name": f.resource_id, "fullyQualifiedName": fqn, "kind": "resource"}


def _message(f: Finding) -> str:
    what = f.resource_name or f.resource_id
    why = f.reason or f.title
    if f.result == Result.UNKNOWN:
        why = f"could not be assessed: {why}"
    return f"{f.resource_type} {what}: {why}"


def _suppression_kind(f: Finding) -> str:
    """An inline ignore in the template is `inSource`; an exception or a baseline is `external`."""
    return "inSource" if (f.suppressed_by or "").startswith("inline") else "external"


def _result(f: Finding, items: list[str]) -> dict[str, Any]:
    kind, level = _kind_level(f)
    line = f.origin.line if f.origin.file and f.origin.line and f.origin.line > 0 else None
    out = sarif_result(
        f.control_id, _message(f), f.origin.file or None, line, level=level,
        fingerprints={FINGERPRINT_KEY: f.fingerprint},
        suppression={"kind": _suppression_kind(f), "justification": f.suppressed_by or "suppressed"}
        if f.result == Result.SUPPRESSED else None,
        properties={
            "result": f.result.value,
            "resource_type": f.resource_type,
            "resource_id": f.resource_id,
            "account": f.account,
            "region": f.region,
            "evidence": jsonable(dict(f.evidence)),
            "items": items,
        },
    )
    out["kind"] = kind
    locations = out.setdefault("locations", [{}])
    locations[0]["logicalLocations"] = [_logical(f)]
    return out


def _utc(ts: str) -> str | None:
    try:
        dt = datetime.fromisoformat(ts)
    except (TypeError, ValueError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invocation(run: RunResult) -> dict[str, Any]:
    notes: list[dict[str, Any]] = [{"level": "error", "message": {"text": e}} for e in run.errors]
    notes += [
        {"level": "warning", "message": {"text": f"gap: {g.type} in {g.account or 'all accounts'}/{g.region} "
                                                  f"could not be read: {g.reason}"}}
        for g in run.gaps
    ]
    inv: dict[str, Any] = {"executionSuccessful": not run.errors}
    start = _utc(run.started_at)
    if start:
        inv["startTimeUtc"] = start
    if notes:
        inv["toolExecutionNotifications"] = notes
    return inv


def to_sarif(run: RunResult) -> dict[str, Any]:
    refs = finding_refs(run)
    findings = failed_findings(run)
    tags: dict[str, list[str]] = {}
    for f in run.findings:
        t = tags.setdefault(f.control_id, [])
        for ref in refs.get(finding_key(f), []):
            if ref not in t:
                t.append(ref)
    rules: dict[str, dict[str, Any]] = {}
    for f in findings:
        if f.control_id not in rules:
            rules[f.control_id] = _rule(f, tags.get(f.control_id, []))
    results = [_result(f, refs.get(finding_key(f), [])) for f in findings]
    log = sarif_log(
        "railguard", railguard.__version__, list(rules.values()), results,
        invocation_ok=not run.errors,
        run_properties={"kind": run.kind, "frameworks": [f.id for f in run.frameworks]},
    )
    log["runs"][0]["invocations"] = [_invocation(run)]
    return log


def render(run: RunResult) -> str:
    return json.dumps(to_sarif(run), indent=2, ensure_ascii=False) + "\n"
