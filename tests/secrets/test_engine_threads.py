"""The shared engine is used from the collectors' thread pool (gap reasons are redacted there)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from railguard.secrets.engine import Engine

KEY = b"aws_secret_access_key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Xa91LmNpQ' " * 50


def test_one_shared_engine_scans_from_many_threads_at_once() -> None:
    engine = Engine.shared()
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _i: len(engine.scan_bytes(KEY)), range(400)))
    assert set(counts) == {50}
