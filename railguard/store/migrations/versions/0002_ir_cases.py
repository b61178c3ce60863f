"""Incident-response cases: cases, their ordered steps, and their evidence (artefacts with SHA-256).

Revision ID: 0002_ir_cases
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_ir_cases"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ir_cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("subject_type", sa.String(128), nullable=False),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("opened_by", sa.String(256), nullable=True),
        sa.Column("journal_id", sa.String(32), nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_ir_cases_subject", "ir_cases", ["subject"])
    op.create_index("ix_ir_cases_status", "ir_cases", ["status"])
    op.create_table(
        "ir_case_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("ir_cases.id"), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(256), nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.UniqueConstraint("case_id", "phase", "name", name="uq_ir_case_steps_case_phase_name"),
    )
    op.create_index("ix_ir_case_steps_case_id", "ir_case_steps", ["case_id"])
    op.create_table(
        "ir_case_artefacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("ir_cases.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("captured_by", sa.String(256), nullable=True),
        sa.Column("captured_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", "name", name="uq_ir_case_artefacts_case_name"),
    )
    op.create_index("ix_ir_case_artefacts_case_id", "ir_case_artefacts", ["case_id"])


def downgrade() -> None:
    for table in ("ir_case_artefacts", "ir_case_steps", "ir_cases"):
        op.drop_table(table)
