"""Running a case: ordered steps, each recorded in the store before the next one starts.

A step is a function of the case context that does one thing and returns what it did (with the
prior state that undoes it). The runner skips every step the store says is done, so running a
case again (`railguard ir resume`) goes on where it stopped and never repeats a change. A step
that raises stops the workflow: the failure is recorded with what was and was not done, and the
case is left `stopped` for a later resume. Steps must also be idempotent inside themselves (a
process killed between the AWS call and the record re-runs the step): they look before they act.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from railguard.store import cases as C
from railguard.store import utcnow

if TYPE_CHECKING:
    from railguard.sources.aws.session import AccountSession
    from railguard.store import Store
    from railguard.store.cases import CaseRow

RESPOND = "respond"
RELEASE = "release"


class IrError(Exception):
    """A workflow could not go on; the message says why. `code` is the CLI exit code."""

    code = 1


class InputError(IrError):
    """The subject does not exist where we were told to look (unknown instance, wrong region)."""

    code = 2


class Waiting(Exception):
    """A safeguard holds the case for a person: not a failure, the case waits."""

    def __init__(self, message: str, journal_id: str | None = None) -> None:
        super().__init__(message)
        self.journal_id = journal_id


@dataclass
class Outcome:
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False  # nothing to do


@dataclass(frozen=True)
class Step:
    name: str
    title: str  # what it does, for --dry-run and the report
    run: Callable[[Ctx], Outcome]


@dataclass
class Ctx:
    """What a step sees: the case, the AWS session and region, and what earlier steps recorded."""

    store: Store
    case: CaseRow
    session: AccountSession
    region: str
    actor: str
    done: dict[str, dict[str, Any]] = field(default_factory=dict)  # step name -> its recorded detail
    options: dict[str, Any] = field(default_factory=dict)  # run-time settings (notify channels, limits)
    after_step: Callable[[str], None] | None = None  # a test's hook: "killed" after this step

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region or self.region)

    @property
    def facts(self) -> dict[str, Any]:
        """What capture found (the prior state every later step and release works from)."""
        return self.done.get("capture", {})

    @property
    def params(self) -> Mapping[str, Any]:
        return self.case.params


@dataclass(frozen=True)
class Result:
    case_id: str
    status: str
    message: str
    failed_step: str | None = None


def error_text(exc: BaseException) -> str:
    """One redacted line: the AWS error code and its message, or the exception's text."""
    from railguard.model.redact import redact_text

    if isinstance(exc, IrError):
        return str(exc)
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        err = response["Error"]
        op = getattr(exc, "operation_name", "")
        text = f"{err.get('Code')}: {err.get('Message', '')}".strip(": ")
        return " ".join(redact_text(f"{text}{f' (on {op})' if op else ''}").split())[:400]
    return " ".join(redact_text(f"{type(exc).__name__}: {exc}").split())[:400]


def load_done(store: Store, case_id: str, phase: str | None = None) -> dict[str, dict[str, Any]]:
    return {s.name: dict(s.detail) for s in store.cases.steps(case_id, phase)
            if s.status in (C.STEP_DONE, C.STEP_SKIPPED)}


def run_steps(ctx: Ctx, phase: str, steps: Sequence[Step], *, final: str) -> Result:
    """Run the steps not yet done, in order; record each; stop at the first failure (resumable)."""
    store, case_id = ctx.store, ctx.case.id
    ctx.done.update(load_done(store, case_id, RESPOND))
    if phase != RESPOND:
        ctx.done.update({f"{phase}:{k}": v for k, v in load_done(store, case_id, phase).items()})
    store.cases.update(case_id, status=C.RUNNING if phase == RESPOND else C.RELEASING)
    for seq, step in enumerate(steps, 1):
        key = step.name if phase == RESPOND else f"{phase}:{step.name}"
        if key in ctx.done:
            continue
        started, calls_before = utcnow(), ctx.session.counter.total
        try:
            out = step.run(ctx)
        except Waiting as wait:
            store.cases.record_step(case_id, phase=phase, seq=seq, name=step.name, status=C.STEP_FAILED,
                                    actor=ctx.actor, summary="waiting for approval", detail={},
                                    error=str(wait), calls=ctx.session.counter.total - calls_before,
                                    started_at=started)
            store.cases.update(case_id, status=C.WAITING, message=str(wait),
                               **({"journal_id": wait.journal_id} if wait.journal_id else {}))
            return Result(case_id, C.WAITING, str(wait), step.name)
        except Exception as exc:
            reason = error_text(exc)
            store.cases.record_step(case_id, phase=phase, seq=seq, name=step.name, status=C.STEP_FAILED,
                                    actor=ctx.actor, summary=f"{step.title}: FAILED", detail={},
                                    error=reason, calls=ctx.session.counter.total - calls_before,
                                    started_at=started)
            message = _stopped_message(ctx, phase, steps, step, reason)
            store.cases.update(case_id, status=C.STOPPED, message=message)
            if isinstance(exc, InputError):
                raise InputError(message) from None
            return Result(case_id, C.STOPPED, message, step.name)
        status = C.STEP_SKIPPED if out.skipped else C.STEP_DONE
        store.cases.record_step(case_id, phase=phase, seq=seq, name=step.name, status=status, actor=ctx.actor,
                                summary=out.summary, detail=out.detail, error=None,
                                calls=ctx.session.counter.total - calls_before, started_at=started)
        ctx.done[key] = out.detail
        if ctx.after_step is not None:
            ctx.after_step(step.name)
    message = f"all {len(steps)} steps of {phase} done"
    store.cases.update(case_id, status=final, message=message)
    return Result(case_id, final, message)


def _stopped_message(ctx: Ctx, phase: str, steps: Sequence[Step], failed: Step, reason: str) -> str:
    prefix = "" if phase == RESPOND else f"{phase}:"
    done = [s.name for s in steps if f"{prefix}{s.name}" in ctx.done]
    left = [s.name for s in steps if f"{prefix}{s.name}" not in ctx.done and s is not failed]
    return (f"stopped at step {failed.name!r} ({reason}). Done: {', '.join(done) or 'nothing'}. "
            f"Not done: {failed.name}{', ' + ', '.join(left) if left else ''}. "
            f"Fix the cause, then `railguard ir {'resume' if phase == RESPOND else 'release'} {ctx.case.id}`.")
