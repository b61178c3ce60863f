"""Concurrency caps shared by every worker: at most N collectors at once in one account, and M per
account and service, so that fifty workers do not throttle one account's IAM. Botocore's adaptive
retries stay on underneath; the caps keep the fleet from needing them.

A cap is a Redis sorted set of leases scored by their expiry: a worker that dies mid-collector
leaks nothing for longer than the lease. Acquire is one Lua script (drop expired leases, count,
add) so that two workers never both take the last slot.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class Caps:
    """`with caps.hold(account, service): ...`; without a Redis URL, no cap (one process, local executor)."""

    def __init__(self, url: str | None, *, account_limit: int = 8, service_limit: int = 4,
                 lease_s: float = 900.0, prefix: str = "railguard:cap") -> None:
        self.account_limit, self.service_limit, self.lease_s, self.prefix = account_limit, service_limit, lease_s, prefix
        self._redis: Any = None
        self._script: Any = None
        self.waited_s = 0.0  # time spent waiting for a slot (for the benchmark)
        if url:
            import redis

            self._redis = redis.Redis.from_url(url)
            self._script = self._redis.register_script(_ACQUIRE)

    @contextmanager
    def hold(self, account: str | None, service: str) -> Iterator[None]:
        if self._redis is None or not account:
            yield
            return
        with ExitStack() as stack:
            stack.enter_context(self._slot(f"{self.prefix}:{account}", self.account_limit))
            stack.enter_context(self._slot(f"{self.prefix}:{account}:{service}", self.service_limit))
            yield

    @contextmanager
    def _slot(self, key: str, limit: int) -> Iterator[None]:
        token = uuid.uuid4().hex
        started = time.monotonic()
        delay = 0.02
        while True:
            now_ms = int(time.time() * 1000)
            expiry = now_ms + int(self.lease_s * 1000)
            if self._script(keys=[key], args=[now_ms, limit, expiry, token, int(self.lease_s * 1000) + 60_000]):
                break
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, 0.5)
        self.waited_s += time.monotonic() - started
        try:
            yield
        finally:
            self._redis.zrem(key, token)

    def in_use(self, account: str, service: str | None = None) -> int:
        """Leases held now (for tests and `runs show`)."""
        if self._redis is None:
            return 0
        key = f"{self.prefix}:{account}" + (f":{service}" if service else "")
        self._redis.zremrangebyscore(key, "-inf", int(time.time() * 1000))
        return int(self._redis.zcard(key))


def service_of(collector: Any) -> str:
    """The AWS service a collector mostly calls (`iam`, `s3`, ...), for its per-service cap."""
    calls = getattr(collector, "calls", ()) or ()
    return str(calls[0]).split(":", 1)[0] if calls else str(collector.name)
