"""Runs: one row per scan, guardrail run, approval or undo, with its counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from railguard.store.models import Run
from railguard.store.store import new_id, utcnow

if TYPE_CHECKING:
    from railguard.store.store import Store


class RunRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def start(self, kind: str, *, trigger: str = "manual", meta: Mapping[str, Any] | None = None,
              now: datetime | None = None) -> Run:
        run = Run(id=new_id("r"), kind=kind, trigger=trigger, started_at=now or utcnow(), status="running",
                  meta=dict(meta or {}), counts={})
        with self._store.transaction() as s:
            s.add(run)
        return run

    def finish(self, run_id: str, *, counts: Mapping[str, Any] | None = None, status: str = "ok",
               meta: Mapping[str, Any] | None = None, now: datetime | None = None) -> None:
        with self._store.transaction() as s:
            run = s.get(Run, run_id)
            if run is None:
                return
            run.finished_at = now or utcnow()
            run.status = status
            run.counts = dict(counts or {})
            if meta:
                run.meta = {**run.meta, **meta}

    def get(self, run_id: str) -> Run | None:
        with self._store.transaction() as s:
            return s.get(Run, run_id)

    def latest(self, kind: str | None = None, limit: int = 20) -> list[Run]:
        with self._store.transaction() as s:
            q = select(Run).order_by(Run.started_at.desc()).limit(limit)
            if kind:
                q = q.where(Run.kind == kind)
            return list(s.scalars(q))
