"""Guardrail runs on Celery: one task per (account, guardrail).

Each task collects what its guardrail's controls read in its account, evaluates them and hands the
findings to the same remediation pipeline as a local run, under the coordinator's run id. The
pipeline's claims in the store (idempotency keys, the breaker's window under a row lock) are what
keep "exactly N actions" true whichever workers take the tasks, and make a re-run of a task after
its worker died skip what it already did.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from railguard.engine.scan import ScanOptions
    from railguard.executor.distributed import CeleryExecutor
    from railguard.guardrails.load import GuardrailSet, Rule
    from railguard.store import Store


@dataclass
class Observed:
    """What the CLI reads back from a distributed guardrail run (no sessions: they live in the workers)."""

    api_calls: dict[str, int] = field(default_factory=dict)
    sessions: list[Any] = field(default_factory=list)


class _WorkerEnviron(Mapping[str, str]):
    """The worker's environment, with unset variables empty: a worker never notifies, so a webhook
    URL it lacks must not stop it from loading the guardrails."""

    def __getitem__(self, key: str) -> str:
        return os.environ.get(key, "")

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def coordinate(ex: CeleryExecutor, guardrails: GuardrailSet, options: ScanOptions, store: Store, *,
               apply: bool, trigger: str) -> tuple[Any, Observed]:
    from collections import Counter

    from railguard.executor.accounts import list_targets, spec_of
    from railguard.executor.seam import RunCancelled
    from railguard.remediation.alerts import send
    from railguard.remediation.pipeline import PipelineResult
    from railguard.sources.aws.session import CallCounter
    from railguard.store import utcnow
    from railguard.store.tasks import TaskRepo

    now = utcnow().replace(microsecond=0)
    counter = CallCounter()
    targets = list_targets(options, counter)
    rules = list(guardrails)
    files = [(f, Path(f).read_text(encoding="utf-8")) for f in guardrails.files]
    spec = {**spec_of(options), "regions": list(options.regions), "now": now.isoformat(), "apply": apply,
            "trigger": trigger, "files": files}
    run = store.runs.start("guardrails", trigger=trigger, now=now,
                           meta={"guardrails": [r.name for r in rules], "apply": apply, "executor": "celery",
                                 "spec": spec})
    tasks = TaskRepo(store)
    app = ex._app()
    units = [{"account": t.account, "assume": t.assume, "guardrail": r.name} for t in targets for r in rules]
    from railguard.executor.distributed import _send

    for tid in tasks.add(run.id, "guardrail", units):
        _send(app, "guardrail", tid, 1, ex.settings.queue)
    try:
        ex.wait(app, tasks, run.id)
    except RunCancelled:
        store.runs.finish(run.id, status="cancelled", counts=tasks.counts(run.id))
        raise
    result = PipelineResult(run.id)
    calls: Counter[str] = Counter(counter.snapshot())
    for row in tasks.rows(run.id):
        calls.update(row.api_calls or {})
        if row.status == "done":
            result.items += [_item(d) for d in row.result.get("items", [])]
            result.needs_human += [g for g in row.result.get("needs_human", []) if g not in result.needs_human]
        else:
            result.items.append(_failed(row))
    result.deliveries = send(store, rules, result)
    store.runs.finish(run.id, counts=result.counts, meta={"needs_human": result.needs_human})
    return result, Observed(dict(calls))


def _item(d: Mapping[str, Any]) -> Any:
    from railguard.model import Severity
    from railguard.remediation.pipeline import Item

    return Item(**{**d, "severity": Severity(d["severity"])})


def _failed(row: Any) -> Any:
    from railguard.model import Severity
    from railguard.remediation.pipeline import UNKNOWN, Item

    return Item(row.unit.get("guardrail", "?"), "*", "*", f"account {row.account}", row.account, None, UNKNOWN,
                Severity.HIGH, f"not assessed: task {row.status} ({row.error or 'no reason recorded'}); no action",
                notify=True)


_rules: dict[str, dict[str, Rule]] = {}


def _rules_of(run_id: str, spec: Mapping[str, Any]) -> dict[str, Rule]:
    if run_id not in _rules:
        from railguard.guardrails.load import Rule, parse_guardrails

        out: dict[str, Rule] = {}
        for source, text in spec["files"]:
            model = parse_guardrails(text, source, _WorkerEnviron())
            for g in model.guardrails:
                out[g.name] = Rule(g, model.environments, model.notifications, source)
        _rules[run_id] = out
    return _rules[run_id]


def run_unit(p: Any, row: Any, spec: Mapping[str, Any], guard: Any) -> tuple[Any, Any, Any]:
    """One guardrail over one account, in a worker."""
    from datetime import datetime

    from railguard.engine.evaluate import evaluate
    from railguard.executor.tasks import run_collectors
    from railguard.guardrails.controls import guardrail_controls
    from railguard.model import GLOBAL, Inventory
    from railguard.remediation.pipeline import Context, run_pipeline
    from railguard.sources.aws.collector import REGIONAL, collectors_for
    from railguard.sources.aws.runner import enter_account
    from railguard.sources.aws.session import CallCounter
    from railguard.store.findings import Covered

    unit = row.unit
    rule = _rules_of(row.run_id, spec)[unit["guardrail"]]
    now = datetime.fromisoformat(spec["now"])
    counter = CallCounter()
    sess = p.sessions.enter(spec, unit["account"], unit["assume"], counter)
    if sess.error:
        raise RuntimeError(sess.error)
    wanted = list(spec.get("regions") or rule.guardrail.scope.regions or [])
    entered = enter_account(sess, wanted or None)
    controls = guardrail_controls(rule.guardrail)
    types = frozenset(t for pc in controls for t in pc.control.types)
    cols = collectors_for(types)
    resources, gaps = list(entered.resources), list(entered.gaps)
    if entered.home is not None:
        glob = [c.name for c in cols if c.scope != REGIONAL]
        if glob:
            rs, gs = run_collectors(p, sess, glob, entered.home, GLOBAL, types, now, guard)
            resources += rs
            gaps += gs
        for reg in entered.regions:
            guard.check()
            rs, gs = run_collectors(p, sess, [c.name for c in cols if c.scope == REGIONAL], reg, reg, types, now,
                                    guard)
            resources += rs
            gaps += gs
    inventory = Inventory(resources, gaps)
    findings = evaluate(controls, inventory, now=now)
    covered = Covered({pc.control.id for pc in controls}, [unit["account"]], entered.regions)
    guard.check()
    result = run_pipeline([rule], findings, inventory, {unit["account"]: sess}, p.store, now=now,
                          apply=bool(spec.get("apply")), context=Context(trigger=spec.get("trigger", "manual")),
                          run_id=row.run_id, covered=covered, notify=False)
    items = [{**i.to_dict(), "fingerprint": i.fingerprint} for i in result.items]
    return {"items": items, "needs_human": result.needs_human}, counter.snapshot(), []
