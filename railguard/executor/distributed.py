"""The Celery executor's coordinator: plan the units, send them, watch them, assemble the slices.

The coordinator is the only process that decides a task's fate:

- a task whose heartbeat went stale (its worker was killed) is re-queued under a new attempt, up to
  `max_attempts`, then failed;
- a task running past `task_deadline` although it beats (stuck in a call) is revoked and re-queued
  the same way; a task no worker took within `queue_deadline` is failed (no worker on the queue);
- a failed task becomes gaps for its slice (those items are UNKNOWN, never PASS);
- `railguard runs cancel` marks the run: queued tasks are revoked, running ones stop at their next
  unit, and the coordinator ends the run as cancelled.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from railguard.executor.seam import Executor, Gathered, RunCancelled
from railguard.model import GLOBAL, Gap

if TYPE_CHECKING:
    from railguard.engine.scan import ScanOptions
    from railguard.executor.settings import ExecutorSettings
    from railguard.guardrails.load import GuardrailSet
    from railguard.store import Store
    from railguard.store.tasks import TaskRepo, TaskState


class ExecutorSetupError(Exception):
    """The distributed executor cannot start (no broker, no store): a usage error."""


class CeleryExecutor(Executor):
    name = "celery"
    _resent: dict[str, int]

    def __init__(self, settings: ExecutorSettings, store_url: str | None) -> None:
        self.settings = settings
        broker = settings.broker_url()
        if not broker:
            raise ExecutorSetupError("the celery executor needs a broker: `executor: {name: celery, broker: "
                                     "redis://HOST:6379/0}` in railguard.yaml or RAILGUARD_BROKER_URL")
        self.broker = broker
        self.store_url = store_url

    def _app(self) -> Any:
        from railguard.executor.app import make_app

        return make_app(self.broker, self.settings.result_backend, queue=self.settings.queue,
                        transport_options=self.settings.broker_options)

    def _store(self) -> Store:
        from railguard.store import open_store

        return open_store(self.store_url)

    # -- scans -------------------------------------------------------------------------------------

    def collect(self, types: set[str] | frozenset[str], options: ScanOptions, *, now: datetime,
                progress_total: Callable[[int], None] | None = None,
                progress: Callable[[str], None] | None = None) -> Gathered:
        from railguard.executor.accounts import list_targets, spec_of
        from railguard.sources.aws.session import CallCounter
        from railguard.store.tasks import TaskRepo

        counter = CallCounter()
        targets = list_targets(options, counter)
        spec = {**spec_of(options), "types": sorted(types), "regions": list(options.regions), "now": now.isoformat(),
                "collectors_per_task": self.settings.collectors_per_task}
        with self._store() as store:
            tasks = TaskRepo(store)
            run = store.runs.start("scan", trigger="scan", now=now,
                                   meta={"executor": "celery", "spec": spec, "accounts": [t.account for t in targets]})
            app = self._app()
            units = [{"account": t.account, "assume": t.assume} for t in targets]
            for tid in tasks.add(run.id, "discover", units):
                _send(app, "discover", tid, 1, self.settings.queue)
            try:
                self.wait(app, tasks, run.id, progress_total=progress_total, progress=progress)
            except RunCancelled:
                store.runs.finish(run.id, status="cancelled", counts=tasks.counts(run.id))
                raise
            out = assemble_scan(tasks, run.id, [t.account for t in targets])
            calls = Counter(counter.snapshot())
            calls.update(out.api_calls)
            out.api_calls = dict(calls)
            store.runs.finish(run.id, status="ok", counts=tasks.counts(run.id))
            return out

    # -- guardrail runs ----------------------------------------------------------------------------

    def guardrails(self, guardrails: GuardrailSet, options: ScanOptions, store: Store, *, apply: bool,
                   trigger: str) -> tuple[Any, Any]:
        from railguard.executor.guardrails import coordinate

        return coordinate(self, guardrails, options, store, apply=apply, trigger=trigger)

    # -- the watch loop ----------------------------------------------------------------------------

    def wait(self, app: Any, tasks: TaskRepo, run_id: str, *, progress_total: Callable[[int], None] | None = None,
             progress: Callable[[str], None] | None = None) -> None:
        """Until every task is finished: watchdog, progress, cancellation."""
        from railguard.store.tasks import CANCELLING, RUNNING, TERMINAL

        done: set[str] = set()
        total = 0
        warned = False
        self._resent: dict[str, int] = {}
        while True:
            states = tasks.states(run_id)
            if progress_total and len(states) != total:
                total = len(states)
                progress_total(total)
            for st in states:
                if st.status in TERMINAL and st.id not in done:
                    done.add(st.id)
                    if progress:
                        progress(f"{st.kind} {st.account or ''} {st.region or ''}".strip())
            status = tasks.run_status(run_id)
            if status == CANCELLING:
                revoke(app, tasks.cancel(run_id))
                if not any(st.status == RUNNING for st in states):
                    raise RunCancelled(f"run {run_id} was cancelled")
            elif all(st.status in TERMINAL for st in states):
                return
            warned = self.watchdog(app, tasks, states, warned) or warned
            time.sleep(self.settings.poll)

    def watchdog(self, app: Any, tasks: TaskRepo, states: Iterable[TaskState], warned: bool) -> bool:
        """Re-queue or fail the tasks whose worker died or that are stuck; True when it warned."""
        from railguard.store.tasks import QUEUED, RUNNING, celery_id, utcnow

        s = self.settings
        now = utcnow()
        waiting = 0
        states = list(states)
        idle = not any(st.status == RUNNING for st in states)
        for st in states:
            if st.status == RUNNING:
                beat = st.heartbeat_at or st.started_at or st.queued_at
                if now - beat > timedelta(seconds=s.heartbeat_stale):
                    self._retry(app, tasks, st, f"worker {st.worker} stopped beating (killed?)")
                elif st.started_at and now - st.started_at > timedelta(seconds=s.task_deadline):
                    revoke(app, [celery_id(st.id, st.attempt)], terminate=True)
                    self._retry(app, tasks, st, f"stuck: running for more than {s.task_deadline:g} s")
            elif st.status == QUEUED:
                age = now - st.queued_at
                if age > timedelta(seconds=s.queue_deadline):
                    tasks.fail(st.id, f"no worker took the task within {s.queue_deadline:g} s "
                                      f"(is a `railguard worker` consuming queue {s.queue!r}?)")
                elif idle and age > timedelta(seconds=s.heartbeat_stale * (1 + self._resent.get(st.id, 0))):
                    # nothing runs yet this waits: its message went down with a killed worker that had
                    # reserved it; send it again (a duplicate is harmless: the store lets one run)
                    self._resent[st.id] = self._resent.get(st.id, 0) + 1
                    _send(app, st.kind, st.id, st.attempt, s.queue)
                elif age > timedelta(seconds=min(60.0, s.queue_deadline / 2)):
                    waiting += 1
        if waiting and not warned:
            print(f"railguard: {waiting} task(s) waiting for a worker on queue {s.queue!r}", file=sys.stderr)
            return True
        return False

    def _retry(self, app: Any, tasks: TaskRepo, st: TaskState, why: str) -> None:
        if st.attempt >= self.settings.max_attempts:
            tasks.fail(st.id, f"{why}; gave up after {st.attempt} attempt(s)")
            return
        attempt = tasks.requeue(st.id, why)
        if attempt is not None:
            _send(app, st.kind, st.id, attempt, self.settings.queue)


def _send(app: Any, kind: str, tid: str, attempt: int, queue: str) -> None:
    from railguard.executor.app import send

    send(app, kind, tid, attempt, queue)


def revoke(app: Any, ids: list[str], *, terminate: bool = False) -> None:
    """Best effort: a revoked id is dropped by the workers that see it; the store decides anyway."""
    from railguard.executor.app import is_sqs

    if not ids or is_sqs(str(app.conf.broker_url or "")):
        return  # SQS has no broadcast channel: the workers find the run cancelled in the store
    try:
        app.control.revoke(ids, terminate=terminate, signal="SIGKILL" if terminate else "SIGTERM")
    except Exception as exc:  # a broker that is down: the tasks find their run cancelled in the store
        print(f"railguard: cannot revoke through the broker ({exc}); tasks will stop on their own",
              file=sys.stderr)


def assemble_scan(tasks: TaskRepo, run_id: str, accounts: list[str]) -> Gathered:
    """The run from its slices; a slice that failed is gaps for everything it would have read."""
    from railguard.executor.codec import gap_from_json, resource_from_json
    from railguard.sources.aws.collector import all_collectors
    from railguard.sources.aws.runner import RegionError, _account_resource
    from railguard.store.tasks import DONE

    by_name = {c.name: c for c in all_collectors()}
    out = Gathered(accounts=accounts, run_id=run_id)
    calls: Counter[str] = Counter()
    for row in tasks.rows(run_id):
        calls.update(row.api_calls or {})
        acct = row.account
        if row.status == DONE:
            if row.result.get("fatal"):
                raise RegionError(row.result["fatal"])
            out.resources += [resource_from_json(r) for r in row.result.get("resources", [])]
            out.gaps += [gap_from_json(g) for g in row.result.get("gaps", [])]
            if row.kind == "discover" and acct is not None:
                out.regions[acct] = list(row.result.get("regions", []))
            continue
        reason = f"task {row.status}: {row.error or 'no reason recorded'}"
        if row.kind == "discover":
            out.gaps.append(Gap("*", acct, GLOBAL, f"account not scanned ({reason})"))
            if acct is not None:
                out.resources.append(_account_resource(acct, []))
                out.regions[acct] = []
            continue
        region = row.unit.get("region") or GLOBAL
        for name in row.unit.get("collectors", []):
            col = by_name.get(name)
            for t in col.yields if col else ("*",):
                out.gaps.append(Gap(t, acct, region, f"{name} collector not run in {region} ({reason})"))
    out.api_calls = dict(calls)
    return out
