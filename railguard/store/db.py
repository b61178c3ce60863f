"""Opening the store: the URL, the engine, and the migrations that run on every open.

SQLite by default (a file under the user's state directory), PostgreSQL by URL. On SQLite the
driver's implicit transactions are replaced by explicit `BEGIN IMMEDIATE`, so that DDL is
transactional (a failed migration leaves the file as it was) and concurrent writers queue
instead of interleaving (the idempotency and breaker decisions rely on it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(Exception):
    """The store cannot be opened or migrated; the message says why."""


def default_url() -> str:
    """`RAILGUARD_DB`, else a SQLite file under `$XDG_STATE_HOME/railguard/` (or ~/.local/state)."""
    env = os.environ.get("RAILGUARD_DB")
    if env:
        return env
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return f"sqlite:///{base / 'railguard' / 'railguard.db'}"


def normalize_url(url: str) -> str:
    """A bare path means a SQLite file; `postgresql://` means psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"not a database URL: {_safe(url)} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            try:
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the directory of {db}: {exc}") from None
        engine = create_engine(parsed, connect_args={"timeout": 60, "check_same_thread": False})
        _sqlite_transactions(engine)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # a missing driver
        raise StoreError(f"cannot use {_safe(url)}: {exc}") from None


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN/COMMIT from the driver
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(engine: Engine, script_location: Path | None = None) -> None:
    """Bring the schema to the head revision, all in one transaction (a failure changes nothing)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location or MIGRATIONS))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # two processes opening a new database at once
                conn.execute(text("SELECT pg_advisory_xact_lock(7270011)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:
        raise StoreError(f"cannot migrate the store at {_safe(str(engine.url))}: {exc}") from exc


def _safe(url: str) -> str:
    """A URL with its password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable URL>"
