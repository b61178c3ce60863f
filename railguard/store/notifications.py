"""Notifications sent per run and channel, delivered or not (an undelivered one is kept with its error)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from railguard.store.models import NotificationRow
from railguard.store.store import utcnow

if TYPE_CHECKING:
    from railguard.store.store import Store


class NotificationRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, *, channel: str, title: str, ok: bool, attempts: int = 1, error: str | None = None,
               run_id: str | None = None, kind: str = "run", guardrail: str | None = None,
               items: Sequence[Mapping[str, Any]] = ()) -> NotificationRow:
        row = NotificationRow(run_id=run_id, channel=channel, kind=kind, guardrail=guardrail, title=title,
                              ok=int(ok), attempts=attempts, error=error, items=[dict(i) for i in items],
                              sent_at=utcnow())
        with self._store.transaction() as s:
            s.add(row)
        return row

    def list(self, run_id: str | None = None) -> list[NotificationRow]:
        with self._store.transaction() as s:
            q = select(NotificationRow).order_by(NotificationRow.id)
            if run_id:
                q = q.where(NotificationRow.run_id == run_id)
            return list(s.scalars(q))
