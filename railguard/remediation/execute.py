"""Apply a claimed change, verify it, and roll it back when verify fails: the part of the pipeline
that approvals and incident response reuse.

Verify re-reads the resource (`single.inventory_for`: one narrow Describe for a security group)
and re-runs the control that flagged it; without a control (a countermeasure) it re-plans and
expects nothing left to do. A change that cannot be verified is undone: an unverifiable action is
never left in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Resource, Result
from railguard.remediation.action import ActionSpec, CaseAction, Change, Target
from railguard.store import Store, utcnow
from railguard.store.journal import APPLIED, FAILED, ROLLED_BACK
from railguard.store.models import ActionRow


@dataclass(frozen=True)
class Verified:
    ok: bool
    reason: str = ""
    state: Mapping[str, Any] = field(default_factory=dict)  # the action's view of the resource now
    resource: Resource | None = None


def state_now(spec: ActionSpec, target: Target, resource: Resource | None = None) -> dict[str, Any]:
    """The action's view of the resource: from a resource just read when the action can take it from
    there (no call), else read from the API; what cannot be read is said, not hidden."""
    try:
        return dict(spec.current(target, resource))
    except Exception as exc:
        return {"unreadable": error_text(exc)}


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
            again = spec.plan(Target(fresh, target.session, target.region, target.store), change.params)
            if again.noop:
                return Verified(True, "nothing left to do", state_now(spec, target, fresh), fresh)
            return Verified(False, f"still to do after apply: {again.summary}", state_now(spec, target, fresh), fresh)
        inv = inventory_for(target.session, control.control, r.id, target.region, resource_type=r.type)
    except ReadError as exc:
        return Verified(False, f"cannot re-read the resource: {exc}")
    except Exception as exc:
        return Verified(False, f"cannot re-read the resource: {error_text(exc)}")
    reread = next((x for x in inv.of_type(r.type) if x.id == r.id), None)
    if reread is None:
        return Verified(False, f"{control.control.id} did not judge the re-read resource", state_now(spec, target))
    return judge(spec, target, control, reread, now, inv)


def perform(spec: ActionSpec, target: Target, change: Change, control: PlannedControl | None,
            now: datetime | None = None) -> dict[str, Any]:
    """Apply a claimed change, verify it, roll it back when verify fails: the journal fields that
    record the outcome (applied and verified, failed, or rolled back). Touches no store, so the
    pipeline runs it for many resources at once and writes the outcomes in one transaction. A `CaseAction`
    settles itself: its outcome is its case's."""
    if isinstance(spec.impl, CaseAction):
        return spec.impl.settle(target, change)
    try:
        applied = dict(spec.apply(target, change))
    except Exception as exc:
        return {"status": FAILED, "error": f"apply failed: {error_text(exc)}"}
    done = {"applied": applied, "applied_at": utcnow()}
    return {**done, **_settled(spec, target, change, applied, verify(spec, target, change, control, now))}


def perform_many(jobs: Sequence[tuple[ActionSpec, Target, Change, PlannedControl | None]], *, workers: int = 8,
                 now: datetime | None = None) -> list[dict[str, Any]]:
    """`perform` for many resources: applies run `workers` at a time; the re-reads for verify are
    batched where a type has a batch reader and the control reads nothing beside its target (one
    DescribeSecurityGroups for up to 200 groups instead of one each), else each is verified alone.
    Outcomes in the order of `jobs`."""
    out: list[dict[str, Any] | None] = [None] * len(jobs)
    applied: dict[int, dict[str, Any]] = {}
    cases = [i for i, job in enumerate(jobs) if isinstance(job[0].impl, CaseAction)]
    for i in cases:  # one at a time: each runs a whole workflow, under its own breaker
        out[i] = perform(*jobs[i], now=now)

    def apply_one(i: int) -> None:
        spec, target, change, _ = jobs[i]
        try:
            applied[i] = dict(spec.apply(target, change))
        except Exception as exc:
            out[i] = {"status": FAILED, "error": f"apply failed: {error_text(exc)}"}

    _each(apply_one, [i for i in range(len(jobs)) if i not in cases], workers)
    done = {i: {"applied": a, "applied_at": utcnow()} for i, a in applied.items()}
    fresh = _reread_batches([(i, jobs[i]) for i in applied], workers)

    def verify_one(i: int) -> None:
        spec, target, change, control = jobs[i]
        reread = fresh.get(i)
        check = judge(spec, target, control, reread, now) if reread is not None and control is not None \
            else verify(spec, target, change, control, now)
        out[i] = {**done[i], **_settled(spec, target, change, applied[i], check)}

    _each(verify_one, list(applied), workers)
    return [o if o is not None else {"status": FAILED, "error": "not performed"} for o in out]


def _settled(spec: ActionSpec, target: Target, change: Change, applied: Mapping[str, Any],
             check: Verified) -> dict[str, Any]:
    """Verified: applied. Not: rolled back (or failed, when the rollback fails too)."""
    if check.ok:
        return {"status": APPLIED, "verified_at": utcnow(), "after": dict(check.state)}
    try:
        spec.undo(target, change, applied)
    except Exception as exc:
        return {"status": FAILED, "after": dict(check.state),
                "error": f"verify failed ({check.reason}); rollback FAILED too ({error_text(exc)}): needs a human"}
    return {"status": ROLLED_BACK, "after": dict(check.state), "error": f"verify failed ({check.reason}); change rolled back"}


def judge(spec: ActionSpec, target: Target, control: PlannedControl, reread: Resource,
          now: datetime | None = None, inventory: Inventory | None = None) -> Verified:
    """Verify from a resource just re-read (with what the control reads beside it): run the control
    on it again; PASS is the only success."""
    state = state_now(spec, target, reread)
    inv = inventory if inventory is not None else Inventory([reread])
    findings = [f for f in evaluate([control], inv, now=now or utcnow()) if f.resource_id == reread.id]
    if not findings:
        return Verified(False, f"{control.control.id} did not judge the re-read resource", state, reread)
    bad = [f for f in findings if f.result != Result.PASS]
    if bad:
        return Verified(False, f"{control.control.id} is {bad[0].result.value} after apply: {bad[0].reason}", state, reread)
    return Verified(True, f"{control.control.id} passes", state, reread)


def _each(fn: Callable[[int], None], indexes: Iterable[int], workers: int) -> None:
    todo = list(indexes)
    if len(todo) <= 1 or workers <= 1:
        for i in todo:
            fn(i)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(todo)), thread_name_prefix="railguard-act") as pool:
        for f in [pool.submit(fn, i) for i in todo]:
            f.result()


def _reread_batches(jobs: list[tuple[int, tuple[ActionSpec, Target, Change, PlannedControl | None]]],
                    workers: int) -> dict[int, Resource]:
    """Job index -> the resource re-read in a batch; jobs that cannot be batched are left out
    (verify reads them one by one). A batch that fails is left out whole, never guessed."""
    groups: dict[tuple[int, str, str], list[tuple[int, Target]]] = {}
    for i, (_, target, _, control) in jobs:
        r = target.resource
        if control is not None and r.type in _BATCH and not [t for t in control.control.reads if t != r.type]:
            groups.setdefault((id(target.session), target.region, r.type), []).append((i, target))
    batches = [members[k : k + 200] for members in groups.values() for k in range(0, len(members), 200)]
    out: dict[int, Resource] = {}

    def one(b: int) -> None:
        members = batches[b]
        first = members[0][1]
        try:
            found = _BATCH[first.resource.type](first, [t.resource.id for _, t in members])
        except Exception:
            return
        for i, t in members:
            if t.resource.id in found:
                out[i] = found[t.resource.id]

    _each(one, range(len(batches)), workers)
    return out


def _security_groups(target: Target, ids: list[str]) -> dict[str, Resource]:
    from railguard.sources.aws.collector import CollectContext
    from railguard.sources.aws.collectors import ec2

    ctx = CollectContext(target.session, target.region, target.region, frozenset({ec2.SG}))
    groups = target.client("ec2").describe_security_groups(GroupIds=ids).get("SecurityGroups", [])
    return {g["GroupId"]: ec2.security_group(ctx, g) for g in groups}


# resource type -> a reader of many resources of one account and region in one call
_BATCH: dict[str, Callable[[Target, list[str]], dict[str, Resource]]] = {"AWS::EC2::SecurityGroup": _security_groups}


def execute(store: Store, row: ActionRow, spec: ActionSpec, target: Target, change: Change,
            control: PlannedControl | None, now: datetime | None = None) -> ActionRow:
    """The claimed row (prior state already journaled) -> applied and verified, failed, or rolled back.
    A crash between apply and the write leaves the row `claimed`, with the prior state that undoes it."""
    return store.journal.update(row.id, **perform(spec, target, change, control, now))


def target_for(row: ActionRow, session: Any, resource: Resource | None = None, store: Store | None = None) -> Target:
    """A target rebuilt from a journal row (for re-reads: id, type, account, region suffice)."""
    from railguard.model import GLOBAL, Origin

    region = row.region or session.session.region_name or "us-east-1"
    r = resource or Resource(type=row.resource_type, id=row.resource_id, account=row.account,
                             region=row.region or GLOBAL, origin=Origin(account=row.account, region=row.region))
    return Target(r, session, region if region != GLOBAL else (session.session.region_name or "us-east-1"), store)
