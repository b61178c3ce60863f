"""Helpers for live-control tests: collect under moto in-process, then evaluate one control."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import boto3

from railguard.controls import get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Finding, Inventory, Result
from railguard.sources.aws.collector import collectors_for
from railguard.sources.aws.runner import collect
from railguard.sources.aws.session import AccountSession, CallCounter


def session(region: str = "us-east-1", counter: CallCounter | None = None) -> AccountSession:
    s = AccountSession(boto3.Session(region_name=region), "", counter=counter)
    s.account = s.client("sts").get_caller_identity()["Account"]
    return s


def live_inventory(types: Iterable[str], regions: Iterable[str] = ("us-east-1",), counter: CallCounter | None = None) -> Inventory:
    """Run exactly the collectors that yield `types` (call inside `mock_aws`)."""
    types = list(types)
    out = collect([session(counter=counter)], collectors_for(types), types, regions=list(regions), max_workers=4)
    return Inventory(out.resources, out.gaps)


def run_control(control_id: str, regions: Iterable[str] = ("us-east-1",), params: Mapping[str, Any] | None = None,
                inventory: Inventory | None = None) -> list[Finding]:
    """Collect what the control needs (under moto) and evaluate it: its findings."""
    c = get_control(control_id)
    inv = inventory if inventory is not None else live_inventory(c.types, regions)
    return evaluate([PlannedControl(c, {**c.params, **(params or {})})], inv)


def results(findings: list[Finding]) -> dict[str, Result]:
    """resource id (or name) -> result, for compact assertions."""
    return {(f.resource_name or f.resource_id): f.result for f in findings}
