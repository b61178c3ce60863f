from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from railguard.store import Store, open_store
from tests.pghelp import fresh_database, pg_bindir, postgres_server


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    if pg_bindir() is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed: PostgreSQL store tests skipped "
                    "(.ci/run installs Debian's postgresql)")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rg.db'}"
    return fresh_database(request.getfixturevalue("pg_admin"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as s:
        yield s
