"""The Celery tasks `railguard worker` runs. Messages carry only (task id, attempt): the unit and the
run's parameters are read from the store, and the slice is written back to it.

- `railguard.discover`: enter one account, list its regions, write its account/region resources,
  and plan its (account, region, collector group) units, which it sends on;
- `railguard.collect`: run one collector group in one account and region;
- `railguard.guardrail`: run one guardrail over one account (collect, evaluate, remediation pipeline);
- `railguard.ir_case`: run one incident-response case in its account.

Each task beats a heartbeat into its row (the coordinator's watchdog tells a dead worker from a slow
one by it), stops at its next collector when its run is cancelled, and is killed by its own memory
guard past `--task-memory`: its slice is then a gap, the worker replaces the child, the queue goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded

log = logging.getLogger("railguard.worker")


class Cancelled(Exception):
    """The run was cancelled: the task stops before its next unit."""


class _Process:
    """What one worker child keeps between tasks: the store, the AWS sessions, the caps, the run specs."""

    def __init__(self) -> None:
        from railguard.executor.accounts import SessionCache
        from railguard.executor.limits import Caps
        from railguard.store import open_store
        from railguard.store.tasks import TaskRepo

        conf = current_app.conf
        self.pid = os.getpid()
        self.store = open_store(conf.get("railguard_db"))
        self.tasks = TaskRepo(self.store)
        self.sessions = SessionCache(conf.get("railguard_creds_dir"))
        self.caps = Caps(conf.get("railguard_limits"), account_limit=int(conf.get("railguard_account_cap", 8)),
                         service_limit=int(conf.get("railguard_service_cap", 4)))
        self.memory_mb = float(conf.get("railguard_task_memory_mb") or 0)
        self.heartbeat_s = float(conf.get("railguard_heartbeat_s", 2.0))
        self.stale_s = float(conf.get("railguard_stale_s", 30.0))
        self.threads = int(conf.get("railguard_threads", 8))
        self.name = f"{socket.gethostname()}:{self.pid}"
        self._specs: dict[str, dict[str, Any]] = {}

    def spec(self, run_id: str) -> dict[str, Any]:
        if run_id not in self._specs:
            run = self.store.runs.get(run_id)
            self._specs[run_id] = dict((run.meta if run else {}).get("spec") or {})
        return self._specs[run_id]


_proc: _Process | None = None


def process() -> _Process:
    global _proc
    if _proc is None or _proc.pid != os.getpid():  # opened after the fork, once per child
        _proc = _Process()
    return _proc


def rss_mb() -> float:
    """This process's resident memory, from /proc (no extra dependency)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


class _Guard:
    """Heartbeat and memory guard of one task, on a daemon thread."""

    def __init__(self, p: _Process, tid: str, attempt: int) -> None:
        self.p, self.tid, self.attempt = p, tid, attempt
        self.stop = threading.Event()
        self.cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="railguard-guard")

    def __enter__(self) -> _Guard:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(timeout=5)

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled

    def _run(self) -> None:
        beat_every, tick = self.p.heartbeat_s, 0.05
        waited = 0.0
        while not self.stop.wait(tick):
            if self.p.memory_mb and rss_mb() > self.p.memory_mb:
                self._over_memory()
            waited += tick
            if waited >= beat_every:
                waited = 0.0
                try:
                    if not self.p.tasks.heartbeat(self.tid, self.attempt):
                        self.cancelled.set()
                except Exception:  # a store hiccup: the next beat tries again
                    log.warning("heartbeat of %s failed", self.tid, exc_info=True)

    def _over_memory(self) -> None:
        from railguard.store.tasks import FAILED

        reason = f"the task exceeded its memory limit ({self.p.memory_mb:.0f} MB); the worker child was replaced"
        try:
            self.p.tasks.finish(self.tid, self.attempt, status=FAILED, error=reason)
        finally:
            log.error("%s: %s", self.tid, reason)
            os._exit(70)  # the parent replaces the child; the redelivered message finds the task finished


def _run_task(tid: str, attempt: int, body: Callable[[_Process, Any, dict[str, Any], _Guard], Any]) -> str:
    from railguard.sources.aws.errors import describe
    from railguard.store.tasks import CANCELLED, DONE, FAILED

    p = process()
    row = p.tasks.begin(tid, attempt, p.name, stale_after=p.stale_s)
    if row is None:
        return "skipped"
    spec = p.spec(row.run_id)
    with _Guard(p, tid, attempt) as guard:
        try:
            result, calls, children = body(p, row, spec, guard)
        except Cancelled:
            p.tasks.finish(tid, attempt, status=CANCELLED, error="run cancelled")
            return "cancelled"
        except SoftTimeLimitExceeded:
            limit = current_app.conf.get("task_soft_time_limit")
            p.tasks.finish(tid, attempt, status=FAILED, error=f"the task exceeded its time limit ({limit} s)")
            return "failed"
        except Exception as exc:
            log.exception("task %s failed", tid)
            p.tasks.finish(tid, attempt, status=FAILED, error=f"the task failed ({describe(exc)})")
            return "failed"
    sent = p.tasks.finish(tid, attempt, status=DONE, result=result, api_calls=calls, children=children)
    from railguard.executor.app import send

    queue = current_app.conf.get("railguard_queue", "railguard")
    for child in sent:
        send(current_app, "collect", child, 1, queue)
    return "done"


def _now(spec: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(spec["now"])


@shared_task(name="railguard.discover")
def discover(tid: str, attempt: int) -> str:
    return _run_task(tid, attempt, _discover)


def _discover(p: _Process, row: Any, spec: dict[str, Any], guard: _Guard) -> tuple[Any, Any, Any]:
    from railguard.executor.codec import gap_to_json, resource_to_json
    from railguard.sources.aws.collector import REGIONAL, collectors_for
    from railguard.sources.aws.runner import RegionError, enter_account
    from railguard.sources.aws.session import CallCounter

    unit = row.unit
    counter = CallCounter()
    sess = p.sessions.enter(spec, unit["account"], unit["assume"], counter)
    try:
        entered = enter_account(sess, spec.get("regions") or None)
    except RegionError as exc:
        return {"fatal": str(exc), "resources": [], "gaps": [], "regions": []}, counter.snapshot(), []
    children: list[tuple[str, dict[str, Any]]] = []
    if entered.home is not None:
        cols = collectors_for(spec["types"])
        per = int(spec.get("collectors_per_task") or 0) or len(cols) or 1
        regional = [c.name for c in cols if c.scope == REGIONAL]
        global_ = [c.name for c in cols if c.scope != REGIONAL]
        base = {"account": unit["account"], "assume": unit["assume"]}
        for i in range(0, len(global_), per):
            children.append(("collect", {**base, "region": "global", "client_region": entered.home,
                                         "collectors": global_[i:i + per]}))
        for reg in entered.regions:
            for i in range(0, len(regional), per):
                children.append(("collect", {**base, "region": reg, "client_region": reg,
                                             "collectors": regional[i:i + per]}))
    result = {"resources": [resource_to_json(r) for r in entered.resources],
              "gaps": [gap_to_json(g) for g in entered.gaps], "regions": entered.regions}
    return result, counter.snapshot(), children


@shared_task(name="railguard.collect")
def collect(tid: str, attempt: int) -> str:
    return _run_task(tid, attempt, _collect)


def _collect(p: _Process, row: Any, spec: dict[str, Any], guard: _Guard) -> tuple[Any, Any, Any]:
    from railguard.executor.codec import gap_to_json, resource_to_json
    from railguard.sources.aws.session import CallCounter

    unit = row.unit
    counter = CallCounter()
    sess = p.sessions.enter(spec, unit["account"], unit["assume"], counter)
    if sess.error:
        raise RuntimeError(sess.error)
    resources, gaps = run_collectors(p, sess, unit["collectors"], unit["client_region"], unit["region"],
                                     frozenset(spec["types"]), _now(spec), guard)
    result = {"resources": [resource_to_json(r) for r in resources], "gaps": [gap_to_json(g) for g in gaps]}
    return result, counter.snapshot(), []


def run_collectors(p: _Process, sess: Any, names: list[str], region: str, scope_region: str,
                   needed: frozenset[str], now: datetime, guard: _Guard) -> tuple[list[Any], list[Any]]:
    """A group of collectors in one account and region, a few at once, each under the fleet's caps."""
    from railguard.executor.limits import service_of
    from railguard.sources.aws.collector import all_collectors
    from railguard.sources.aws.runner import run_collector

    by_name = {c.name: c for c in all_collectors()}
    cols = [by_name[n] for n in names]

    def one(col: Any) -> tuple[list[Any], list[Any]]:
        guard.check()
        with p.caps.hold(sess.account, service_of(col)):
            guard.check()
            return run_collector(sess, col, region, scope_region, needed, now)

    resources: list[Any] = []
    gaps: list[Any] = []
    if len(cols) <= 1:
        outs = [one(c) for c in cols]
    else:
        with ThreadPoolExecutor(max_workers=min(p.threads, len(cols)), thread_name_prefix="collect") as pool:
            outs = list(pool.map(one, cols))
    for rs, gs in outs:
        resources += rs
        gaps += gs
    return resources, gaps


@shared_task(name="railguard.guardrail")
def guardrail(tid: str, attempt: int) -> str:
    return _run_task(tid, attempt, _guardrail)


def _guardrail(p: _Process, row: Any, spec: dict[str, Any], guard: _Guard) -> tuple[Any, Any, Any]:
    from railguard.executor.guardrails import run_unit

    return run_unit(p, row, spec, guard)


@shared_task(name="railguard.ir_case")
def ir_case(tid: str, attempt: int) -> str:
    return _run_task(tid, attempt, _ir_case)


def _ir_case(p: _Process, row: Any, spec: dict[str, Any], guard: _Guard) -> tuple[Any, Any, Any]:
    from railguard.executor.response import run_unit

    return run_unit(p, row, spec, guard)


PRELOADED = ("sts", "organizations", "ec2", "s3", "s3control", "iam")  # what nearly every scan reads


def preload() -> None:
    """Imports and parsed service models made once in `railguard worker`'s parent, before it forks its
    children (shared copy-on-write): otherwise each child pays them on its first task, about two
    seconds of CPU each, which on a busy machine is the engine's overhead."""
    import importlib

    from railguard.sources.aws.collector import all_collectors
    from railguard.sources.aws.session import shared_session

    all_collectors()
    for mod in ("railguard.store", "railguard.store.tasks", "railguard.executor.accounts", "railguard.executor.codec",
                "railguard.executor.limits", "railguard.executor.guardrails", "railguard.executor.response",
                "railguard.sources.aws.runner", "railguard.engine.evaluate", "railguard.remediation.pipeline",
                "railguard.ir.service"):
        importlib.import_module(mod)
    sess = shared_session({"AccessKeyId": "preload", "SecretAccessKey": "preload", "SessionToken": "preload"},
                          "us-east-1")
    for svc in PRELOADED:  # no request: parses the model and endpoint rules the first tasks need
        sess.client(svc, region_name="us-east-1")
