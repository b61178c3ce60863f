"""The tasks of distributed runs (railguard/executor): one row per unit of work with its slice of results.

Revision ID: 0003_tasks
Revises: 0002_ir_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_tasks"
down_revision = "0002_ir_cases"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("unit", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("queued_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("heartbeat_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("api_calls", sa.JSON, nullable=False),
    )
    op.create_index("ix_tasks_run_status", "tasks", ["run_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_tasks_run_status", "tasks")
    op.drop_table("tasks")
