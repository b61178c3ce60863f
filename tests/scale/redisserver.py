"""A throwaway redis-server from Debian's package on 127.0.0.1 (for tests/scale and benchmarks/scale.py)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def binary() -> str | None:
    return shutil.which("redis-server")


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Start redis-server on a free port with no persistence; yields its URL; stops it on exit."""
    exe = binary()
    if exe is None:
        raise FileNotFoundError("redis-server is not installed (Debian package redis-server)")
    import redis

    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "",
                             "--appendonly", "no", "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
