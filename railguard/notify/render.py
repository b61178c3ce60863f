"""How one notification reads in each channel: Slack Block Kit, plain text (SNS, email), HTML (email).

Values arrive redacted; rendering only escapes: Slack's mrkdwn treats `<`, `>` and `&` as markup
(a resource name must not become a link or an @channel), HTML escapes everything.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from railguard.notify.aggregate import label
from railguard.notify.model import Notification

_SLACK_HEADER_MAX = 150
_SLACK_TEXT_MAX = 3000


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(item: Mapping[str, Any]) -> str:
    return " ".join(str(item[k]) for k in ("account", "region") if item.get(k))


def item_line(item: Mapping[str, Any]) -> str:
    """`[HIGH] held: ec2.sg-admin-port-open-to-world on sg-1 (111111111111 us-east-1)`"""
    where = _where(item)
    line = (f"[{str(item.get('severity', '')).upper()}] {label(str(item.get('status', '')))}: "
            f"{item.get('control', '')} on {item.get('resource', '')}")
    return f"{line} ({where})" if where else line


def _more(note: Notification) -> int:
    return max(0, note.item_count - len(note.items))


def text(note: Notification) -> str:
    """Plain text for SNS and the text part of an email."""
    lines = [note.title, ""]
    if note.needs_human:
        lines += ["A human needs to look at this run.", ""]
    lines.append("Counts: " + ", ".join(f"{label(s)} {n}" for s, n in note.counts.items()))
    lines.append("")
    for item in note.items:
        lines.append("- " + item_line(item))
        for key in ("summary", "history"):
            if item.get(key):
                lines.append(f"    {item[key]}")
    if _more(note):
        lines.append(f"... and {_more(note)} more")
    for key, value in (("Run", note.run_id), ("Details", note.link)):
        if value:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def slack(note: Notification) -> dict[str, Any]:
    """An incoming-webhook payload: `text` (the fallback shown in notifications) and Block Kit blocks."""
    e = _slack_escape
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(note.title, _SLACK_HEADER_MAX)}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{e(label(s))}*\n{n}"} for s, n in list(note.counts.items())[:10]]},
    ]
    if note.needs_human:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": ":rotating_light: *A human needs to look at this run.*"}})
    blocks.append({"type": "divider"})
    for item in note.items:
        body = f"*{e(item_line(item))}*"
        if item.get("summary"):
            body += f"\n{e(str(item['summary']))}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(body, _SLACK_TEXT_MAX)}})
        if item.get("history"):
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": _clip(e(str(item["history"])), _SLACK_TEXT_MAX)}]})
    footer = [f"and {_more(note)} more"] if _more(note) else []
    if note.run_id:
        footer.append(f"run {e(note.run_id)}")
    if note.link:
        footer.append(f"<{e(note.link)}|details>")
    if footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(footer)}]})
    return {"text": _clip(e(note.title), _SLACK_TEXT_MAX), "blocks": blocks[:50]}


def email_html(note: Notification) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(str(i.get('severity', '')).upper())}</td><td>{e(label(str(i.get('status', ''))))}</td>"
        f"<td>{e(str(i.get('control', '')))}</td><td>{e(str(i.get('resource', '')))}</td>"
        f"<td>{e(_where(i))}</td><td>{e(str(i.get('summary', '')))}<br><small>{e(str(i.get('history', '')))}</small>"
        "</td></tr>"
        for i in note.items)
    counts = ", ".join(f"{e(label(s))} {n}" for s, n in note.counts.items())
    human = "<p><strong>A human needs to look at this run.</strong></p>" if note.needs_human else ""
    more = f"<p>... and {_more(note)} more</p>" if _more(note) else ""
    link = f'<p><a href="{e(note.link)}">details</a></p>' if note.link else ""
    return (f"<html><body><h2>{e(note.title)}</h2>{human}<p>{counts}</p>"
            "<table><tr><th>severity</th><th>status</th><th>control</th><th>resource</th><th>where</th>"
            f"<th>what</th></tr>{rows}</table>{more}{link}</body></html>")


def subject(note: Notification, limit: int = 100) -> str:
    """One printable line (SNS subjects allow 100 characters, no newlines or control characters)."""
    flat = "".join(c if c.isprintable() else " " for c in note.title).strip() or "railguard"
    return _clip(flat, limit)
