"""A case as JSON and as one self-contained HTML timeline (no script, no external file, everything escaped).

Free text (step summaries, errors, console output inside artefacts) goes through the secrets
redactor first: a case report is shared with people who must not receive a credential.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from railguard.model.redact import redact_text

if TYPE_CHECKING:
    from railguard.store import Store


def case_json(store: Store, case_id: str, *, with_content: bool = False) -> dict[str, Any]:
    case = store.cases.get(case_id)
    if case is None:
        raise KeyError(case_id)
    journal = store.journal.get(case.journal_id) if case.journal_id else None
    steps = store.cases.steps(case_id)
    arts = store.cases.artefacts(case_id)
    return {
        "case": case.id, "kind": case.kind, "subject": case.subject, "subject_type": case.subject_type,
        "account": case.account, "region": case.region, "status": case.status, "message": _r(case.message),
        "params": case.params, "trigger": case.trigger, "opened_by": case.opened_by,
        "created_at": case.created_at.isoformat(), "updated_at": case.updated_at.isoformat(),
        "approval": None if journal is None else {
            "journal_id": journal.id, "status": journal.status, "approver": journal.approver,
            "error": _r(journal.error or "")},
        "steps": [{"phase": s.phase, "seq": s.seq, "name": s.name, "status": s.status, "actor": s.actor,
                   "summary": _r(s.summary), "error": _r(s.error or "") or None, "calls": s.calls,
                   "started_at": s.started_at.isoformat(),
                   "finished_at": s.finished_at.isoformat() if s.finished_at else None,
                   "detail": _redact_obj(s.detail)} for s in steps],
        "artefacts": [{"name": a.name, "source": a.source, "sha256": a.sha256, "size": a.size,
                       "captured_by": a.captured_by, "captured_at": a.captured_at.isoformat(),
                       **({"content": json.loads(a.content)} if with_content else {})} for a in arts],
    }


def _r(text: str) -> str:
    return redact_text(text) if text else text


def _redact_obj(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redact_obj(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_obj(v) for k, v in value.items()}
    return value


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>railguard case {{ c.case }}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1d2430;max-width:70em}
h1{font-size:1.4em}table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #d4d9e1;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#eef1f5}.done{color:#176b2c}.failed{color:#a4161a;font-weight:600}.skipped{color:#6b7280}
code,pre{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.status{display:inline-block;padding:.1em .5em;border-radius:3px;background:#eef1f5}
</style></head><body>
<h1>Case {{ c.case }}: {{ c.kind }} {{ c.subject }}</h1>
<p><span class="status">{{ c.status }}</span> account {{ c.account or "?" }}, region {{ c.region or "?" }};
opened {{ c.created_at }} by {{ c.opened_by or "?" }} ({{ c.trigger }}).</p>
{% if c.message %}<p>{{ c.message }}</p>{% endif %}
{% if c.approval %}<p>Approval: journal {{ c.approval.journal_id }} is {{ c.approval.status }}
{% if c.approval.approver %}(approver {{ c.approval.approver }}){% endif %}.</p>{% endif %}
<h2>Timeline</h2>
<table><tr><th>#</th><th>phase</th><th>step</th><th>result</th><th>who</th><th>started</th><th>finished</th>
<th>what</th><th>API requests</th></tr>
{% for s in c.steps %}<tr><td>{{ s.seq }}</td><td>{{ s.phase }}</td><td>{{ s.name }}</td>
<td class="{{ s.status }}">{{ s.status }}</td><td>{{ s.actor or "" }}</td><td>{{ s.started_at }}</td>
<td>{{ s.finished_at or "" }}</td><td>{{ s.summary }}{% if s.error %}<br><strong>{{ s.error }}</strong>{% endif %}</td>
<td>{{ s.calls }}</td></tr>
{% endfor %}</table>
<h2>Evidence (chain of custody)</h2>
<table><tr><th>artefact</th><th>source</th><th>SHA-256</th><th>bytes</th><th>captured by</th><th>at</th></tr>
{% for a in c.artefacts %}<tr><td>{{ a.name }}</td><td>{{ a.source }}</td><td><code>{{ a.sha256 }}</code></td>
<td>{{ a.size }}</td><td>{{ a.captured_by or "" }}</td><td>{{ a.captured_at }}</td></tr>
{% endfor %}</table>
<p>Each SHA-256 is over the artefact's canonical JSON (sorted keys, no spaces, UTF-8), as stored;
<code>railguard ir report {{ c.case }} --format json --with-content</code> prints the content.</p>
</body></html>
"""


def case_html(store: Store, case_id: str) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(c=case_json(store, case_id))
