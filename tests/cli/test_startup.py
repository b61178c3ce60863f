"""Every `railguard` command starts by building the whole command tree: that must not load the
store (SQLAlchemy), boto3 or the notification client, which cost a third of a second of CPU per
invocation (a pre-commit hook, a CI step, each test that runs the CLI)."""

from __future__ import annotations

import subprocess
import sys


def test_building_the_cli_loads_no_heavy_library() -> None:
    code = ("import sys; from railguard.cli.main import command; command(); "
            "print(sorted(m for m in ('sqlalchemy', 'boto3', 'botocore', 'httpx', 'alembic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
