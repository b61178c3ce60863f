"""What a notification carries, and what became of its delivery.

A run sends one `Notification` per channel: counts of everything it saw and the top items, so a
run with a thousand findings is one message, not a thousand. `Delivery` is the outcome that the
store keeps; delivery never raises, a failure is data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from railguard.model import Severity


@dataclass(frozen=True)
class NoteItem:
    """One finding or action of a run, as a notification shows it.

    `status` is a finding lifecycle status (new, reopened, escalated, ...) or a journal status
    (applied, held, failed, rolled-back, pending, dry-run, ...); `history` answers "has this
    happened before?" and is written by the caller from the store."""

    control: str
    resource: str
    status: str
    severity: Severity = Severity.MEDIUM
    account: str | None = None
    region: str | None = None
    history: str = ""
    summary: str = ""  # what was done or planned, or why not
    guardrail: str | None = None
    action_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "control": self.control, "resource": self.resource, "status": self.status,
            "severity": self.severity.value, "account": self.account, "region": self.region,
            "history": self.history, "summary": self.summary, "guardrail": self.guardrail,
            "action_id": self.action_id,
        }
        return {k: v for k, v in out.items() if v not in (None, "")}


@dataclass(frozen=True)
class Notification:
    """One message per channel per run (aggregated)."""

    title: str  # "railguard: 3 fixed, 2 held (needs a human), 1 failed"
    severity: Severity
    counts: Mapping[str, int]  # {"new": 4, "applied": 3, "held": 2, ...}
    items: Sequence[Mapping[str, Any]]  # the top items, most urgent first (see NoteItem.as_dict)
    needs_human: bool = False
    run_id: str | None = None
    link: str | None = None
    total: int = field(default=-1)  # items the counts cover; -1: the sum of counts

    @property
    def item_count(self) -> int:
        return self.total if self.total >= 0 else sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        """The notification as the generic webhook and stdout channels send it."""
        return {
            "source": "railguard", "title": self.title, "severity": self.severity.value,
            "needs_human": self.needs_human, "run_id": self.run_id, "link": self.link,
            "total": self.item_count, "counts": dict(self.counts),
            "items": [dict(i) for i in self.items], "more": max(0, self.item_count - len(self.items)),
        }


@dataclass(frozen=True)
class Delivery:
    """The outcome of one delivery: never an exception. `error` is redacted and names no URL."""

    ok: bool
    attempts: int
    error: str | None = None
    kind: str = ""  # slack_webhook | webhook | sns_topic | ses | stdout
    message_id: str | None = None  # SNS/SES message id when the service returned one
