"""Seed one lab module on a private moto server and scan it over real HTTP (shared by the seed tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from railguard.demo.lab import Lab
from railguard.model import Result, RunResult


def scan_seeded(
    seed: Callable[[Lab], None],
    controls: Sequence[str],
    regions: Sequence[str] = ("us-east-1", "eu-west-1"),
    framework: str | None = None,
) -> tuple[RunResult, Lab]:
    """Seed with `seed`, then scan `controls` (inside `framework` when given, with the lab's config)."""
    from railguard import frameworks
    from railguard.demo.run import lab_config, moto_server
    from railguard.engine.plan import build_plan
    from railguard.engine.scan import ScanOptions, run_scan

    with moto_server() as endpoint:
        lab = Lab(endpoint_url=endpoint, regions=list(regions))
        seed(lab)
        fws = frameworks.resolve(framework) if framework else []
        plan = build_plan(fws, only_controls=list(controls), overrides=lab_config(lab).overrides())
        run = run_scan(plan, ScanOptions(endpoint_url=endpoint, regions=list(regions), region=regions[0]))
    return run, lab


def mismatches(run: RunResult, lab: Lab) -> list[tuple[tuple[str, str], Result | None]]:
    """Planted FAILs not reported FAIL and compliant twins not reported PASS."""
    got = {(f.control_id, f.resource_name or f.resource_id): f.result for f in run.findings}
    wrong = [(k, got.get(k)) for k in sorted(lab.expected_fail) if got.get(k) != Result.FAIL]
    wrong += [(k, got.get(k)) for k in sorted(lab.expected_pass) if got.get(k) != Result.PASS]
    return wrong
