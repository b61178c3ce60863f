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
    from railguard.executor.settings import ExecutorSettings
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
    executor: ExecutorSettings | None = None  # None: the local thread pool (railguard/executor)
    store_url: str | None = None  # the store distributed units write their slices to


def run_scan(
    plan: Plan,
    options: ScanOptions,
    *,
    progress_total: Callable[[int], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    from railguard.executor.seam import executor_for
    from railguard.sources.aws import pseudo
    from railguard.sources.aws.collector import collectors_for, uncovered

    started = time.monotonic()
    now = datetime.now(UTC).replace(microsecond=0)
    needed = plan.types
    collectors = collectors_for(needed)
    collected = executor_for(options).collect(needed, options, now=now, progress_total=progress_total,
                                              progress=progress)
    inventory = Inventory(collected.resources, collected.gaps)
    for t in sorted(uncovered(needed) - {pseudo.ACCOUNT, pseudo.REGION}):  # the runner makes those
        inventory.add_gap(Gap(t, None, GLOBAL, f"railguard has no collector for {t}"))
    findings = evaluate(plan.controls, inventory, now=now)
    infos, items = map_items(plan, findings)
    accounts = collected.accounts
    regions = sorted({r for rs in collected.regions.values() for r in rs})
    return RunResult(
        kind="scan",
        started_at=now.isoformat(),
        duration_s=round(time.monotonic() - started, 3),
        frameworks=infos,
        items=items,
        findings=findings,
        gaps=inventory.gaps,
        api_calls=collected.api_calls,
        accounts=accounts,
        regions=regions,
        meta={"resources": len(inventory), "collectors": [c.name for c in collectors],
              **({"run_id": collected.run_id} if collected.run_id else {})},
    )

