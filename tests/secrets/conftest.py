"""Fixtures for the secrets tests: one compiled engine per worker, seeded sample secrets."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from railguard.secrets.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20240601)


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=check)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    git(r, "config", "user.email", "dev@example.org")
    git(r, "config", "user.name", "Dev")
    git(r, "config", "commit.gpgsign", "false")
    return r
