"""Approvals: a pending change is applied only after a person approves it, and only if the resource is
still as it was when the change was planned (the approval re-plans against the current state)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from railguard.controls import get_control, has_control
from railguard.engine.plan import PlannedControl
from railguard.remediation.action import Target
from railguard.remediation.execute import error_text, execute, state_now, target_for
from railguard.store import Store, utcnow
from railguard.store.journal import CLAIMED, PENDING, REJECTED
from railguard.store.models import ActionRow

STALE = "stale"  # the resource changed after the change was planned: the next run plans again


class ApprovalError(Exception):
    """The approval cannot go ahead; the message says why and what to do."""


def _pending(store: Store, action_id: str) -> ActionRow:
    row = store.journal.get(action_id)
    if row is None:
        raise ApprovalError(f"no action {action_id} in the journal (see `railguard approvals list`)")
    if row.status != PENDING:
        raise ApprovalError(f"action {action_id} is {row.status}, not pending")
    return row


def approve(store: Store, action_id: str, sessions: Mapping[str, Any], *, approver: str) -> ActionRow:
    """Re-plan against the current resource; refuse if it changed; then claim, apply and verify."""
    from railguard.remediation.actions import get
    from railguard.sources.aws.single import ReadError, read_one

    row = _pending(store, action_id)
    if row.action_id.startswith("ir.") and (row.params or {}).get("case_id"):  # a held case: approving resumes it
        from railguard.ir.approval import approve_case

        return approve_case(store, row, sessions, approver=approver)
    spec = get(row.action_id)
    session = sessions.get(row.account or "") or (next(iter(sessions.values())) if len(sessions) == 1 else None)
    if session is None:
        raise ApprovalError(f"no AWS session for account {row.account}")
    stub = target_for(row, session, store=store)
    try:
        current = read_one(session, row.resource_type, row.resource_id, stub.region)
    except ReadError as exc:
        raise ApprovalError(f"cannot re-read {row.resource_id}: {exc}; nothing applied") from None
    target = Target(current, session, stub.region, store)
    try:
        change = spec.plan(target, row.params)
    except Exception as exc:
        raise ApprovalError(f"cannot re-plan {row.action_id} on {row.resource_id}: {error_text(exc)}") from None
    if change.noop or dict(change.prior) != dict(row.prior) or change.summary != row.summary:
        now_says = "nothing to do any more" if change.noop else change.summary
        store.journal.transition(row.id, [PENDING], status=STALE,
                                 error=f"resource changed since planned; now: {now_says}")
        raise ApprovalError(
            f"refused: {row.resource_id} changed since this change was planned "
            f"(planned: {row.summary}; now: {now_says}). Nothing applied; the next guardrail run plans again.")
    safeguards = row.plan.get("safeguards", {})
    window = timedelta(seconds=int(safeguards.get("window_s", 3600)))
    limit = int(safeguards.get("max_actions", 5))
    count = store.journal.count_in_window(row.guardrail, utcnow() - window)
    if count >= limit:
        raise ApprovalError(f"refused: the circuit breaker of guardrail {row.guardrail} is open "
                            f"({count} action(s) in the window, limit {limit}); try again later")
    before = state_now(spec, target, current)  # what undo restores to is the state approved against
    claimed = store.journal.transition(row.id, [PENDING], status=CLAIMED, approver=approver,
                                       plan={**row.plan, "before": before})
    if claimed is None:
        raise ApprovalError(f"action {action_id} was approved or rejected by someone else meanwhile")
    control = PlannedControl(get_control(row.control_id), dict(get_control(row.control_id).params)) \
        if row.control_id and has_control(row.control_id) else None
    return execute(store, claimed, spec, target, change, control)


def reject(store: Store, action_id: str, *, approver: str, reason: str = "") -> ActionRow:
    _pending(store, action_id)
    row = store.journal.transition(action_id, [PENDING], status=REJECTED, approver=approver,
                                   error=f"rejected by {approver}" + (f": {reason}" if reason else ""))
    if row is None:
        raise ApprovalError(f"action {action_id} was approved or rejected by someone else meanwhile")
    return row
