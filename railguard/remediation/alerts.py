"""Notify: one aggregated message per channel per run, with only what is worth a message (new,
reopened, escalated findings; held, pending, applied, failed, rolled-back actions), each item
answering "has this happened before?". Deliveries are recorded in the store, delivered or not."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from railguard.guardrails.load import Rule
from railguard.store import Store

if TYPE_CHECKING:
    from railguard.remediation.pipeline import PipelineResult


def send(store: Store, rules: Iterable[Rule], result: PipelineResult) -> dict[str, Any]:
    """Deliver the run's notifications; channel name -> Delivery. Never raises."""
    by_rule = {r.name: r for r in rules}
    if not any(item.notify and item.guardrail in by_rule and by_rule[item.guardrail].guardrail.notify
               for item in result.items):
        return {}  # nothing to say, or nowhere to say it: the channels are not even imported
    try:
        from railguard.notify import NoteItem, deliver_all, per_channel
    except ModuleNotFoundError:  # notification channels not installed in this build
        return {}
    items: dict[str, list[Any]] = {}
    channels: dict[str, Any] = {}
    for item in result.items:
        rule = by_rule.get(item.guardrail)
        if rule is None or not item.notify:
            continue
        for ch in rule.guardrail.notify:
            channels[ch] = rule.channels[ch]
            items.setdefault(ch, []).append(NoteItem(
                control=item.control, resource=item.resource_id, status=item.status, severity=item.severity,
                account=item.account, region=item.region, history=item.history, summary=item.summary,
                guardrail=item.guardrail, action_id=item.action_id))
    if not items:
        return {}
    notes = per_channel(items, channels, run_id=result.run_id)
    deliveries = deliver_all(notes, channels)
    for name, note in notes.items():
        d = deliveries.get(name)
        guardrails = sorted({i["guardrail"] for i in note.items if "guardrail" in i})
        store.notifications.record(
            channel=name, title=note.title, ok=bool(d and d.ok), attempts=d.attempts if d else 0,
            error=d.error if d else "not delivered", run_id=result.run_id,
            kind="needs-human" if note.needs_human else "run", guardrail=",".join(guardrails) or None,
            items=list(note.items))
    return deliveries
