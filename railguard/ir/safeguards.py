"""Safeguards for isolation, through the remediation journal's breaker and the existing approvals.

Each isolation claims a journal row under the guardrail `ir:isolate` (`Journal.claim`: the same
lock, window and idempotency key the pipeline uses). Past `max_isolations` in the window, or for an
instance tagged critical, the row becomes `pending`: `railguard approvals list` shows it,
`railguard approvals approve ID` resumes the case, and a "needs a human" notification goes out
instead of any change. Only capture (read-only) has run by then.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from railguard.ir.workflow import Ctx, IrError, Outcome, Waiting
from railguard.store import utcnow
from railguard.store.journal import APPLIED, CLAIMED, FAILED, HELD, PENDING, REJECTED

GUARDRAIL = "ir:isolate"
ACTION_ID = "ir.isolate-instance"
DEFAULT_MAX = 2
DEFAULT_WINDOW_S = 3600


def _fields(ctx: Ctx) -> dict[str, Any]:
    iid = ctx.case.subject
    return {"guardrail": GUARDRAIL, "action_id": ACTION_ID, "resource_type": "AWS::EC2::Instance",
            "resource_id": iid, "account": ctx.case.account, "region": ctx.case.region, "mode": "remediate",
            "summary": f"isolate {iid} (case {ctx.case.id})", "params": {"case_id": ctx.case.id},
            "trigger": ctx.case.trigger, "principal": ctx.case.opened_by}


def gate(ctx: Ctx) -> Outcome:
    store, case = ctx.store, ctx.store.cases.get(ctx.case.id) or ctx.case
    approver = case.params.get("approved_by")
    if approver:
        return Outcome(f"approved by {approver} (journal {case.journal_id})",
                       {"journal_id": case.journal_id, "approved_by": approver})
    earlier = store.journal.get(case.journal_id) if case.journal_id else None
    if earlier is not None and earlier.status == PENDING:
        _hold(ctx, earlier.id, f"isolating {case.subject} still waits for approval")
    if earlier is not None and earlier.status == REJECTED:
        raise IrError(f"isolation rejected ({earlier.error or 'by a person'}): nothing was changed")
    limit = int(ctx.options.get("max_isolations", DEFAULT_MAX))
    window = int(ctx.options.get("window_s", DEFAULT_WINDOW_S))
    fields = _fields(ctx)
    fields["plan"] = {"case_id": case.id, "safeguards": {"max_actions": limit, "window_s": window}}
    if ctx.facts.get("critical"):
        tags = ", ".join(f"{k}={v}" for k, v in ctx.facts["tags"].items())
        row = store.journal.add(status=PENDING, **{**fields, "error": f"instance tagged critical ({tags})"})
        _hold(ctx, row.id, f"{case.subject} is tagged critical ({tags}): isolation waits for a person")
    key = hashlib.sha256(f"{GUARDRAIL}|{case.id}".encode()).hexdigest()[:40]
    claim = store.journal.claim(key=key, max_actions=limit, window_start=utcnow() - timedelta(seconds=window), **fields)
    assert claim.row is not None
    if claim.outcome == "held":
        store.journal.transition(claim.row.id, [HELD], status=PENDING)
        _hold(ctx, claim.row.id, f"{claim.count} isolation(s) already in the last {window // 60} min (limit {limit}): "
                                 f"isolating {case.subject} waits for a person")
    if claim.outcome == "duplicate" and claim.row.status == PENDING:
        _hold(ctx, claim.row.id, f"isolating {case.subject} still waits for approval")
    store.cases.update(case.id, journal_id=claim.row.id)
    return Outcome(f"within the breaker ({claim.count} of {limit} in the last {window // 60} min)",
                   {"journal_id": claim.row.id, "count": claim.count, "limit": limit, "window_s": window})


def _hold(ctx: Ctx, journal_id: str, reason: str) -> None:
    ctx.store.cases.update(ctx.case.id, journal_id=journal_id)
    needs_human(ctx, reason, journal_id)
    raise Waiting(f"{reason}. Approve with `railguard approvals approve {journal_id}` "
                  f"(or reject with `railguard approvals reject {journal_id}`)", journal_id)


def needs_human(ctx: Ctx, reason: str, journal_id: str | None) -> None:
    """One "needs a human" message to each configured channel, recorded in the store either way
    (not in a Celery worker: its coordinator sends it, see railguard/executor/response.py)."""
    if ctx.options.get("notify") is False:
        return
    from railguard.model import Severity
    from railguard.notify import NoteItem, aggregate, deliver_all

    item = NoteItem(control=ACTION_ID, resource=ctx.case.subject, status="pending", severity=Severity.HIGH,
                    account=ctx.case.account, region=ctx.case.region, guardrail=GUARDRAIL, action_id=journal_id,
                    summary=f"case {ctx.case.id}: {reason}" + (
                        f"; approve: railguard approvals approve {journal_id}" if journal_id else ""))
    note = aggregate([item], needs_human=True, run_id=ctx.case.id)
    assert note is not None
    channels = dict(ctx.options.get("channels") or {})
    deliveries = deliver_all({name: note for name in channels}, channels) if channels else {}
    for name in channels:
        d = deliveries.get(name)
        ctx.store.notifications.record(channel=name, title=note.title, ok=bool(d and d.ok),
                                       attempts=d.attempts if d else 0, error=d.error if d else "not delivered",
                                       run_id=ctx.case.id, kind="needs-human", guardrail=GUARDRAIL,
                                       items=list(note.items))
    if not channels:
        ctx.store.notifications.record(channel="(none)", title=note.title, ok=False, attempts=0,
                                       error="no channel configured (--notify): said on stderr only",
                                       run_id=ctx.case.id, kind="needs-human", guardrail=GUARDRAIL,
                                       items=list(note.items))


def finish_journal(ctx: Ctx, status: str, message: str) -> None:
    """Close the case's journal row: applied when the workflow finished, failed when it stopped."""
    case = ctx.store.cases.get(ctx.case.id)
    if case is None or not case.journal_id:
        return
    if status == "done":
        ctx.store.journal.transition(case.journal_id, [CLAIMED, FAILED], status=APPLIED, applied_at=utcnow(),
                                     verified_at=utcnow(), error=None)
    else:
        ctx.store.journal.transition(case.journal_id, [CLAIMED], status=FAILED, error=message[:2000])
