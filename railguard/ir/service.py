"""The use cases behind `railguard ir`: open a case and run it, resume it, release it, plan it (dry run).

A case's params (stop, forensics) are fixed when it is opened; run-time options (notification
channels, the breaker's limit) are given again on each run. The case's journal row (the breaker's
claim) is closed applied when the workflow finishes and failed when it stops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from railguard.ir import contain as contain_mod
from railguard.ir import isolate as isolate_mod
from railguard.ir import release as release_mod
from railguard.ir.workflow import RELEASE, RESPOND, Ctx, IrError, Result, Step, run_steps
from railguard.store import cases as C

if TYPE_CHECKING:
    from railguard.sources.aws.session import AccountSession
    from railguard.store import Store
    from railguard.store.cases import CaseRow

ISOLATE = "isolate"
CONTAIN = "contain"


def _steps(ctx: Ctx) -> list[Step]:
    if ctx.case.kind == ISOLATE:
        return isolate_mod.steps(ctx)
    if ctx.case.kind == CONTAIN:
        return contain_mod.steps(ctx)
    raise IrError(f"case {ctx.case.id} has an unknown kind {ctx.case.kind!r}")


def open_isolation(store: Store, session: AccountSession, instance_id: str, region: str, *, stop: bool = False,
                   forensics_account: str | None = None, forensics_instance: str | None = None,
                   trigger: str = "manual", actor: str, reason: str = "") -> CaseRow:
    params = {"stop": stop, "forensics_account": forensics_account, "forensics_instance": forensics_instance,
              "reason": reason}
    return store.cases.open(kind=ISOLATE, subject=instance_id, subject_type="AWS::EC2::Instance",
                            account=session.account or None, region=region, params=params, trigger=trigger,
                            opened_by=actor)


def open_containment(store: Store, session: AccountSession, principal: str, region: str, *, trigger: str = "manual",
                     actor: str, reason: str = "") -> CaseRow:
    return store.cases.open(kind=CONTAIN, subject=principal, subject_type="principal", account=session.account or None,
                            region=region, params={"reason": reason}, trigger=trigger, opened_by=actor)


@dataclass(frozen=True)
class Requested:
    """What a trigger's request for a case came to: the case, whether it was opened now, and how its run ended
    (None when an earlier case on the subject already handles it: that one is not run again here)."""

    case: CaseRow
    opened: bool
    result: Result | None


def request_case(store: Store, session: AccountSession, kind: str, subject: str, region: str, *, trigger: str,
                 actor: str, reason: str = "", params: Mapping[str, Any] | None = None,
                 options: Mapping[str, Any] | None = None) -> Requested:
    """Open and run a case for an automatic trigger (a guardrail, an event, a detection), unless a case of this
    kind on this subject is still active: one case per subject, however often the trigger fires. A case opened
    here runs with every safeguard of a manual one; an input error (unknown instance) stops it, recorded."""
    if kind not in (ISOLATE, CONTAIN):
        raise IrError(f"unknown kind of case {kind!r}")
    p = {"reason": reason, **({"stop": False, "forensics_account": None, "forensics_instance": None}
                              if kind == ISOLATE else {}), **dict(params or {})}
    case, opened = store.cases.open_once(
        kind=kind, subject=subject, account=session.account or None, region=region, params=p, trigger=trigger,
        opened_by=actor, subject_type="AWS::EC2::Instance" if kind == ISOLATE else "principal")
    if not opened:
        return Requested(case, False, None)
    try:
        result = run(store, session, case.id, actor=actor, options=options)
    except IrError as exc:
        result = Result(case.id, C.STOPPED, str(exc), None)
    return Requested(store.cases.get(case.id) or case, True, result)


def run(store: Store, session: AccountSession, case_id: str, *, actor: str, options: Mapping[str, Any] | None = None,
        after_step: Callable[[str], None] | None = None) -> Result:
    """Run (or resume) a case's workflow: done steps are skipped, the rest run in order."""
    from railguard.ir.safeguards import finish_journal

    case = _case(store, case_id)
    if case.status in (C.RELEASED, C.RELEASING):
        raise IrError(f"case {case_id} is {case.status}: nothing to resume")
    ctx = Ctx(store, case, session, case.region or "us-east-1", actor, options=dict(options or {}),
              after_step=after_step)
    ctx.done.update(_done(store, case_id))
    try:
        result = run_steps(ctx, RESPOND, _steps(ctx), final=C.DONE)
    except IrError as exc:
        finish_journal(ctx, C.STOPPED, str(exc))
        raise
    if result.status in (C.DONE, C.STOPPED):
        finish_journal(ctx, result.status, result.message)
    return result


def release(store: Store, session: AccountSession, case_id: str, *, actor: str,
            keep_revocation: bool = False) -> Result:
    """Undo what the case changed (in reverse order), verify it, keep the evidence."""
    case = _case(store, case_id)
    if case.status == C.RELEASED:
        raise IrError(f"case {case_id} is already released")
    if case.status in (C.WAITING, C.OPEN):
        pass  # nothing or only capture ran: the release steps find nothing to undo
    ctx = Ctx(store, case, session, case.region or "us-east-1", actor, options={"keep_revocation": keep_revocation})
    ctx.done.update(_done(store, case_id))
    return run_steps(ctx, RELEASE, release_mod.steps(ctx), final=C.RELEASED)


def plan(store: Store | None, session: AccountSession, kind: str, subject: str, region: str,
         params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The steps a case would run (name, what it does): nothing is written, nothing changes."""
    from datetime import UTC, datetime

    from railguard.store.cases import CaseRow

    now = datetime.now(UTC)
    fake = CaseRow(id="case-dry-run", kind=kind, subject=subject, subject_type="", account=session.account,
                   region=region, status=C.OPEN, params=dict(params), trigger="manual", opened_by=None,
                   journal_id=None, message="", created_at=now, updated_at=now)
    ctx = Ctx(store, fake, session, region, "dry-run")  # type: ignore[arg-type]
    return [(s.name, s.title) for s in _steps(ctx)]


def pending(store: Store, session: AccountSession, case_id: str, phase: str) -> list[tuple[str, str, str]]:
    """(step, what it does, note) for the steps `ir resume` (phase respond) or `ir release` would run next, in
    order, from what the store recorded: nothing is written, nothing changes."""
    case = _case(store, case_id)
    ctx = Ctx(store, case, session, case.region or "us-east-1", "dry-run")
    ctx.done.update(_done(store, case_id))
    if phase == RESPOND:
        return [(s.name, s.title, "") for s in _steps(ctx) if s.name not in ctx.done]
    from railguard.ir.workflow import load_done

    done = load_done(store, case_id, RELEASE)
    out = []
    for s in release_mod.steps(ctx):
        if s.name in done:
            continue
        undoes = {"start": "stop", "keys": "deactivate-keys"}.get(s.name, s.name)
        acts = s.name == "verify" or release_mod.attempted(ctx, undoes)
        out.append((s.name, s.title, "" if acts else f"nothing to undo ({undoes} was not attempted)"))
    return out


def _case(store: Store, case_id: str) -> CaseRow:
    case = store.cases.get(case_id)
    if case is None:
        raise IrError(f"no case {case_id} in the store {store.url} (see `railguard ir list`)")
    return case


def _done(store: Store, case_id: str) -> dict[str, dict[str, Any]]:
    from railguard.ir.workflow import load_done

    return load_done(store, case_id, RESPOND)


__all__ = ["CONTAIN", "ISOLATE", "RELEASE", "Requested", "open_containment", "open_isolation", "plan", "release",
           "request_case", "run"]
