"""`Store`: one database, its repositories, opened (and migrated) by `open_store`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from railguard.store.db import _safe, default_url, make_engine, normalize_url, upgrade

_Row = TypeVar("_Row")


def new_id(prefix: str) -> str:
    """Short ids a person can type: `r-3f9a1c2b7d4e`, `a-...`, `x-...`."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """The database and its repositories: `runs`, `findings`, `journal`, `exceptions`, `notifications`, `events`."""

    def __init__(self, engine: Engine) -> None:
        from railguard.store.cases import CaseRepo
        from railguard.store.events import EventRepo
        from railguard.store.exceptions import ExceptionRepo
        from railguard.store.findings import FindingRepo
        from railguard.store.journal import Journal
        from railguard.store.notifications import NotificationRepo
        from railguard.store.runs import RunRepo

        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.runs = RunRepo(self)
        self.findings = FindingRepo(self)
        self.journal = Journal(self)
        self.exceptions = ExceptionRepo(self)
        self.notifications = NotificationRepo(self)
        self.events = EventRepo(self)
        self.cases = CaseRepo(self)  # incident-response cases (railguard.ir)

    @property
    def url(self) -> str:
        """The URL with its password masked (safe to print)."""
        return _safe(str(self.engine.url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def update_row(self, model: type[_Row], key: str, **fields: Any) -> _Row:
        """Set `fields` on the row `key` of `model` and stamp `updated_at`, in one transaction."""
        with self.transaction() as s:
            row = s.get(model, key)
            if row is None:
                raise KeyError(key)
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utcnow()  # type: ignore[attr-defined]
            return row

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def open_store(url: str | None = None) -> Store:
    """Open (creating and migrating as needed) the store at `url`, else `RAILGUARD_DB`, else the default file."""
    engine = make_engine(normalize_url(url or default_url()))
    try:
        upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return Store(engine)
