"""The schema comes from one linear Alembic history, matches the models, and a failing migration changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from railguard.store import StoreError, default_url, open_store
from railguard.store.db import MIGRATIONS, make_engine, normalize_url, upgrade
from railguard.store.models import Base


def test_one_alembic_head() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}; rebase your revision onto the head"


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    with open_store(store_url) as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        assert MigrationContext.configure(conn).get_current_revision() is not None


def test_open_twice_is_a_no_op(store_url: str) -> None:
    with open_store(store_url) as a:
        a.exceptions.add(resource="sg-1", reason="r", owner="o", expires=None)
    with open_store(store_url) as b:
        assert [e.resource for e in b.exceptions.list()] == ["sg-1"]


def test_a_failing_migration_leaves_the_database_as_it_was(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url) as store:
        store.exceptions.add(resource="sg-keep", reason="r", owner="o", expires=None)
        before = sorted(inspect(store.engine).get_table_names())
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()  # later revisions (ir cases, tasks) move it
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    (scripts / "versions" / "9999_broken.py").write_text(
        '"""broken"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n"
        f"revision = '9999'\ndown_revision = '{head}'\nbranch_labels = None\ndepends_on = None\n"
        "def upgrade():\n"
        "    op.create_table('half_done', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.add_column('exceptions', sa.Column('extra', sa.Text))\n"
        "    op.execute('SELECT * FROM no_such_table')\n"
        "def downgrade():\n    pass\n"
    )
    engine = make_engine(normalize_url(store_url))
    with pytest.raises(StoreError, match="cannot migrate"):
        upgrade(engine, scripts)
    insp = inspect(engine)
    assert sorted(insp.get_table_names()) == before
    assert "extra" not in {c["name"] for c in insp.get_columns("exceptions")}
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    engine.dispose()
    with open_store(store_url) as store:
        assert [e.resource for e in store.exceptions.list()] == ["sg-keep"]


def test_default_location_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RAILGUARD_DB", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path}/railguard/railguard.db"
    with open_store() as store:
        assert store.dialect == "sqlite"
    assert (tmp_path / "railguard" / "railguard.db").is_file()
    monkeypatch.setenv("RAILGUARD_DB", str(tmp_path / "other.db"))
    with open_store() as store:
        assert store.url.endswith("other.db")


def test_bad_urls_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="nosuchdb"):
        open_store("nosuchdb+nodriver://x/y")
    with pytest.raises(StoreError):
        open_store("postgresql://nobody:secret@127.0.0.1:1/x")
    try:
        open_store("postgresql://nobody:secret@127.0.0.1:1/x")
    except StoreError as exc:
        assert "secret" not in str(exc)
