"""Alembic environment: the store hands over an open connection inside one transaction, so that a
failing migration rolls back everything it did (see `railguard.store.db.upgrade`)."""

from __future__ import annotations

from alembic import context

from railguard.store.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    transaction_per_migration=False,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
