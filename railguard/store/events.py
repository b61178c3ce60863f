"""Event ids already handled: a redelivered CloudTrail record is processed once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from railguard.store.models import SeenEvent
from railguard.store.store import utcnow

if TYPE_CHECKING:
    from railguard.store.store import Store


class EventRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def first_time(self, event_id: str, source: str = "cloudtrail") -> bool:
        """Mark `event_id` seen; True only for the first caller (safe across processes)."""
        try:
            with self._store.transaction() as s:
                s.add(SeenEvent(event_id=event_id, source=source, seen_at=utcnow()))
            return True
        except IntegrityError:
            return False

    def claim_many(self, event_ids: Iterable[str], source: str = "cloudtrail") -> set[str]:
        """Claim a batch of event ids in one transaction (one commit, not one per record); the ids
        claimed now. When another worker claims one of them meanwhile, falls back to one at a time."""
        ids = list(dict.fromkeys(e for e in event_ids if e))
        if not ids:
            return set()
        try:
            with self._store.transaction() as s:
                taken = set(s.scalars(select(SeenEvent.event_id).where(SeenEvent.event_id.in_(ids))))
                new = [e for e in ids if e not in taken]
                now = utcnow()
                s.add_all([SeenEvent(event_id=e, source=source, seen_at=now) for e in new])
            return set(new)
        except IntegrityError:
            return {e for e in ids if self.first_time(e, source)}

    def forget(self, event_id: str) -> None:
        """Release a claim whose processing failed, so that the retry processes the event."""
        with self._store.transaction() as s:
            row = s.get(SeenEvent, event_id)
            if row is not None:
                s.delete(row)
