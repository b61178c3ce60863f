"""Self-contained HTML report: one file, no external assets, every value escaped.

The page is rendered by jinja2 with autoescape on (`templates/report.html.j2`); CSS and the
filter script are inline, nothing is fetched, so the file opens offline, from a mail
attachment or a CI artifact. Without JavaScript every framework and item is shown and each item
still expands (`<details>`); with it the reader gets the framework switch, the result,
severity and section filters and the text search, all working on `data-*` attributes.

A Content-Security-Policy in the page allows no network fetch at all and runs only the one
script whose SHA-256 it names (`templates/report.js`): even a value that escaped escaping
could not execute. The only data handed to the script is a small JSON blob in a `<script type="application/json">`
element, serialized by `safe_json` so that no value can close the element or start markup.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from railguard.model import Finding, FrameworkInfo, ItemResult, Result, RunResult
from railguard.report._common import (
    RESULT_ORDER,
    Score,
    finding_key,
    finding_refs,
    item_ref,
    item_refs,
    location,
    score,
    sections,
    suppressed,
)
from railguard.report.doclinks import control_doc, framework_doc
from railguard.report.gaps import group_gaps

TEMPLATES = Path(__file__).parent / "templates"
MAX_OFFENDERS = 500  # per item in the page; the JSON and CSV reports always carry all of them
SEVERITIES = ["critical", "high", "medium", "low", "info", "none"]
RESULTS = [r.value for r in RESULT_ORDER]
CONTROLS_FRAMEWORK = "controls"  # pseudo framework of a run without framework items (IaC)

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def safe_json(value: Any) -> str:
    """JSON that is safe inside a `<script>` element: no `</script>`, `<!--` or `&` survive."""
    text = json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


@cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    env.filters["slug"] = _slug
    env.filters["wrap"] = wrap_id
    return env


_BREAK_AFTER = re.compile(r"([/:.\-_,=@])")


def wrap_id(value: Any) -> Any:
    """An id, ARN or path with a line-break opportunity after each separator (`/ : . - _`), so a
    long one wraps where a reader expects it rather than in the middle of a word."""
    from markupsafe import Markup, escape

    text = _CONTROL_CHARS.sub("", str(value)) if value is not None else ""
    return Markup("").join(escape(part) + (Markup("<wbr>") if _BREAK_AFTER.fullmatch(part) else Markup(""))
                           for part in _BREAK_AFTER.split(text) if part)


MAX_EVIDENCE_PAIRS = 40
MAX_VALUE_CHARS = 400


def evidence_pairs(evidence: Any) -> list[tuple[str, str]]:
    """Evidence as readable `key: value` lines: nested keys joined with dots, list items indexed
    (`rules[0].CidrIp`), scalar lists joined; capped so that a huge policy stays readable."""
    out: list[tuple[str, str]] = []

    def scalar(v: Any) -> str:
        text = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
        return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"

    def walk(path: str, v: Any) -> None:
        if len(out) > MAX_EVIDENCE_PAIRS:
            return
        if isinstance(v, dict) and v:
            for k in sorted(v, key=str):
                walk(f"{path}.{k}" if path else str(k), v[k])
        elif isinstance(v, list | tuple) and v and any(isinstance(x, dict | list | tuple) for x in v):
            for i, x in enumerate(v):
                walk(f"{path}[{i}]", x)
        elif isinstance(v, list | tuple):
            out.append((path, ", ".join(scalar(x) for x in v) if v else "(none)"))
        else:
            out.append((path, scalar(v)))

    if evidence:
        walk("", evidence)
    if len(out) > MAX_EVIDENCE_PAIRS:
        out = [*out[:MAX_EVIDENCE_PAIRS], ("…", "more in the JSON report")]
    return out


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: Any) -> Any:
    """Every printed value without C0 control characters (a BEL in an error message, say)."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return _CONTROL_CHARS.sub("", value)
    return value


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-") or "x"


def _pseudo_items(run: RunResult) -> list[ItemResult]:
    """A run without framework items (IaC on controls only): one item per control, by service."""
    by_control: dict[str, list[Finding]] = {}
    for f in run.findings:
        by_control.setdefault(f.control_id, []).append(f)
    items = []
    for cid in sorted(by_control):
        fs = by_control[cid]
        worst = max(fs, key=lambda f: f.result.rank)
        result = worst.result
        reasons = list(dict.fromkeys(f.reason for f in fs if f.result == worst.result and f.reason))
        reason = "" if result == Result.PASS else "; ".join(reasons[:3])
        items.append(ItemResult(
            framework=CONTROLS_FRAMEWORK, id=cid, title=fs[0].title, section=cid.split(".")[0],
            result=result, severity=max((f.severity for f in fs), key=lambda s: s.rank),
            controls=[cid], reason=reason, findings=fs,
        ))
    return items


def _finding_view(f: Finding, refs: dict[tuple[str, str, str], list[str]]) -> dict[str, Any]:
    return {
        "control_id": f.control_id,
        "result": f.result.value,
        "severity": f.severity.value,
        "resource_type": f.resource_type,
        "resource_id": f.resource_id,
        "resource_name": f.resource_name if f.resource_name and f.resource_name != f.resource_id else "",
        "arn": f.arn or "",
        "where": location(f),
        "is_file": bool(f.origin.file),
        "reason": f.reason,
        "evidence": dict(f.evidence),
        "evidence_kv": evidence_pairs(dict(f.evidence)),
        "doc": control_doc(f.control_id) or "",
        "remediation": f.remediation or "",
        "suppressed_by": f.suppressed_by or "",
        "fingerprint": f.fingerprint,
        "refs": refs.get(finding_key(f), []),
    }


def _score_view(s: Score) -> dict[str, Any]:
    segments = [
        {"result": r, "width": s.share(r), "count": s.counts.get(r, 0)}
        for r in ("PASS", "FAIL", "ERROR", "UNKNOWN", "SUPPRESSED", "MANUAL")
        if s.counts.get(r, 0)
    ]
    return {"percent": s.percent, "counts": dict(s.counts), "total": s.total, "segments": segments}


def _fixes(findings: list[Finding]) -> list[dict[str, str]]:
    """Each control's fix once per item, however many resources offend."""
    seen: dict[tuple[str, str], None] = {}
    for f in findings:
        if f.remediation and f.result in (Result.FAIL, Result.ERROR, Result.UNKNOWN):
            seen.setdefault((f.control_id, f.remediation), None)
    return [{"control_id": c, "fix": fix} for c, fix in seen]


def _docs(i: ItemResult) -> list[dict[str, str]]:
    out = []
    fw_doc = framework_doc(i.framework)
    if fw_doc:
        out.append({"label": f"CIS benchmark (item {i.id})", "url": fw_doc})
    for cid in i.controls:
        url = control_doc(cid)
        if url:
            out.append({"label": f"AWS documentation: {cid}", "url": url})
    return out


def _item_view(i: ItemResult, refs: dict[tuple[str, str, str], list[str]], irefs: list[str]) -> dict[str, Any]:
    offenders = i.offenders
    sup = suppressed(i)
    return {
        "fixes": _fixes(offenders),
        "docs": _docs(i),
        "framework": i.framework,
        "id": i.id,
        "anchor": _slug(f"{i.framework}-{i.id}"),
        "title": i.title,
        "section": i.section or "(no section)",
        "level": i.level,
        "assessment": i.assessment,
        "result": i.result.value,
        "severity": i.severity.value if i.severity else "none",
        "controls": i.controls,
        "note": i.note,
        "reason": i.reason,
        "checked": len(i.findings),
        "offender_count": len(offenders),
        "offenders": [_finding_view(f, refs) for f in offenders[:MAX_OFFENDERS]],
        "hidden_offenders": max(0, len(offenders) - MAX_OFFENDERS),
        "suppressed": [_finding_view(f, refs) for f in sup[:MAX_OFFENDERS]],
        "hidden_suppressed": max(0, len(sup) - MAX_OFFENDERS),
        "refs": irefs,
    }


def context(run: RunResult) -> dict[str, Any]:
    """Everything the template shows, as plain values (the template decides nothing)."""
    items = run.items or _pseudo_items(run)
    frameworks = list(run.frameworks)
    if not run.items:
        frameworks = [FrameworkInfo(CONTROLS_FRAMEWORK, "Controls", "")] if items else []
    known = {f.id for f in frameworks}
    for fid in dict.fromkeys(i.framework for i in items):
        if fid not in known:
            frameworks.append(FrameworkInfo(fid, fid, ""))
    refs = finding_refs(run)
    irefs = item_refs(run)
    fw_views: list[dict[str, Any]] = []
    for fw in frameworks:
        fw_items = [i for i in items if i.framework == fw.id]
        secs: list[dict[str, Any]] = [
            {"name": name, "anchor": _slug(f"{fw.id}-{name}"), "score": _score_view(score(sec_items)),
             "entries": [_item_view(i, refs, irefs.get(item_ref(i), [])) for i in sec_items]}
            for name, sec_items in sections(fw_items)
        ]
        fw_views.append({
            "id": fw.id, "title": fw.title, "version": fw.version, "anchor": _slug(fw.id),
            "score": _score_view(score(fw_items)), "sections": secs, "item_count": len(fw_items),
            "id_width": min(32, max([6, *(len(i.id) + 1 for i in fw_items)])),
        })
    top_calls = sorted(run.api_calls.items(), key=lambda kv: (-kv[1], kv[0]))
    failures, failure_count = _failures(run, refs)
    data = {
        "frameworks": [{"id": f["id"], "sections": [s["name"] for s in f["sections"]]} for f in fw_views],
    }
    return {
        "run": {
            "kind": run.kind,
            "live": run.kind != "iac" or bool(run.accounts or run.regions or run.api_calls),
            "files": run.meta.get("files") or len({f.origin.file for f in run.findings if f.origin.file}),
            "started_at": run.started_at,
            "duration": f"{run.duration_s:.1f} s",
            "accounts": run.accounts,
            "regions": run.regions,
            "api_calls": run.api_call_total,
            "top_calls": top_calls,
            "resources": run.meta.get("resources"),
            "errors": run.errors,
            "gaps": [{"what": grp.what, "account": grp.account, "regions": grp.regions, "reason": grp.reason,
                      "count": grp.count} for grp in group_gaps(run.gaps)],
            "gap_count": len(run.gaps),
        },
        "frameworks": fw_views,
        "failures": failures,
        "failure_count": failure_count,
        "hidden_failures": max(0, failure_count - MAX_FAILURES),
        "results": RESULTS,
        "severities": SEVERITIES,
        "result_counts": {r: sum(1 for i in items if i.result.value == r) for r in RESULTS},
        "severity_counts": {s: sum(1 for i in items if (i.severity.value if i.severity else "none") == s)
                            for s in SEVERITIES},
        "data_json": safe_json(data),
        "title": "railguard report: " + (", ".join(f.title for f in frameworks) or run.kind),
    }


MAX_FAILURES = 2000  # rows of the flat view; the JSON and CSV reports carry every one


def _failures(run: RunResult, refs: dict[tuple[str, str, str], list[str]]) -> tuple[list[dict[str, Any]], int]:
    """Every FAIL finding once, worst severity first: the list to work down (the first
    MAX_FAILURES of them) and how many there are."""
    seen: dict[str, Finding] = {}
    for f in run.findings:
        if f.result == Result.FAIL:
            seen.setdefault(f.fingerprint, f)
    ordered = sorted(seen.values(), key=lambda f: (-f.severity.rank, f.control_id, location(f), f.resource_id))
    return [_finding_view(f, refs) for f in ordered[:MAX_FAILURES]], len(ordered)


@cache
def _script() -> tuple[str, str]:
    """The page's one executable script and its CSP hash: nothing else on the page may run."""
    text = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"sha256-{digest}"


def render(run: RunResult) -> str:
    from markupsafe import Markup

    ctx = context(run)
    ctx["data_json"] = Markup(ctx["data_json"])  # already safe for a <script> element, see safe_json
    script, script_hash = _script()
    ctx["script"] = Markup(script)  # our own file, not data
    ctx["script_hash"] = script_hash
    return str(_env().get_template("report.html.j2").render(**ctx))


__all__ = ["context", "render", "safe_json"]
