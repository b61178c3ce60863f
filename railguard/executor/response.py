"""Incident-response cases on Celery: `railguard ir from-events --apply --executor celery`, one task per case.

The coordinator opens the cases in the store (so a re-delivered task never opens a second one) and
sends one `railguard.ir_case` task per case; a worker enters the case's account (`--role-name` in a
member account, its own credentials at home) and runs the case's workflow. Workflows are resumable
and idempotent (a step recorded done is skipped), so a task re-run after its worker died finishes
the case without repeating a change; the isolation breaker's claims live in the store's journal, so
"more than N isolations wakes a human" holds across every worker. Workers do not notify: the
notification channels (webhook URLs are secrets) never enter the store; the coordinator sends the
"needs a human" messages of the cases that wait, once the run is over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from railguard.executor.distributed import CeleryExecutor
    from railguard.ir.triggers import CaseRequest
    from railguard.store import Store


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    kind: str
    subject: str
    account: str | None
    status: str
    message: str


def run_cases(ex: CeleryExecutor, requests: list[CaseRequest], options: Any, store: Store, *, actor: str,
              run_options: Mapping[str, Any]) -> list[CaseOutcome]:
    """Open one case per request (in the account the detection names, else the caller's) and run them
    on the workers; returns each case's outcome, in the order of `requests`."""
    from railguard.executor.accounts import list_targets, spec_of
    from railguard.executor.distributed import _send
    from railguard.executor.seam import RunCancelled
    from railguard.ir import service
    from railguard.sources.aws.session import AccountSession, CallCounter, _base_session
    from railguard.store import utcnow
    from railguard.store.tasks import TaskRepo

    counter = CallCounter()
    me = list_targets(options, counter)[0].account  # no --accounts/--org: the caller's own account
    base = _base_session(options.profile, options.region)
    now = utcnow().replace(microsecond=0)
    spec = {**spec_of(options), "actor": actor, "max_isolations": run_options.get("max_isolations"),
            "window_s": run_options.get("window_s")}
    run = store.runs.start("ir", trigger="events", now=now, meta={"executor": "celery", "spec": spec})
    units: list[dict[str, Any]] = []
    for r in requests:
        acct = r.account or me
        where = r.region or base.region_name or "us-east-1"
        sess = AccountSession(base, acct)  # names the account; entered by the worker, not here
        opener = service.open_isolation if r.kind == service.ISOLATE else service.open_containment
        case = opener(store, sess, r.subject, where, trigger=r.trigger, actor=actor, reason=r.reason)
        units.append({"case": case.id, "account": acct, "assume": acct != me or bool(options.role_arn),
                      "region": where, "kind": r.kind, "subject": r.subject})
    tasks = TaskRepo(store)
    app = ex._app()
    for tid in tasks.add(run.id, "ir_case", units):
        _send(app, "ir_case", tid, 1, ex.settings.queue)
    try:
        ex.wait(app, tasks, run.id)
    except RunCancelled:
        store.runs.finish(run.id, status="cancelled", counts=tasks.counts(run.id))
        raise
    by_case = {row.unit["case"]: row for row in tasks.rows(run.id)}
    out = []
    for u in units:
        row = by_case[u["case"]]
        if row.status == "done":
            status, message = row.result.get("status", "?"), row.result.get("message", "")
        else:
            status, message = "stopped", f"case not run: task {row.status} ({row.error or 'no reason recorded'})"
        out.append(CaseOutcome(u["case"], u["kind"], u["subject"], u["account"], status, message))
    _notify_waiting(store, out, actor, run_options)
    counts: dict[str, int] = {}
    for o in out:
        counts[o.status] = counts.get(o.status, 0) + 1
    store.runs.finish(run.id, counts=counts)
    return out


def _notify_waiting(store: Store, outcomes: list[CaseOutcome], actor: str, run_options: Mapping[str, Any]) -> None:
    """The "needs a human" messages the workers held back, one per waiting case, as a local run sends them."""
    from railguard.ir.safeguards import needs_human
    from railguard.ir.workflow import Ctx
    from railguard.store import cases as C

    for o in outcomes:
        if o.status != C.WAITING:
            continue
        case = store.cases.get(o.case_id)
        if case is None:
            continue
        ctx = Ctx(store, case, None, case.region or "us-east-1", actor,  # type: ignore[arg-type]
                  options={"channels": dict(run_options.get("channels") or {})})
        needs_human(ctx, o.message.split(". Approve with", 1)[0], case.journal_id)


def run_unit(p: Any, row: Any, spec: Mapping[str, Any], guard: Any) -> tuple[Any, Any, Any]:
    """One case, in a worker: enter its account, run (or resume) its workflow."""
    from railguard.ir import service
    from railguard.ir.workflow import IrError
    from railguard.sources.aws.session import CallCounter
    from railguard.store import cases as C

    unit = row.unit
    counter = CallCounter()
    sess = p.sessions.enter(spec, unit["account"], unit["assume"], counter)
    if sess.error:
        raise RuntimeError(sess.error)
    guard.check()
    options: dict[str, Any] = {"channels": {}, "notify": False}
    for k in ("max_isolations", "window_s"):
        if spec.get(k) is not None:
            options[k] = spec[k]
    try:
        result = service.run(p.store, sess, unit["case"], actor=spec.get("actor") or "railguard", options=options)
        status, message = result.status, result.message
    except IrError as exc:
        status, message = C.STOPPED, str(exc)
    return {"status": status, "message": message}, counter.snapshot(), []
