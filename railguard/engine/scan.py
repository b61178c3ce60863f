"""The live scan use case: plan -> collect -> inventory -> evaluate -> map."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from railguard.engine.evaluate import evaluate
from railguard.engine.items import map_items
from railguard.engine.plan import Plan
from railguard.model import GLOBAL, Gap, Inventory, RunResult

if TYPE_CHECKING:
    from railguard.sources.aws.deadlines import Timeouts


@dataclass
class ScanOptions:
    profile: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    regions: list[str] = field(default_factory=list)
    role_arn: str | None = None
    accounts: list[str] = field(default_factory=list)
    org: bool = False
    role_name: str = "OrganizationAccountAccessRole"
    max_workers: int = 16
    timeouts: Timeouts | None = None  # per call and per collector; None: the defaults


def run_scan(
    plan: Plan,
    options: ScanOptions,
    *,
    progress_total: Callable[[int], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    from railguard.sources.aws import pseudo
    from railguard.sources.aws.collector import collectors_for, uncovered
    from railguard.sources.aws.runner import collect
    from railguard.sources.aws.session import CallCounter, open_sessions

    started = time.monotonic()
    now = datetime.now(UTC).replace(microsecond=0)
    counter = CallCounter()
    sessions = open_sessions(
        profile=options.profile, endpoint_url=options.endpoint_url, region=options.region,
        role_arn=options.role_arn, accounts=options.accounts, org=options.org,
        role_name=options.role_name, counter=counter, max_pool=max(options.max_workers, 10) * 2,
        timeouts=options.timeouts,
    )
    needed = plan.types
    collectors = collectors_for(needed)
    collected = collect(
        sessions, collectors, needed, regions=options.regions or None,
        max_workers=options.max_workers, progress_total=progress_total, progress=progress, now=now,
    )
    inventory = Inventory(collected.resources, collected.gaps)
    for t in sorted(uncovered(needed) - {pseudo.ACCOUNT, pseudo.REGION}):  # the runner makes those
        inventory.add_gap(Gap(t, None, GLOBAL, f"railguard has no collector for {t}"))
    findings = evaluate(plan.controls, inventory, now=now)
    infos, items = map_items(plan, findings)
    accounts = [s.account for s in sessions]
    regions = sorted({r for rs in collected.regions.values() for r in rs})
    return RunResult(
        kind="scan",
        started_at=now.isoformat(),
        duration_s=round(time.monotonic() - started, 3),
        frameworks=infos,
        items=items,
        findings=findings,
        gaps=inventory.gaps,
        api_calls=counter.snapshot(),
        accounts=accounts,
        regions=regions,
        meta={"resources": len(inventory), "collectors": [c.name for c in collectors]},
    )

