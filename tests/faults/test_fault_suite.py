"""Fault injection: every collector, under every kind of fault, never turns a FAIL into a PASS.

One moto server with the seeded demo lab sits behind the fault proxy for the whole module; each
test switches the proxy's fault and scans every live control over real HTTP. The invariant,
checked for every control and every resource: where the clean scan FAILs, the faulted scan
never PASSes (item roll-ups included: an item whose resources could not be listed is not "no
resources in scope"), and the fault shows as a gap for every type the faulted calls feed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from railguard.demo.faultproxy import BAD_BODIES, ERRORS, TRANSPORT, Fault, FaultProxy
from railguard.demo.lab import Lab
from railguard.engine.plan import Plan
from railguard.model import Result, RunResult
from railguard.sources.aws.deadlines import Timeouts

REGION = "us-east-1"
# two attempts: throttling, 5xx and resets cost one retry; a slow moto (a loaded CI runner) is no fault
TIMEOUTS = Timeouts(connect=5.0, read=30.0, attempts=2, call=60.0, collector=120.0)
# a stalled call costs read x attempts, within the call deadline: short, since every call stalls
STALL_TIMEOUTS = Timeouts(connect=2.0, read=1.0, attempts=2, call=2.0, collector=20.0)
# what the scan needs before any collector runs: without them there is no scan to judge
PASS_THROUGH = [Fault("pass", service="sts"), Fault("pass", service="ec2", action="DescribeRegions")]


@dataclass
class World:
    proxy: FaultProxy
    url: str
    plan: Plan
    clean: RunResult


def _scan(world_url: str, plan: Plan, timeouts: Timeouts = TIMEOUTS) -> RunResult:
    from railguard.engine.scan import ScanOptions, run_scan

    return run_scan(plan, ScanOptions(endpoint_url=world_url, regions=[REGION], region=REGION, timeouts=timeouts))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    from railguard.demo.run import lab_config, moto_server, seed_lab
    from railguard.engine.plan import build_plan

    with moto_server() as endpoint:
        lab = Lab(endpoint_url=endpoint, regions=[REGION])
        seed_lab(lab)
        plan = build_plan([], overrides=lab_config(lab).overrides())  # every live control
        proxy = FaultProxy(endpoint, stall_s=5.0)
        with proxy as url:
            clean = _scan(url, plan)
            yield World(proxy, url, plan, clean)


def _by_resource(run: RunResult) -> dict[tuple[str, str, str | None], Result]:
    return {(f.control_id, f.resource_id, f.region): f.result for f in run.findings}


def test_the_clean_scan_sees_the_planted_failures(world: World) -> None:
    fails = {f.control_id for f in world.clean.findings if f.result == Result.FAIL}
    assert len(fails) >= 30, sorted(fails)  # the invariant below is only as strong as this
    assert len(world.clean.gaps) <= 2, world.clean.gaps  # moto lacks Access Analyzer, nothing else


@pytest.mark.parametrize("kind", [*ERRORS, *BAD_BODIES, *TRANSPORT])
def test_no_pass_where_the_clean_scan_fails(world: World, kind: str) -> None:
    world.proxy.set_faults([*PASS_THROUGH, Fault(kind)])
    try:
        faulted = _scan(world.url, world.plan, STALL_TIMEOUTS if kind == "stall" else TIMEOUTS)
    finally:
        world.proxy.set_faults([])
    clean = _by_resource(world.clean)
    got = _by_resource(faulted)
    turned = sorted(k for k, r in clean.items() if r == Result.FAIL and got.get(k) == Result.PASS)
    assert not turned, f"{kind}: FAIL became PASS for {turned[:10]}"
    clean_items = {i.id: i.result for i in world.clean.items}
    for item in faulted.items:
        if clean_items.get(item.id) == Result.FAIL:
            assert item.result != Result.PASS, f"{kind}: item {item.id} PASSes ({item.reason})"
    # every needed type a collector yields is a gap, or was read from answers the fault left alone
    # (an error answer that is data, as NoSuchPublicAccessBlockConfiguration under `truncated`)
    read_types = {t for c in _collectors(world.plan) for t in c.yields if t in world.plan.types}
    gapped = {g.type for g in faulted.gaps}
    judged = {f.resource_type for f in faulted.findings}
    silent = read_types - gapped - judged - _NEVER_LIVE
    assert not silent, f"{kind}: neither a gap nor a finding for {sorted(silent)}"
    passes = [f for f in faulted.findings if f.result == Result.PASS]
    assert not passes, f"{kind}: {len(passes)} PASS findings, e.g. {passes[0].control_id} {passes[0].resource_id}"


def _collectors(plan: Plan) -> list:  # type: ignore[type-arg]
    from railguard.sources.aws.collector import collectors_for

    return collectors_for(plan.types)


# template-only types that no live collector yields (inline IAM policies are read inside their principal)
_NEVER_LIVE = {"AWS::IAM::Policy", "AWS::IAM::UserPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::GroupPolicy"}
