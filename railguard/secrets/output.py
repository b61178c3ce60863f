"""Text, JSON and SARIF renderings of a secrets scan. Every format carries only the redacted
value (``AKIA****ABCD``) and the fingerprint, never the secret."""

from __future__ import annotations

import json
from typing import Any

from railguard import __version__
from railguard.report.sarif import level_for, sarif_log, sarif_result, sarif_rule
from railguard.secrets.findings import Finding, ScanResult
from railguard.secrets.rules import RULES

ALLOW_HELP = (
    "To allow a finding that is not a real secret: add a comment 'railguard:allow <reason>' on that "
    "line (or the line above), or accept all current findings with 'railguard secrets baseline' "
    "(then commit .railguard-secrets-baseline.json). Otherwise remove the secret and rotate it."
)


def _where(f: Finding) -> str:
    where = f"{f.path}:{f.line}:{f.column}"
    if f.commit:
        where += f" (commit {f.commit[:12]})"
    return where


def render_text(result: ScanResult, *, hook: bool = False) -> str:
    lines: list[str] = []
    for f in result.findings:
        status = f"  SUPPRESSED ({f.suppressed}: {f.reason})" if f.suppressed else ""
        lines.append(f"{_where(f)}: {f.severity.upper()} {f.rule_id}: {f.title} {f.redacted}{status}")
        for note in f.notes:
            lines.append(f"    note: {note}")
    st = result.stats
    scanned = f"{st.blobs} blobs in {st.commits} commits" if result.mode in ("history", "range") else (
        f"{st.blobs} staged files" if result.mode == "staged" else f"{st.files} files"
    )
    n_open, n_sup = len(result.open), len(result.suppressed)
    summary = f"railguard secrets: {n_open} secret(s) found in {scanned} ({st.bytes / 1e6:.1f} MB)"
    if n_sup:
        summary += f", {n_sup} suppressed"
    skipped = st.skipped_binary + st.skipped_vendored + st.skipped_excluded
    if skipped:
        summary += (
            f"; skipped {st.skipped_binary} binary, {st.skipped_vendored} vendored, {st.skipped_excluded} excluded"
        )
    if lines:
        lines.append("")
    lines.append(summary)
    for err in st.errors:
        lines.append(f"warning: {err}")
    if n_open:
        if hook:
            lines.insert(0, "railguard: commit blocked: secrets in staged changes")
            lines.insert(1, "")
        lines.append(ALLOW_HELP)
    return "\n".join(lines) + "\n"


def render_json(result: ScanResult) -> str:
    doc: dict[str, Any] = {
        "tool": "railguard",
        "version": __version__,
        "kind": "secrets-scan",
        "mode": result.mode,
        "summary": {
            "open": len(result.open),
            "suppressed": len(result.suppressed),
            "files": result.stats.files,
            "blobs": result.stats.blobs,
            "commits": result.stats.commits,
            "bytes": result.stats.bytes,
            "skipped_binary": result.stats.skipped_binary,
            "skipped_vendored": result.stats.skipped_vendored,
            "skipped_excluded": result.stats.skipped_excluded,
            "errors": result.stats.errors,
        },
        "findings": [f.to_dict() for f in result.findings],
    }
    return json.dumps(doc, indent=2) + "\n"


def sarif_document(result: ScanResult) -> dict[str, Any]:
    used = {f.rule_id for f in result.findings}
    rules = [
        sarif_rule(
            r.id,
            r.title,
            r.description or f"{r.title} committed to source.",
            level=level_for(r.severity),
            severity=r.severity,
            help_text="Remove the secret from the code and history, rotate it, and load it from the "
            "environment or a secrets manager. " + ALLOW_HELP,
            tags=["security", "secret"],
        )
        for r in RULES
        if r.id in used
    ]
    results = []
    for f in result.findings:
        props: dict[str, Any] = {"redacted": f.redacted}
        if f.commit:
            props["commit"] = f.commit
        suppression = None
        if f.suppressed:
            suppression = {"kind": "inSource" if f.suppressed == "inline" else "external", "justification": f.reason or ""}
        results.append(
            sarif_result(
                f.rule_id,
                f"{f.title} {f.redacted}" + (f" (introduced in {f.commit[:12]})" if f.commit else ""),
                f.path,
                f.line,
                column=f.column,
                level=level_for(f.severity),
                fingerprints={"railguardSecret/v1": f.fingerprint},
                suppression=suppression,
                properties=props,
            )
        )
    return sarif_log("railguard", __version__, rules, results)


def render_sarif(result: ScanResult) -> str:
    return json.dumps(sarif_document(result), indent=2) + "\n"
