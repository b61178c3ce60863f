"""The action journal: every planned, pending, applied, held, failed and undone action, with the
prior state that undoes it.

`claim` is the one place where an action is allowed to go ahead: in one transaction it takes the
guardrail's breaker row (a row lock on PostgreSQL, the database lock on SQLite), counts the actions of
the window, and inserts the journal row with a unique idempotency key. Two runs that race for the same
action: one inserts, the other hits the unique key and backs off. Past the breaker: the row is written
as `held` instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from railguard.store.models import ActionRow, Breaker
from railguard.store.store import new_id, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from railguard.store.store import Store

# statuses of the journal
DRY_RUN = "dry-run"  # would have been applied (no --apply, or mode assess)
PENDING = "pending"  # waiting for an approval
REJECTED = "rejected"
CLAIMED = "claimed"  # about to be applied (crash between claim and apply leaves this: look at it)
APPLIED = "applied"  # applied and verified
FAILED = "failed"  # apply failed (AccessDenied...): nothing changed, or rolled back
ROLLED_BACK = "rolled-back"  # applied, verify failed, undone
HELD = "held"  # past the breaker, or quiet period, or state unknown: a human decides
UNDONE = "undone"
SKIPPED = "skipped"  # excepted, out of scope, no-op: recorded so history can answer
# statuses the breaker counts: every attempt to change something, whether it worked or not
COUNTED = (CLAIMED, APPLIED, FAILED, ROLLED_BACK, UNDONE)


@dataclass(frozen=True)
class Claim:
    outcome: str  # "claimed" | "duplicate" | "held"
    row: ActionRow | None  # the new journal row (claimed or held), or the existing one (duplicate)
    count: int = 0  # actions already counted in the window


def idempotency_key(guardrail: str, action_id: str, fingerprint: str, plan: Mapping[str, Any], generation: int) -> str:
    """Same guardrail, action, finding, plan and generation (earlier claims on it) -> same key."""
    blob = json.dumps([guardrail, action_id, fingerprint, plan, generation], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


class Journal:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, **fields: Any) -> ActionRow:
        """Write a journal row that claims nothing (dry-run, skipped, pending without breaker...)."""
        now = fields.pop("now", None) or utcnow()
        row = ActionRow(id=new_id("a"), created_at=now, updated_at=now, **_defaults(fields))
        with self._store.transaction() as s:
            s.add(row)
        return row

    def generation(self, guardrail: str, fingerprint: str, before: datetime) -> int:
        """How many claims were made on this finding by this guardrail before `before` (a run's start)."""
        with self._store.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(ActionRow).where(
                ActionRow.guardrail == guardrail, ActionRow.fingerprint == fingerprint,
                ActionRow.idempotency_key.is_not(None), ActionRow.created_at < before)) or 0)

    def generations(self, guardrail: str, fingerprints: Collection[str], before: datetime) -> dict[str, int]:
        """`generation` for many fingerprints in one query (missing ones: 0)."""
        fps = sorted(set(fingerprints))
        out: dict[str, int] = {}
        with self._store.transaction() as s:
            for i in range(0, len(fps), 500):
                out.update({str(fp): int(n) for fp, n in s.execute(
                    select(ActionRow.fingerprint, func.count()).where(
                        ActionRow.guardrail == guardrail, ActionRow.fingerprint.in_(fps[i : i + 500]),
                        ActionRow.idempotency_key.is_not(None), ActionRow.created_at < before)
                    .group_by(ActionRow.fingerprint))})
        return out

    def held_since(self, guardrail: str, since: datetime) -> set[str]:
        """Fingerprints held by this guardrail since `since` (a hold notifies once per window)."""
        with self._store.transaction() as s:
            return {str(fp) for fp in s.scalars(select(ActionRow.fingerprint).where(
                ActionRow.guardrail == guardrail, ActionRow.status == HELD, ActionRow.created_at >= since))}

    def claim_many(self, claims: list[tuple[str, dict[str, Any]]], *, max_actions: int,
                   window_start: datetime) -> list[Claim]:
        """`claim` for a batch of (key, fields) of one guardrail, in one transaction: the same decisions
        in the same order as claiming them one by one (duplicates back off, the breaker holds the
        rest once the window is full), with one commit. A race on a key retries the batch."""
        if not claims:
            return []
        guardrail = claims[0][1]["guardrail"]
        for attempt in range(3):
            try:
                with self._store.transaction() as s:
                    now = utcnow()
                    keys = [k for k, _ in claims]
                    existing: dict[str, ActionRow] = {}
                    for i in range(0, len(keys), 500):
                        existing.update({str(r.idempotency_key): r for r in s.scalars(
                            select(ActionRow).where(ActionRow.idempotency_key.in_(keys[i : i + 500])))})
                    self._lock_breaker(s, guardrail)
                    count = self._count(s, guardrail, window_start)
                    out: list[Claim] = []
                    rows: list[ActionRow] = []
                    tripped = False
                    for key, fields in claims:
                        if key in existing:
                            out.append(Claim("duplicate", existing[key]))
                            continue
                        if count >= max_actions:
                            row = ActionRow(id=new_id("a"), created_at=now, updated_at=now, **_defaults(
                                {**fields, "status": HELD,
                                 "error": f"circuit breaker: {count} action(s) in the window, limit {max_actions}"}))
                            out.append(Claim("held", row, count))
                            tripped = True
                        else:
                            row = ActionRow(id=new_id("a"), idempotency_key=key, created_at=now, updated_at=now,
                                            **_defaults({**fields, "status": CLAIMED}))
                            existing[key] = row
                            out.append(Claim("claimed", row, count))
                            count += 1
                        rows.append(row)
                    s.add_all(rows)
                    if tripped:
                        breaker = s.get(Breaker, guardrail)
                        assert breaker is not None
                        breaker.tripped_at = now
                    return out
            except IntegrityError:  # another run inserted one of the keys meanwhile: decide again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def update_many(self, changes: Mapping[str, Mapping[str, Any]]) -> dict[str, ActionRow]:
        """Several rows' new fields (journal id -> fields) in one transaction."""
        out: dict[str, ActionRow] = {}
        if not changes:
            return out
        with self._store.transaction() as s:
            ids = list(changes)
            rows = {r.id: r for i in range(0, len(ids), 500)
                    for r in s.scalars(select(ActionRow).where(ActionRow.id.in_(ids[i : i + 500])))}
            now = utcnow()
            for action_id, fields in changes.items():
                row = rows[action_id]
                for k, v in fields.items():
                    setattr(row, k, v)
                row.updated_at = now
                out[action_id] = row
        return out

    def add_many(self, rows: list[dict[str, Any]]) -> list[ActionRow]:
        """Several `add`s (dry runs of a whole run) in one transaction."""
        now = utcnow()
        out = [ActionRow(id=new_id("a"), created_at=now, updated_at=now, **_defaults(dict(f))) for f in rows]
        if out:
            with self._store.transaction() as s:
                s.add_all(out)
        return out

    def claim(self, *, key: str, max_actions: int, window_start: datetime, status: str = CLAIMED,
              **fields: Any) -> Claim:
        """Claim the right to act (see the module doc). `status` PENDING claims an approval slot instead."""
        now = fields.pop("now", None) or utcnow()
        guardrail = fields["guardrail"]
        try:
            with self._store.transaction() as s:
                existing = s.scalar(select(ActionRow).where(ActionRow.idempotency_key == key))
                if existing is not None:
                    return Claim("duplicate", existing)
                self._lock_breaker(s, guardrail)
                count = self._count(s, guardrail, window_start)
                if status == CLAIMED and count >= max_actions:
                    row = ActionRow(id=new_id("a"), created_at=now, updated_at=now,
                                    **_defaults({**fields, "status": HELD,
                                                 "error": f"circuit breaker: {count} action(s) in the window, "
                                                          f"limit {max_actions}"}))
                    s.add(row)
                    breaker = s.get(Breaker, guardrail)
                    assert breaker is not None
                    breaker.tripped_at = now
                    return Claim("held", row, count)
                row = ActionRow(id=new_id("a"), idempotency_key=key, created_at=now, updated_at=now,
                                **_defaults({**fields, "status": status}))
                s.add(row)
                s.flush()
                return Claim("claimed", row, count)
        except IntegrityError:  # the other run inserted the same key between our check and our insert
            with self._store.transaction() as s:
                return Claim("duplicate", s.scalar(select(ActionRow).where(ActionRow.idempotency_key == key)))

    @staticmethod
    def _lock_breaker(s: Session, guardrail: str) -> None:
        if s.get(Breaker, guardrail) is None:
            try:
                with s.begin_nested():
                    s.add(Breaker(guardrail=guardrail))
            except IntegrityError:
                pass
        s.execute(select(Breaker).where(Breaker.guardrail == guardrail).with_for_update())

    @staticmethod
    def _count(s: Session, guardrail: str, since: datetime) -> int:
        return int(s.scalar(select(func.count()).select_from(ActionRow).where(
            ActionRow.guardrail == guardrail, ActionRow.status.in_(COUNTED), ActionRow.created_at >= since)) or 0)

    def count_in_window(self, guardrail: str, since: datetime) -> int:
        with self._store.transaction() as s:
            return self._count(s, guardrail, since)

    def page_once(self, guardrail: str, since: datetime, now: datetime | None = None) -> bool:
        """True the first time in the window that the breaker asks for a human (then it stays quiet)."""
        now = now or utcnow()
        with self._store.transaction() as s:
            self._lock_breaker(s, guardrail)
            breaker = s.get(Breaker, guardrail)
            assert breaker is not None
            if breaker.paged_at is not None and breaker.paged_at >= since:
                return False
            breaker.paged_at = now
            return True

    def update(self, action_id: str, **fields: Any) -> ActionRow:
        return self._store.update_row(ActionRow, action_id, **fields)

    def transition(self, action_id: str, expected: Collection[str], **fields: Any) -> ActionRow | None:
        """Move a row on only if its status is still one of `expected` (two approvers, two undos: one wins)."""
        with self._store.transaction() as s:
            row = s.scalar(select(ActionRow).where(ActionRow.id == action_id).with_for_update())
            if row is None or row.status not in expected:
                return None
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
            return row

    def get(self, action_id: str) -> ActionRow | None:
        with self._store.transaction() as s:
            return s.get(ActionRow, action_id)

    def query(self, *, statuses: Collection[str] = (), guardrail: str | None = None, run_id: str | None = None,
             resource_id: str | None = None, fingerprint: str | None = None,
             limit: int | None = None) -> list[ActionRow]:
        with self._store.transaction() as s:
            q = select(ActionRow).order_by(ActionRow.created_at, ActionRow.id)
            if statuses:
                q = q.where(ActionRow.status.in_(list(statuses)))
            if guardrail:
                q = q.where(ActionRow.guardrail == guardrail)
            if run_id:
                q = q.where(ActionRow.run_id == run_id)
            if resource_id:
                q = q.where(ActionRow.resource_id == resource_id)
            if fingerprint:
                q = q.where(ActionRow.fingerprint == fingerprint)
            if limit:
                q = q.limit(limit)
            return list(s.scalars(q))


def _defaults(fields: dict[str, Any]) -> dict[str, Any]:
    out = {"summary": "", "params": {}, "plan": {}, "prior": {}, "applied": {}, "after": {}, "trigger": "manual"}
    out.update({k: v for k, v in fields.items() if v is not None or k not in out})
    return out
