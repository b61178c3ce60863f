"""The throwaway PostgreSQL server does not outlive a pytest that is killed: its watchdog stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pghelp import pg_bindir

ROOT = Path(__file__).resolve().parents[2]
OWNER = """
import sys, time
from tests.pghelp import postgres_server
with postgres_server() as url:
    print(url, flush=True)
    time.sleep(600)
"""


def _running(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(pg_bindir() is None, reason="PostgreSQL binaries (initdb, pg_ctl) not installed")
def test_a_killed_owner_leaves_no_server_running() -> None:
    owner = subprocess.Popen([sys.executable, "-c", OWNER], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert owner.stdout is not None
    url = owner.stdout.readline().strip()
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    assert _running(port)
    owner.send_signal(signal.SIGKILL)  # no fixture teardown runs
    owner.wait()
    for _ in range(120):  # the watchdog polls twice a second; pg_ctl stop takes a moment
        if not _running(port):
            break
        time.sleep(0.5)
    assert not _running(port), f"the server on port {port} outlived its owner"
