"""The first schema: runs, findings and their history, exceptions, the action journal, breakers,
notifications and seen events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _resource() -> list[sa.Column[str]]:
    """The resource a finding or an action is about (findings and actions share these columns)."""
    return [sa.Column("resource_type", sa.String(128), nullable=False),
            sa.Column("resource_id", sa.String(512), nullable=False),
            sa.Column("account", sa.String(32), nullable=True),
            sa.Column("region", sa.String(32), nullable=True)]


def _who(prefix: str) -> list[sa.Column[str]]:
    """Who did it, when an event said so: principal, source address, user agent."""
    return [sa.Column(f"{prefix}principal", sa.String(512), nullable=True),
            sa.Column(f"{prefix}source_ip", sa.String(64), nullable=True),
            sa.Column(f"{prefix}user_agent", sa.Text, nullable=True)]


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("control_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        *_resource(),
        sa.Column("resource_name", sa.String(512), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("last_run_id", sa.String(32), nullable=True),
        sa.Column("times_seen", sa.Integer, nullable=False),
        sa.Column("times_reopened", sa.Integer, nullable=False),
        *_who("last_"),
    )
    _indexes("findings", "control_id", "resource_id", "status")
    op.create_table(
        "finding_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("principal", sa.String(512), nullable=True),
    )
    _indexes("finding_history", "run_id")
    op.create_index("ix_finding_history_fp_at", "finding_history", ["fingerprint", "at"])
    op.create_table(
        "exceptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("guardrail", sa.String(256), nullable=True),
        sa.Column("resource", sa.String(512), nullable=True),
        sa.Column("tag_key", sa.String(256), nullable=True),
        sa.Column("tag_value", sa.String(256), nullable=True),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("owner", sa.String(256), nullable=False),
        sa.Column("expires", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=True),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("idempotency_key", sa.String(64), nullable=True, unique=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("guardrail", sa.String(256), nullable=False),
        sa.Column("action_id", sa.String(128), nullable=False),
        sa.Column("control_id", sa.String(128), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        *_resource(),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("prior", sa.JSON, nullable=False),
        sa.Column("applied", sa.JSON, nullable=False),
        sa.Column("after", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("trigger", sa.String(32), nullable=False),
        *_who(""),
        sa.Column("approver", sa.String(256), nullable=True),
        sa.Column("undo_of", sa.String(32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("applied_at", TS, nullable=True),
        sa.Column("verified_at", TS, nullable=True),
        sa.Column("undone_at", TS, nullable=True),
    )
    _indexes("actions", "run_id", "fingerprint", "resource_id", "status")
    op.create_index("ix_actions_guardrail_created", "actions", ["guardrail", "created_at"])
    op.create_table(
        "breakers",
        sa.Column("guardrail", sa.String(256), primary_key=True),
        sa.Column("tripped_at", TS, nullable=True),
        sa.Column("paged_at", TS, nullable=True),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("guardrail", sa.String(256), nullable=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("ok", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("sent_at", TS, nullable=False),
    )
    _indexes("notifications", "run_id")
    op.create_table(
        "seen_events",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("seen_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("seen_events", "notifications", "breakers", "actions", "exceptions", "finding_history",
                  "findings", "runs"):
        op.drop_table(table)
