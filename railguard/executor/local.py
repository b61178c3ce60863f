"""The local executor: today's thread pool over (account, region, collector), unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from railguard.executor.seam import Executor, Gathered

if TYPE_CHECKING:
    from railguard.engine.scan import ScanOptions
    from railguard.guardrails.load import GuardrailSet
    from railguard.store import Store


class LocalExecutor(Executor):
    name = "local"

    def collect(self, types: set[str] | frozenset[str], options: ScanOptions, *, now: datetime,
                progress_total: Callable[[int], None] | None = None,
                progress: Callable[[str], None] | None = None) -> Gathered:
        from railguard.sources.aws.collector import collectors_for
        from railguard.sources.aws.runner import collect
        from railguard.sources.aws.session import CallCounter, open_sessions

        counter = CallCounter()
        sessions = open_sessions(
            profile=options.profile, endpoint_url=options.endpoint_url, region=options.region,
            role_arn=options.role_arn, accounts=options.accounts, org=options.org,
            role_name=options.role_name, counter=counter, max_pool=max(options.max_workers, 10) * 2,
            timeouts=options.timeouts,
        )
        collected = collect(
            sessions, collectors_for(types), types, regions=options.regions or None,
            max_workers=options.max_workers, progress_total=progress_total, progress=progress, now=now,
        )
        return Gathered(collected.resources, collected.gaps, collected.regions, [s.account for s in sessions],
                        counter.snapshot(), sessions=sessions)

    def guardrails(self, guardrails: GuardrailSet, options: ScanOptions, store: Store, *, apply: bool,
                   trigger: str) -> tuple[Any, Any]:
        from railguard.guardrails.run import run_guardrails

        return run_guardrails(guardrails, options, store, apply=apply, trigger=trigger)
