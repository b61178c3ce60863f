"""Evaluate controls over an inventory into findings. Pure: no I/O.

The honesty rules live here: an `Unknown` property, a crashing control, or a gap covering a
type the control reads turns a would-be PASS into UNKNOWN with the reason. A FAIL seen in
the data that was read stays a FAIL: it is true whatever the missing data says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from railguard.controls import LIVE, Context
from railguard.engine.plan import PlannedControl
from railguard.model import Finding, Inventory, Resource, Result, UnknownValue, Verdict, unknown


def _finding(pc: PlannedControl, r: Resource, v: Verdict) -> Finding:
    c = pc.control
    origin = r.origin
    line = v.evidence.get("line") if v.evidence else None
    if origin.file and isinstance(line, int) and line > 0:
        origin = replace(origin, line=line)  # point at the offending line, not the resource's first
        piece = v.evidence.get("file")  # a part folded in from another file (a Terraform rule resource)
        if isinstance(piece, str) and piece:
            origin = replace(origin, file=piece)
    return Finding(
        control_id=c.id,
        title=c.title,
        severity=c.severity,
        result=v.result,
        resource_type=r.type,
        resource_id=r.id,
        reason=v.reason,
        evidence=v.evidence,
        account=r.account,
        region=r.region,
        resource_name=r.name,
        arn=r.arn,
        origin=origin,
        remediation=c.fix or None,
        params=pc.params,
    )


def run_control(pc: PlannedControl, r: Resource, ctx: Context) -> Verdict | None:
    try:
        v = pc.control(r, ctx)
    except UnknownValue as exc:
        return unknown(f"cannot be assessed: {exc.path} is unknown ({exc.unknown.reason})")
    except Exception as exc:  # a bug in one control never hides the others
        return unknown(f"control error: {type(exc).__name__}: {exc}")
    if v is not None and not isinstance(v, Verdict):
        return unknown(f"control error: returned {type(v).__name__}, not a Verdict")
    return v


def evaluate(
    controls: Iterable[PlannedControl],
    inventory: Inventory,
    *,
    place: str = LIVE,
    now: datetime | None = None,
) -> list[Finding]:
    now = now or datetime.now(UTC)
    findings: list[Finding] = []
    for pc in controls:
        c = pc.control
        ctx = Context(inventory=inventory, params=pc.params, place=place, now=now)
        for type_ in c.resource:
            for r in inventory.of_type(type_):
                if (place == LIVE) != r.is_live:
                    continue
                v = run_control(pc, r, ctx)
                if v is None:
                    continue
                if v.result == Result.PASS:
                    gap = inventory.gap_for(c.types, r.account, r.region)
                    if gap is not None:
                        v = unknown(f"{gap.type} could not be read in {gap.region}: {gap.reason}")
                findings.append(_finding(pc, r, v))
            if place == LIVE:
                for g in inventory.gaps_of(type_):
                    placeholder = Resource(
                        type=type_, id=f"{type_} in {g.account or '*'}/{g.region}",
                        account=g.account, region=g.region,
                    )
                    findings.append(
                        _finding(pc, placeholder, unknown(f"could not list {type_}: {g.reason}"))
                    )
    return findings
