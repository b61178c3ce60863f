"""The cross-worker caps on a real Redis: a slot is shared by every holder, and a dead holder's lease expires."""

from __future__ import annotations

import threading
import time

from railguard.executor.limits import Caps, service_of
from railguard.sources.aws.collector import all_collectors


def test_caps_bound_concurrency_across_holders(redis_url: str) -> None:
    prefix = f"test:{time.time()}"
    holders = [Caps(redis_url, account_limit=2, service_limit=1, prefix=prefix) for _ in range(4)]  # four "workers"
    peak = {"iam": 0, "all": 0}
    now = {"iam": 0, "all": 0}
    lock = threading.Lock()

    def one(c: Caps, service: str) -> None:
        with c.hold("111111111111", service):
            with lock:
                now["all"] += 1
                now[service] = now.get(service, 0) + 1
                peak["all"] = max(peak["all"], now["all"])
                peak[service] = max(peak.get(service, 0), now[service])
            time.sleep(0.05)
            with lock:
                now["all"] -= 1
                now[service] -= 1

    threads = [threading.Thread(target=one, args=(holders[i % 4], "iam" if i % 2 else "s3")) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak["all"] == 2 and peak["iam"] == 1 and peak["s3"] == 1
    assert holders[0].in_use("111111111111") == 0


def test_a_dead_holders_lease_expires(redis_url: str) -> None:
    prefix = f"test:{time.time()}"
    dead = Caps(redis_url, account_limit=1, service_limit=1, lease_s=0.3, prefix=prefix)
    cm = dead.hold("222222222222", "iam")
    cm.__enter__()  # never released: its worker was killed
    assert dead.in_use("222222222222") == 1
    other = Caps(redis_url, account_limit=1, service_limit=1, lease_s=0.3, prefix=prefix)
    with other.hold("222222222222", "iam"):  # would wait forever if the dead lease never expired
        assert other.in_use("222222222222") == 1  # its own lease; the dead one is gone
    assert other.in_use("222222222222") == 0


def test_without_redis_there_is_no_cap() -> None:
    caps = Caps(None)
    with caps.hold("1", "iam"), caps.hold("1", "iam"):
        assert caps.in_use("1") == 0
    assert service_of(next(c for c in all_collectors() if c.name == "iam")) == "iam"
