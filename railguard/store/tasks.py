"""The tasks of distributed runs: one row per unit of work, written by the workers that run them.

Why the store and not the broker: a task's slice (resources, gaps, API counts, guardrail items) is
written here under its run, so the coordinator assembles the run from one place and a broker that
loses or repeats a message loses or repeats nothing. Every write by a worker is a compare-and-set
on `attempt`: the coordinator's watchdog bumps it when it re-queues or fails a task, so a worker
that was presumed dead (and its late duplicate, celery#7918) can no longer overwrite the slice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from railguard.store.models import Run, TaskRow
from railguard.store.store import utcnow

if TYPE_CHECKING:
    from railguard.store.store import Store

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
TERMINAL = frozenset({DONE, FAILED, CANCELLED})
CANCELLING = "cancelling"  # a run's status once `railguard runs cancel` asked for it


def task_id(run_id: str, kind: str, unit: Mapping[str, Any]) -> str:
    """A deterministic id: the same unit of the same run is always the same row (idempotent inserts)."""
    key = repr((run_id, kind, sorted((k, repr(v)) for k, v in unit.items())))
    return f"t-{hashlib.sha256(key.encode()).hexdigest()[:24]}"


def celery_id(row_id: str, attempt: int) -> str:
    """The broker's id of one attempt (a re-queued task is a new message)."""
    return f"{row_id}.{attempt}"


@dataclass(frozen=True)
class TaskState:
    """A row without its (possibly large) result: what the coordinator polls."""

    id: str
    kind: str
    account: str | None
    region: str | None
    status: str
    attempt: int
    worker: str | None
    queued_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    error: str | None


_STATE_COLS = (TaskRow.id, TaskRow.kind, TaskRow.account, TaskRow.region, TaskRow.status, TaskRow.attempt,
               TaskRow.worker, TaskRow.queued_at, TaskRow.started_at, TaskRow.heartbeat_at, TaskRow.finished_at,
               TaskRow.error)


class TaskRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, run_id: str, kind: str, units: Iterable[Mapping[str, Any]], *,
            now: datetime | None = None) -> list[str]:
        """Insert the units not yet present (a re-run of the task that plans them adds nothing);
        returns the ids of the rows that are still queued, to be sent to the broker."""
        now = now or utcnow()
        rows = {task_id(run_id, kind, u): u for u in units}
        if not rows:
            return []
        with self._store.transaction() as s:
            have = {r[0]: r[1] for r in s.execute(select(TaskRow.id, TaskRow.status).where(TaskRow.id.in_(list(rows))))}
            for tid, u in rows.items():
                if tid not in have:
                    s.add(TaskRow(id=tid, run_id=run_id, kind=kind, account=u.get("account"),
                                  region=u.get("region"), unit=dict(u), status=QUEUED, attempt=1,
                                  queued_at=now, result={}, api_calls={}))
        return [t for t in rows if have.get(t, QUEUED) == QUEUED]

    def begin(self, tid: str, attempt: int, worker: str, *, stale_after: float) -> TaskRow | None:
        """Take the task for this attempt, or None when it must not run: finished, re-queued under a
        newer attempt, its run cancelled, or running elsewhere with a fresh heartbeat (a duplicate
        delivery). A running row whose heartbeat is stale is taken over (its worker died)."""
        now = utcnow()
        with self._store.transaction() as s:
            row = s.get(TaskRow, tid)
            if row is None or row.status in TERMINAL or row.attempt != attempt:
                return None
            run = s.get(Run, row.run_id)
            if run is not None and run.status in (CANCELLING, "cancelled"):
                row.status, row.finished_at, row.error = CANCELLED, now, "run cancelled"
                return None
            if row.status == RUNNING and row.heartbeat_at and now - row.heartbeat_at < timedelta(seconds=stale_after):
                return None
            row.status, row.worker, row.started_at, row.heartbeat_at = RUNNING, worker, now, now
            s.flush()
            s.expunge(row)
            return row

    def heartbeat(self, tid: str, attempt: int) -> bool:
        """Refresh the heartbeat; False when the task should stop (run cancelled, or no longer ours)."""
        with self._store.transaction() as s:
            row = s.get(TaskRow, tid)
            if row is None or row.attempt != attempt or row.status != RUNNING:
                return False
            row.heartbeat_at = utcnow()
            run = s.get(Run, row.run_id)
            return not (run is not None and run.status in (CANCELLING, "cancelled"))

    def finish(self, tid: str, attempt: int, *, status: str, result: Mapping[str, Any] | None = None,
               api_calls: Mapping[str, int] | None = None, error: str | None = None,
               children: Iterable[tuple[str, Mapping[str, Any]]] = ()) -> list[str]:
        """Write the slice (overwriting any earlier write of the same attempt) and the units it planned,
        in one transaction. Returns the ids of the children to send; [] (and nothing written) when the
        attempt is no longer the task's."""
        now = utcnow()
        with self._store.transaction() as s:
            row = s.get(TaskRow, tid)
            if row is None or row.attempt != attempt or row.status in TERMINAL:
                return []
            row.status, row.finished_at, row.error = status, now, error
            row.result, row.api_calls = dict(result or {}), dict(api_calls or {})
            out: list[str] = []
            for kind, unit in children:
                cid = task_id(row.run_id, kind, unit)
                if s.get(TaskRow, cid) is None:
                    s.add(TaskRow(id=cid, run_id=row.run_id, kind=kind, account=unit.get("account"),
                                  region=unit.get("region"), unit=dict(unit), status=QUEUED, attempt=1,
                                  queued_at=now, result={}, api_calls={}))
                    out.append(cid)
            return out

    def requeue(self, tid: str, error: str) -> int | None:
        """A new attempt (the old one can no longer write); None when the task is already finished."""
        with self._store.transaction() as s:
            row = s.get(TaskRow, tid)
            if row is None or row.status in TERMINAL:
                return None
            row.attempt += 1
            row.status, row.error, row.queued_at = QUEUED, error, utcnow()
            row.started_at = row.heartbeat_at = None
            return row.attempt

    def fail(self, tid: str, error: str, status: str = FAILED) -> bool:
        """End the task without a slice (the coordinator turns it into gaps); no attempt can write after."""
        with self._store.transaction() as s:
            row = s.get(TaskRow, tid)
            if row is None or row.status in TERMINAL:
                return False
            row.attempt += 1
            row.status, row.error, row.finished_at = status, error, utcnow()
            return True

    def states(self, run_id: str) -> list[TaskState]:
        with self._store.transaction() as s:
            return [TaskState(*tuple(r)) for r in s.execute(select(*_STATE_COLS).where(TaskRow.run_id == run_id)
                                                     .order_by(TaskRow.queued_at, TaskRow.id))]

    def rows(self, run_id: str, kind: str | None = None) -> list[TaskRow]:
        """Full rows, with their slices (for assembling a finished run)."""
        with self._store.transaction() as s:
            q = select(TaskRow).where(TaskRow.run_id == run_id).order_by(TaskRow.id)
            if kind:
                q = q.where(TaskRow.kind == kind)
            out = list(s.scalars(q))
            s.expunge_all()
            return out

    def get(self, tid: str) -> TaskRow | None:
        with self._store.transaction() as s:
            row = s.get(TaskRow, tid)
            if row is not None:
                s.expunge(row)
            return row

    def counts(self, run_id: str) -> dict[str, int]:
        return dict(Counter(t.status for t in self.states(run_id)))

    def cancel(self, run_id: str) -> list[str]:
        """Mark the run cancelling and its queued tasks cancelled; running tasks stop at their next
        unit. Returns the broker ids of the tasks that had not started (to revoke)."""
        now = utcnow()
        with self._store.transaction() as s:
            run = s.get(Run, run_id)
            if run is not None and run.status == "running":
                run.status = CANCELLING
            queued = [(r[0], r[1]) for r in s.execute(select(TaskRow.id, TaskRow.attempt)
                                                      .where(TaskRow.run_id == run_id, TaskRow.status == QUEUED))]
            s.execute(update(TaskRow).where(TaskRow.run_id == run_id, TaskRow.status == QUEUED)
                      .values(status=CANCELLED, finished_at=now, error="run cancelled"))
            return [celery_id(t, a) for t, a in queued]

    def run_status(self, run_id: str) -> str | None:
        with self._store.transaction() as s:
            run = s.get(Run, run_id)
            return run.status if run is not None else None
