"""Loaded into test workers with `railguard worker --include tests.scale.plugin`: slows, bloats or hangs
collectors so that the tests can kill a worker mid-run, overrun the memory guard and catch a stuck task.
Driven by environment variables so each test's workers behave as that test needs."""

from __future__ import annotations

import os
import time
from typing import Any

from railguard.sources.aws import runner

_real = runner.run_collector


def _patched(sess: Any, col: Any, *args: Any, **kwargs: Any) -> Any:
    slow = float(os.environ.get("RG_TEST_SLOW") or 0)
    if slow:
        time.sleep(slow)
    if sess.account == os.environ.get("RG_TEST_HOG_ACCOUNT"):
        hog = []
        while True:  # grows until the task's memory guard stops it
            hog.append(b"\x01" * (8 << 20))
            time.sleep(0.005)
    if sess.account == os.environ.get("RG_TEST_STUCK_ACCOUNT"):
        time.sleep(3600)  # a call that never answers: only the watchdog ends it
    return _real(sess, col, *args, **kwargs)


runner.run_collector = _patched
