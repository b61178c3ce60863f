"""`railguard guardrails run` as a function: collect only what the guardrails' controls read (the scan
engine's plan -> collect -> evaluate), then hand the findings to the remediation pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from railguard.engine.plan import PlannedControl
from railguard.engine.scan import ScanOptions
from railguard.guardrails.controls import guardrail_controls
from railguard.guardrails.load import GuardrailSet
from railguard.model import Finding, Inventory
from railguard.store import Store, utcnow
from railguard.store.findings import Covered


@dataclass
class Observed:
    """What a collection saw: the resources, the findings of the guardrails' controls, the sessions."""

    inventory: Inventory
    findings: list[Finding]
    sessions: list[Any]
    now: datetime
    covered: Covered
    api_calls: dict[str, int]


def planned(guardrails: GuardrailSet) -> list[PlannedControl]:
    seen: dict[str, PlannedControl] = {}
    for rule in guardrails:
        for pc in guardrail_controls(rule.guardrail):
            seen.setdefault(pc.control.id, pc)
    return list(seen.values())


def observe(guardrails: GuardrailSet, options: ScanOptions, now: datetime | None = None) -> Observed:
    """Collect exactly the types the guardrails' controls read, in the scoped regions, and evaluate.

    `now` keeps its microseconds: the pipeline counts the claims made before the observation to tell
    a later run on fresh data (acts again) from a concurrent one on the same data (acts once); a
    time cut to the second would miss a claim made earlier in the same second."""
    from railguard.engine.evaluate import evaluate
    from railguard.sources.aws.collector import collectors_for
    from railguard.sources.aws.runner import collect
    from railguard.sources.aws.session import CallCounter, open_sessions

    now = now or utcnow()
    controls = planned(guardrails)
    types = {t for pc in controls for t in pc.control.types}
    regions = list(options.regions)
    if not regions:  # every guardrail scoped to regions: only those are read
        scoped = [r.guardrail.scope.regions for r in guardrails]
        if all(scoped):
            regions = sorted({x for rs in scoped for x in rs})
    counter = CallCounter()
    sessions = open_sessions(
        profile=options.profile, endpoint_url=options.endpoint_url, region=options.region,
        role_arn=options.role_arn, accounts=options.accounts, org=options.org, role_name=options.role_name,
        counter=counter, max_pool=max(options.max_workers, 10) * 2, timeouts=options.timeouts,
    )
    collected = collect(sessions, collectors_for(types), types, regions=regions or None,
                        max_workers=options.max_workers, now=now)
    inventory = Inventory(collected.resources, collected.gaps)
    findings = evaluate(controls, inventory, now=now)
    seen_regions = sorted({r for rs in collected.regions.values() for r in rs})
    covered = Covered({pc.control.id for pc in controls}, [s.account for s in sessions], seen_regions)
    return Observed(inventory, findings, sessions, now, covered, counter.snapshot())


def run_guardrails(guardrails: GuardrailSet, options: ScanOptions, store: Store, *, apply: bool = False,
                   trigger: str = "manual") -> Any:
    """Observe, then run the pipeline; the PipelineResult (with the API calls made) is returned."""
    from railguard.remediation.pipeline import Context, run_pipeline

    if options.executor is not None and options.executor.name != "local":  # fanned out (railguard/executor)
        from railguard.executor.seam import executor_for

        return executor_for(options).guardrails(guardrails, options, store, apply=apply, trigger=trigger)
    seen = observe(guardrails, options)
    result = run_pipeline(guardrails, seen.findings, seen.inventory, seen.sessions, store, now=seen.now,
                          apply=apply, context=Context(trigger=trigger), covered=seen.covered)
    return result, seen
