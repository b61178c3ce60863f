"""Redact a notification before it leaves: every string in it goes through the secrets engine.

A resource name, a tag value, an evidence string or an error from AWS may carry a credential;
`railguard.secrets.redact_text` masks each one to its prefix (``AKIA****``). Keys are redacted too:
callers build item mappings from data we do not control.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from railguard.notify.model import Notification
from railguard.secrets import redact_text


def redact_value(value: Any) -> Any:
    """`value` with every string inside it (mappings, lists, tuples) redacted; other scalars kept."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [redact_value(v) for v in value]
    return value


def redact_note(note: Notification) -> Notification:
    return replace(
        note,
        title=redact_text(note.title),
        counts={redact_text(k): v for k, v in note.counts.items()},
        items=[redact_value(dict(i)) for i in note.items],
        run_id=redact_text(note.run_id) if note.run_id else note.run_id,
        link=redact_text(note.link) if note.link else note.link,
    )
