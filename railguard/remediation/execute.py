"""Apply a claimed change, verify it, and roll it back when verify fails: the part of the pipeline
that approvals and incident response reuse.

Verify re-reads the resource (`single.inventory_for`: one narrow Describe for a security group)
and re-runs the control that flagged it; without a control (a countermeasure) it re-plans and
expects nothing left to do. A change that cannot be verified is undone: an unverifiable action is
never left in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Resource, Result
from railguard.remediation.action import ActionSpec, Change, Target
from railguard.store import Store, utcnow
from railguard.store.journal import APPLIED, FAILED, ROLLED_BACK
from railguard.store.models import ActionRow


@dataclass(frozen=True)
class Verified:
    ok: bool
    reason: str = ""
    state: Mapping[str, Any] = field(default_factory=dict)  # the action's view of the resource now
    resource: Resource | None = None


def error_text(exc: BaseException) -> str:
    from railguard.sources.aws.errors import describe, error_code

    return describe(exc) if error_code(exc) else f"{type(exc).__name__}: {exc}"


def verify(spec: ActionSpec, target: Target, change: Change, control: PlannedControl | None,
           now: datetime | None = None) -> Verified:
    """Re-read the resource and judge it again; PASS (or nothing left to do) is the only success."""
    from railguard.sources.aws.single import ReadError, inventory_for

    r = target.resource
    try:
        if control is None:
            fresh = spec.impl.reread(target)
            again = spec.plan(Target(fresh, target.session, target.region), change.params)
            if again.noop:
                return Verified(True, "nothing left to do", spec.state(fresh), fresh)
            return Verified(False, f"still to do after apply: {again.summary}", spec.state(fresh), fresh)
        inv = inventory_for(target.session, control.control, r.id, target.region, resource_type=r.type)
    except ReadError as exc:
        return Verified(False, f"cannot re-read the resource: {exc}")
    except Exception as exc:
        return Verified(False, f"cannot re-read the resource: {error_text(exc)}")
    reread = next((x for x in inv.of_type(r.type) if x.id == r.id), None)
    state = spec.state(reread) if reread is not None else {}
    findings = [f for f in evaluate([control], inv, now=now or utcnow()) if f.resource_id == r.id]
    if not findings:
        return Verified(False, f"{control.control.id} did not judge the re-read resource", state, reread)
    bad = [f for f in findings if f.result != Result.PASS]
    if bad:
        return Verified(False, f"{control.control.id} is {bad[0].result.value} after apply: {bad[0].reason}", state, reread)
    return Verified(True, f"{control.control.id} passes", state, reread)


def execute(store: Store, row: ActionRow, spec: ActionSpec, target: Target, change: Change,
            control: PlannedControl | None, now: datetime | None = None) -> ActionRow:
    """The claimed row (prior state already journaled) -> applied and verified, failed, or rolled back."""
    try:
        applied = dict(spec.apply(target, change))
    except Exception as exc:
        return store.journal.update(row.id, status=FAILED, error=f"apply failed: {error_text(exc)}")
    row = store.journal.update(row.id, applied=applied, applied_at=utcnow())
    check = verify(spec, target, change, control, now)
    if check.ok:
        return store.journal.update(row.id, status=APPLIED, verified_at=utcnow(), after=dict(check.state))
    try:
        spec.undo(target, change, applied)
    except Exception as exc:
        return store.journal.update(
            row.id, status=FAILED, after=dict(check.state),
            error=f"verify failed ({check.reason}); rollback FAILED too ({error_text(exc)}): needs a human")
    return store.journal.update(row.id, status=ROLLED_BACK, after=dict(check.state),
                                error=f"verify failed ({check.reason}); change rolled back")


def target_for(row: ActionRow, session: Any, resource: Resource | None = None) -> Target:
    """A target rebuilt from a journal row (for re-reads: id, type, account, region suffice)."""
    from railguard.model import GLOBAL, Origin

    region = row.region or session.session.region_name or "us-east-1"
    r = resource or Resource(type=row.resource_type, id=row.resource_id, account=row.account,
                             region=row.region or GLOBAL, origin=Origin(account=row.account, region=row.region))
    return Target(r, session, region if region != GLOBAL else (session.session.region_name or "us-east-1"))
