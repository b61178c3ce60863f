"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temporary directory, 127.0.0.1, a free port.

Looks for the binaries on PATH and under /usr/lib/postgresql/*/bin. Without them the PostgreSQL
variants of the store tests are skipped with that reason (CI installs Debian's `postgresql`).
PostgreSQL refuses to run as root: as root the server runs as the `postgres` (or `nobody`) user.
A watchdog process stops the server if pytest dies without its fixtures finishing (killed, or a
crash): no server is left running.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0, reverse=True):
        if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/pg_ctl", os.X_OK):
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
            return ["runuser", "-u", user, "--"]
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the admin URL (`postgresql://railguard@127.0.0.1:PORT/postgres`) of a fresh server; stop it after."""
    bindir = pg_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql")
    tmp = Path(tempfile.mkdtemp(prefix="railguard-pg-"))
    prefix = _run_as()
    if prefix:
        user = prefix[2]
        pw = pwd.getpwnam(user)
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    data, log = tmp / "data", tmp / "log"
    port = _free_port()
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "railguard", "--auth=trust",
                        "-E", "UTF8", "--no-sync", "--no-instructions"], check=True, capture_output=True, timeout=120)
        opts = f"-p {port} -c listen_addresses=127.0.0.1 -k {tmp} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        stop = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start"],
                       check=True, capture_output=True, timeout=120)
        watchdog(os.getpid(), data, stop, tmp)
        try:
            yield f"postgresql://railguard@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(stop, capture_output=True, timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_WATCHDOG = """
import os, shutil, subprocess, sys, time
pid, data, tmp, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
while os.path.exists(os.path.join(data, "postmaster.pid")):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        subprocess.run(stop, capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
        break
    time.sleep(0.5)
"""


def watchdog(owner: int, data: Path, stop: list[str], tmp: Path) -> subprocess.Popen[bytes]:
    """A small process that stops the server once `owner` (pytest) is gone; it ends by itself when
    the server is stopped normally. In its own session, so a signal to pytest's group spares it."""
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(owner), str(data), str(tmp), *stop],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def fresh_database(admin_url: str) -> str:
    """Create an empty database on the server; its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url.replace("postgresql://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name
