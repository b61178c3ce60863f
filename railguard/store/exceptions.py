"""Exceptions kept in the store (`railguard exceptions add`), beside those written in guardrail files."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from railguard.store.models import ExceptionRow
from railguard.store.store import new_id, utcnow

if TYPE_CHECKING:
    from railguard.store.store import Store


class ExceptionRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, *, reason: str, owner: str, expires: datetime | None, guardrail: str | None = None,
            resource: str | None = None, tag_key: str | None = None, tag_value: str | None = None,
            account: str | None = None, created_by: str | None = None) -> ExceptionRow:
        if not (resource or tag_key or account):
            raise ValueError("an exception names a resource, a tag or an account")
        row = ExceptionRow(id=new_id("x"), guardrail=guardrail, resource=resource, tag_key=tag_key,
                           tag_value=tag_value, account=account, reason=reason, owner=owner, expires=expires,
                           created_at=utcnow(), created_by=created_by)
        with self._store.transaction() as s:
            s.add(row)
        return row

    def list(self, guardrail: str | None = None) -> list[ExceptionRow]:
        with self._store.transaction() as s:
            q = select(ExceptionRow).order_by(ExceptionRow.created_at)
            rows = list(s.scalars(q))
        return [r for r in rows if guardrail is None or r.guardrail in (None, guardrail)]

    def remove(self, exception_id: str) -> bool:
        with self._store.transaction() as s:
            row = s.get(ExceptionRow, exception_id)
            if row is None:
                return False
            s.delete(row)
            return True
