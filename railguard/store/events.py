"""Event ids already handled: a redelivered CloudTrail record is processed once."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
