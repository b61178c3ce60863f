"""Shared helpers for the container and template-only control tests."""

from __future__ import annotations

from pathlib import Path

from railguard.controls import IAC, Context, get_control
from railguard.engine.evaluate import run_control
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Resource, Result

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "containers"


def verdict_of(control_id: str, r: Resource, *others: Resource) -> tuple[Result | None, str, dict]:
    """Run one control as the engine does (an Unknown becomes UNKNOWN): (result, reason, evidence)."""
    pc = PlannedControl(get_control(control_id), {})
    v = run_control(pc, r, Context(Inventory([r, *others]), place=IAC))
    if v is None:
        return None, "", {}
    return v.result, v.reason, dict(v.evidence)


def result_of(control_id: str, r: Resource, *others: Resource) -> Result | None:
    return verdict_of(control_id, r, *others)[0]
