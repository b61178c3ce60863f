"""Undo: restore the prior state an applied action recorded, then verify the restore.

Before undoing, the action's view of the resource is read again and compared with what apply left
(`after` in the journal). If someone changed the resource since, undo refuses (unless forced):
putting back old rules over a newer change would be a change nobody planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from railguard.remediation.action import Change
from railguard.remediation.execute import error_text, target_for
from railguard.store import Store, utcnow
from railguard.store.journal import APPLIED, UNDONE
from railguard.store.models import ActionRow

UNDOING = "undoing"


class UndoError(Exception):
    """Undo refused or failed; the message says why and what state the resource is in."""


def _diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(keys) or "(values differ)"


def undo_action(store: Store, action_id: str, sessions: Mapping[str, Any], *, force: bool = False,
                by: str | None = None) -> tuple[ActionRow, str]:
    """Undo an applied action; returns the row and a line on the verification of the restore."""
    from railguard.remediation.actions import get
    from railguard.sources.aws.single import ReadError

    row = store.journal.get(action_id)
    if row is None:
        raise UndoError(f"no action {action_id} in the journal")
    if row.status != APPLIED:
        raise UndoError(f"action {action_id} is {row.status}: only an applied action can be undone")
    spec = get(row.action_id)
    if not spec.reversible:
        raise UndoError(f"{spec.id} is not reversible: {spec.reversible_note or 'no undo'}")
    session = sessions.get(row.account or "") or (next(iter(sessions.values())) if len(sessions) == 1 else None)
    if session is None:
        raise UndoError(f"no AWS session for account {row.account}")
    target = target_for(row, session, store=store)
    change = Change.from_dict(row.plan.get("change") or {})
    try:
        current = dict(spec.current(target))
    except ReadError as exc:
        raise UndoError(f"cannot read {row.resource_id} ({exc}); nothing undone") from None
    except Exception as exc:
        raise UndoError(f"cannot read {row.resource_id} ({error_text(exc)}); nothing undone") from None
    if current != dict(row.after) and not force:
        raise UndoError(
            f"refused: {row.resource_id} changed since railguard applied {action_id} "
            f"(differs in: {_diff(current, row.after)}); the journal entry no longer matches the resource. "
            "Nothing undone. Use --force to restore the recorded prior state anyway.")
    if store.journal.transition(action_id, [APPLIED], status=UNDOING) is None:
        raise UndoError(f"action {action_id} is being undone by someone else")
    try:
        spec.undo(target, change, row.applied)
    except Exception as exc:
        store.journal.update(action_id, status=APPLIED, error=f"undo failed: {error_text(exc)}")
        raise UndoError(f"undo of {action_id} failed: {error_text(exc)}; the resource is as it was") from None
    before = dict(row.plan.get("before") or {})
    try:
        restored = dict(spec.current(target))
        check = "restored state verified" if restored == before else \
            f"restore differs from the recorded state in: {_diff(restored, before)}"
    except Exception as exc:
        check = f"restore not verified: {error_text(exc)}"
    done = store.journal.update(action_id, status=UNDONE, undone_at=utcnow(),
                                applied={**row.applied, "undone_by": by, "undo_check": check, "forced": force})
    return done, check
