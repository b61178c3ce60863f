"""The store's tables (SQLAlchemy 2 declarative). Alembic migrations under `migrations/` create them;
a test checks that the migrated schema and these models agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Run(Base):
    """One scan, guardrail run or event batch."""

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # scan | guardrails | event | approval | undo
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FindingRow(Base):
    """A finding's lifecycle, keyed by its stable fingerprint (control, account, region, resource)."""

    __tablename__ = "findings"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    control_id: Mapped[str] = mapped_column(String(128), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(512), index=True)
    resource_name: Mapped[str | None] = mapped_column(String(512))
    account: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # new|open|resolved|reopened|suppressed
    result: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    last_run_id: Mapped[str | None] = mapped_column(String(32))
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
    times_reopened: Mapped[int] = mapped_column(Integer, default=0)
    last_principal: Mapped[str | None] = mapped_column(String(512))
    last_source_ip: Mapped[str | None] = mapped_column(String(64))
    last_user_agent: Mapped[str | None] = mapped_column(Text)


class FindingHistory(Base):
    """What each run saw of a finding, with the lifecycle transition it caused."""

    __tablename__ = "finding_history"
    __table_args__ = (Index("ix_finding_history_fp_at", "fingerprint", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    changed: Mapped[int] = mapped_column(Integer, default=0)  # 1 when the status changed in this run
    at: Mapped[datetime]
    principal: Mapped[str | None] = mapped_column(String(512))


class ExceptionRow(Base):
    """A reviewed exception: one resource, a tag, or an account; with reason, owner and expiry."""

    __tablename__ = "exceptions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    guardrail: Mapped[str | None] = mapped_column(String(256))  # None: every guardrail
    resource: Mapped[str | None] = mapped_column(String(512))
    tag_key: Mapped[str | None] = mapped_column(String(256))
    tag_value: Mapped[str | None] = mapped_column(String(256))
    account: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(256))
    expires: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(256))


class ActionRow(Base):
    """The journal: one row per planned, pending, applied, held or failed action, with its prior state."""

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_guardrail_created", "guardrail", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    run_id: Mapped[str | None] = mapped_column(String(32), index=True)
    guardrail: Mapped[str] = mapped_column(String(256))
    action_id: Mapped[str] = mapped_column(String(128))
    control_id: Mapped[str | None] = mapped_column(String(128))
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    resource_type: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(512), index=True)
    account: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prior: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)  # `current()` right after apply: undo checks drift
    error: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    principal: Mapped[str | None] = mapped_column(String(512))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    approver: Mapped[str | None] = mapped_column(String(256))
    undo_of: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    undone_at: Mapped[datetime | None]


class Breaker(Base):
    """One row per guardrail: the lock that serialises breaker decisions, and when a human was paged."""

    __tablename__ = "breakers"
    guardrail: Mapped[str] = mapped_column(String(256), primary_key=True)
    tripped_at: Mapped[datetime | None]
    paged_at: Mapped[datetime | None]


class NotificationRow(Base):
    """A message sent (or not) to one channel."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(24), default="run")  # run | needs-human
    guardrail: Mapped[str | None] = mapped_column(String(256))
    title: Mapped[str] = mapped_column(Text)
    ok: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[Any]] = mapped_column(default=list)
    sent_at: Mapped[datetime]


class SeenEvent(Base):
    """Event ids already handled, so that a redelivered CloudTrail record is processed once."""

    __tablename__ = "seen_events"
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), default="cloudtrail")
    seen_at: Mapped[datetime]


class TaskRow(Base):
    """One unit of a distributed run (railguard/executor): an account's discovery, one (account, region,
    collector group) of a scan, or one (account, guardrail). Its slice of results lives here, not in the
    broker; `attempt` is the token a worker must hold to write it, so a late duplicate cannot."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_run_status", "run_id", "status"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # discover | collect | guardrail
    account: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed | cancelled
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    worker: Mapped[str | None] = mapped_column(String(128))
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    api_calls: Mapped[dict[str, Any]] = mapped_column(default=dict)
