"""One pipeline for every trigger (scan, schedule, event, manual):

    find -> scope -> exceptions -> safeguards -> record prior state -> apply -> verify -> journal -> notify

`run_pipeline` is a plain function over guardrails, findings and the resources they were judged on,
the account sessions, the store and the clock. Nothing changes unless the guardrail's mode is
`remediate` *and* `apply` is true; `approve` records a pending change for `railguard approvals`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from railguard.engine.plan import PlannedControl
from railguard.guardrails.controls import guardrail_controls
from railguard.guardrails.load import Rule
from railguard.guardrails.match import ExceptionLike, check_exceptions, from_spec, mode_for, out_of_scope
from railguard.model import GLOBAL, Finding, Resource, Result, Severity
from railguard.remediation.action import ActionSpec, Change, Target
from railguard.remediation.execute import error_text, perform_many, state_now
from railguard.remediation.safeguards import principal_user, quiet_period
from railguard.store import Store, utcnow
from railguard.store.findings import Covered
from railguard.store.journal import APPLIED, DRY_RUN, HELD, PENDING, SKIPPED, UNDONE, idempotency_key
from railguard.store.models import ActionRow

# item statuses beside the journal's: where a finding stood when the guardrail looked at it
OUT_OF_SCOPE, EXCEPTED, UNKNOWN = "out-of-scope", "excepted", "unknown"


@dataclass(frozen=True)
class Item:
    """What one guardrail did about one finding (or one countermeasure), for reports and notifications."""

    guardrail: str
    control: str
    resource_type: str
    resource_id: str
    account: str | None
    region: str | None
    status: str  # a finding lifecycle status (assess), or dry-run/pending/applied/failed/rolled-back/held/skipped,
                 # or out-of-scope/excepted/unknown
    severity: Severity = Severity.MEDIUM
    summary: str = ""
    action_id: str | None = None
    journal_id: str | None = None
    history: str = ""
    notify: bool = False
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"guardrail": self.guardrail, "control": self.control, "resource_type": self.resource_type,
                "resource_id": self.resource_id, "account": self.account, "region": self.region,
                "status": self.status, "severity": self.severity.value, "summary": self.summary,
                "action_id": self.action_id, "journal_id": self.journal_id, "history": self.history,
                "notify": self.notify}


@dataclass
class PipelineResult:
    run_id: str
    items: list[Item] = field(default_factory=list)
    needs_human: list[str] = field(default_factory=list)  # guardrails whose breaker paged a human
    deliveries: dict[str, Any] = field(default_factory=dict)  # channel -> Delivery

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(i.status for i in self.items))

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "counts": self.counts, "needs_human": self.needs_human,
                "items": [i.to_dict() for i in self.items],
                "notifications": {k: {"ok": d.ok, "attempts": d.attempts, "error": d.error}
                                  for k, d in self.deliveries.items()}}


@dataclass(frozen=True)
class Context:
    """Who and what triggered the run: the events issue passes the principal of a CloudTrail record."""

    trigger: str = "manual"
    principal: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None


def _key(r: Resource) -> tuple[str, str, str | None, str | None]:
    return (r.type, r.id, r.account, r.region)


class _Run:
    """The state of one pipeline run (kept off the function signature)."""

    def __init__(self, store: Store, sessions: Mapping[str, Any], now: datetime, apply: bool, ctx: Context,
                 run_id: str, workers: int = 8) -> None:
        self.store, self.sessions, self.now, self.apply, self.ctx, self.run_id = store, sessions, now, apply, ctx, run_id
        self.workers = max(1, workers)
        self.items: list[Item] = []
        self.paged: list[str] = []
        self.identity_cache: dict[int, str | None] = {}
        self.store_exceptions = store.exceptions.list()
        self.generations: dict[tuple[str, str], int] = {}  # (guardrail, fingerprint) -> earlier claims
        self.held_before: dict[str, set[str]] = {}  # guardrail -> fingerprints held earlier in the window
        self.waiting: dict[str, list[Any]] = {}  # guardrail -> its pending approvals

    def generation(self, guardrail: str, fp: str) -> int:
        if (guardrail, fp) not in self.generations:
            self.generations[(guardrail, fp)] = self.store.journal.generation(guardrail, fp, before=self.now)
        return self.generations[(guardrail, fp)]

    def first_hold(self, rule: Rule, fp: str) -> bool:
        """A hold notifies once per window for the same finding, not on every run. Called (with fp "")
        before this run writes its own holds, so that only earlier runs' holds count."""
        if rule.name not in self.held_before:
            since = self.now - rule.guardrail.safeguards.window
            self.held_before[rule.name] = self.store.journal.held_since(rule.name, since)
        return fp not in self.held_before[rule.name]

    def session_for(self, account: str | None) -> Any:
        if account is not None and account in self.sessions:
            return self.sessions[account]
        if len(self.sessions) == 1:
            return next(iter(self.sessions.values()))
        return None

    def exceptions(self, rule: Rule) -> list[ExceptionLike]:
        out = [from_spec(rule.name, i, e) for i, e in enumerate(rule.guardrail.exceptions)]
        for x in self.store_exceptions:
            if x.guardrail in (None, rule.name):
                tag = (x.tag_key, x.tag_value or "") if x.tag_key else None
                out.append(ExceptionLike(x.id, x.resource, tag, x.account, x.reason, x.owner, x.expires))
        return out


def run_pipeline(
    guardrails: Iterable[Rule],
    findings: Iterable[Finding],
    resources: Iterable[Resource],
    sessions: Mapping[str, Any] | Sequence[Any],
    store: Store,
    *,
    now: datetime | None = None,
    apply: bool = False,
    context: Context | None = None,
    run_id: str | None = None,
    covered: Covered | None = None,
    record_findings: bool = True,
    notify: bool = True,
    workers: int = 8,
) -> PipelineResult:
    """Run every guardrail over the findings. `now` is when the resources were read (before collection):
    the idempotency key of a claim depends on the claims made before it, so two runs over the same
    data act once. `sessions`: account id -> AccountSession (or a list of them). `workers`: how many
    resources are changed (apply, verify) at once; claims and outcomes are written per batch."""
    now = now or utcnow()
    ctx = context or Context()
    if not isinstance(sessions, Mapping):
        sessions = {s.account: s for s in sessions}
    rules = list(guardrails)
    owned = run_id is None
    if run_id is None:
        run_id = store.runs.start("guardrails", trigger=ctx.trigger, now=now,
                                  meta={"guardrails": [r.name for r in rules], "apply": apply}).id
    run = _Run(store, sessions, now, apply, ctx, run_id, workers)
    by_key = {_key(r): r for r in resources}
    all_findings = list(findings)
    seen: dict[str, Any] = {}
    if record_findings:
        wanted = {pc.control.id for r in rules for pc in guardrail_controls(r.guardrail)}
        excepted = _suppressed(rules, all_findings, by_key, run)
        recorded = [replace(f, result=Result.SUPPRESSED, suppressed_by=excepted[f.fingerprint])
                    if f.fingerprint in excepted else f for f in all_findings if f.control_id in wanted]
        seen = store.findings.record(run_id, recorded, now=now, covered=covered, principal=ctx.principal,
                                     source_ip=ctx.source_ip, user_agent=ctx.user_agent)
    for rule in rules:
        if ctx.trigger in ("schedule", "event") and ctx.trigger not in rule.guardrail.trigger:
            continue
        _guardrail(run, rule, all_findings, by_key, seen)
    result = PipelineResult(run_id, run.items, run.paged)
    if notify:
        from railguard.remediation.alerts import send

        result.deliveries = send(store, rules, result)
    if owned:
        store.runs.finish(run_id, counts=result.counts, meta={"needs_human": run.paged})
    return result


def _suppressed(rules: list[Rule], findings: list[Finding], by_key: Mapping[Any, Resource], run: _Run) -> dict[str, str]:
    """fingerprint -> the exception that covers it (for the findings store: `suppressed`)."""
    out: dict[str, str] = {}
    for rule in rules:
        ids = {pc.control.id for pc in guardrail_controls(rule.guardrail)}
        exc = run.exceptions(rule)
        for f in findings:
            if f.control_id in ids and f.result == Result.FAIL:
                r = by_key.get((f.resource_type, f.resource_id, f.account, f.region)) or _stub(f)
                active = check_exceptions(r, exc, run.now).active
                if active is not None:
                    out[f.fingerprint] = active.id
    return out


def _stub(f: Finding) -> Resource:
    return Resource(type=f.resource_type, id=f.resource_id, account=f.account, region=f.region, arn=f.arn,
                    name=f.resource_name)


@dataclass
class _Pending:
    """A change waiting for the batch: a dry run to journal, or a claim to make, apply and verify."""

    base: Item
    spec: ActionSpec
    target: Target
    change: Change
    control: PlannedControl | None
    fields: dict[str, Any]
    key: str = ""  # the idempotency key ("" for a dry run)
    note: str = ""
    expired: str = ""  # an expired exception's note, said in the summary


def _guardrail(run: _Run, rule: Rule, findings: list[Finding], by_key: Mapping[Any, Resource],
               seen: Mapping[str, Any]) -> None:
    g = rule.guardrail
    controls = {pc.control.id: pc for pc in guardrail_controls(g)}
    exceptions = run.exceptions(rule)
    spec = _spec(g.action.id) if g.action else None
    relevant = [f for f in findings if f.control_id in controls and f.result in (Result.FAIL, Result.UNKNOWN)]
    history = run.store.findings.history_many([(f.resource_id, f.account, f.fingerprint) for f in relevant],
                                              principal=run.ctx.principal, before=run.now)
    if spec is not None and relevant:
        gens = run.store.journal.generations(rule.name, [f.fingerprint for f in relevant], run.now)
        run.generations.update({(rule.name, f.fingerprint): gens.get(f.fingerprint, 0) for f in relevant})
    out: list[Item | _Pending] = []
    for f in relevant:
        pc = controls[f.control_id]
        resource = by_key.get((f.resource_type, f.resource_id, f.account, f.region)) or _stub(f)
        status = getattr(seen.get(f.fingerprint), "status", "open")
        hist = history[(f.resource_id, f.account, f.fingerprint)].line()
        base = Item(rule.name, f.control_id, f.resource_type, f.resource_id, f.account, f.region, status,
                    f.severity, f.reason, history=hist, fingerprint=f.fingerprint,
                    notify=status in ("new", "reopened", "escalated"))
        why = out_of_scope(g, resource, rule.environments)
        if why is not None:
            out.append(replace(base, status=OUT_OF_SCOPE, summary=why, notify=False))
            continue
        checked = check_exceptions(resource, exceptions, run.now)
        if checked.active is not None:
            out.append(replace(base, status=EXCEPTED, summary=checked.active.describe(), notify=False))
            continue
        item: Item | _Pending
        if f.result == Result.UNKNOWN:
            item = replace(base, status=UNKNOWN, summary=f"not assessed: {f.reason}; no action")
        else:
            mode, why_mode = mode_for(g, resource, rule.environments)
            item = base if mode == "assess" or spec is None else _act(run, rule, spec, resource, pc, base, mode, why_mode)
        if checked.expired:  # an expired exception fires again, and the message says so
            if isinstance(item, _Pending):
                item.expired = checked.expired_note()
            else:
                item = replace(item, summary=f"{item.summary} [{checked.expired_note()}]", notify=True)
        out.append(item)
    _settle(run, rule, out)
    if g.countermeasure is not None:
        for principal, count in _offenders(run, rule, set(controls)):
            _settle(run, rule, [_countermeasure(run, rule, principal, count)])


def _settle(run: _Run, rule: Rule, batch: list[Item | _Pending]) -> None:
    """Journal the batch's dry runs in one transaction; claim its changes in batches (one transaction
    each: idempotency keys and the breaker decide exactly as one by one), apply and verify the claimed
    ones `run.workers` at a time, and write their outcomes in one transaction; items keep their order."""
    pending = [p for p in batch if isinstance(p, _Pending)]
    done: dict[int, Item] = {}
    dry = [p for p in pending if not p.key]
    for p, row in zip(dry, run.store.journal.add_many([{**p.fields, "status": DRY_RUN} for p in dry]), strict=True):
        done[id(p)] = replace(p.base, status=DRY_RUN, journal_id=row.id, summary=f"would {p.change.summary}{p.note}")
    claims = [p for p in pending if p.key]
    size = max(16, 4 * run.workers)
    for i in range(0, len(claims), size):
        done.update(_apply_batch(run, rule, claims[i : i + size]))
    for p in pending:
        item = done[id(p)]
        if p.expired:
            item = replace(item, summary=f"{item.summary} [{p.expired}]", notify=True)
        done[id(p)] = item
    run.items.extend(done[id(x)] if isinstance(x, _Pending) else x for x in batch)


def _apply_batch(run: _Run, rule: Rule, batch: list[_Pending]) -> dict[int, Item]:
    sg = rule.guardrail.safeguards
    window_start = run.now - sg.window
    run.first_hold(rule, "")  # earlier holds, read before this batch writes its own
    claims = run.store.journal.claim_many([(p.key, p.fields) for p in batch], max_actions=sg.max_actions,
                                          window_start=window_start)
    out: dict[int, Item] = {}
    go: list[tuple[_Pending, ActionRow]] = []
    for p, claim in zip(batch, claims, strict=True):
        base, other = p.base, claim.row
        if claim.outcome == "duplicate":
            out[id(p)] = replace(base, status=SKIPPED, journal_id=other.id if other else None, notify=False,
                                 summary=f"already handled by run {other.run_id if other else '?'} "
                                         f"({other.status if other else '?'})")
        elif claim.outcome == "held":
            assert other is not None
            if rule.name not in run.paged and run.store.journal.page_once(rule.name, window_start, now=utcnow()):
                run.paged.append(rule.name)
            out[id(p)] = replace(base, status=HELD, journal_id=other.id, notify=run.first_hold(rule, p.fields["fingerprint"]),
                                 summary=f"circuit breaker: {claim.count} action(s) in the last {_window(sg.window)} "
                                         f"(limit {sg.max_actions}); needs a human: {p.change.summary}")
        else:
            assert other is not None
            go.append((p, other))
    outcomes = _perform_all(run, go)
    rows = run.store.journal.update_many({row.id: outcomes[id(p)] for p, row in go})
    for p, row in go:
        r = rows[row.id]
        summary = p.change.summary if r.status == APPLIED else (r.error or r.status)
        out[id(p)] = replace(p.base, status=r.status, journal_id=r.id, notify=True, summary=summary)
    return out


def _perform_all(run: _Run, go: list[tuple[_Pending, ActionRow]]) -> dict[int, dict[str, Any]]:
    """Apply and verify the claimed changes, at most `run.workers` at once (each on its own resource)."""
    outcomes = perform_many([(p.spec, p.target, p.change, p.control) for p, _ in go], workers=run.workers, now=run.now)
    return {id(p): o for (p, _), o in zip(go, outcomes, strict=True)}


def _spec(action_id: str) -> ActionSpec:
    from railguard.remediation.actions import get

    return get(action_id)


def _act(run: _Run, rule: Rule, spec: ActionSpec, resource: Resource, pc: PlannedControl | None, base: Item,
         mode: str, why_mode: str, params: Mapping[str, Any] | None = None) -> Item | _Pending:
    """Plan, then (by mode and --apply) a dry run or a claim for the batch (`_settle`), or a pending approval."""
    g = rule.guardrail
    params = dict(params if params is not None else (g.action.params if g.action else {}))
    base = replace(base, action_id=spec.id)
    session = run.session_for(resource.account)
    if session is None:
        return replace(base, status=HELD, notify=True, summary=f"no session for account {resource.account}; held")
    region = resource.region if resource.region and resource.region != GLOBAL else str(session.session.region_name or "us-east-1")
    target = Target(resource, session, region, run.store)
    try:
        change = spec.plan(target, params)
    except Exception as exc:
        return replace(base, status=HELD, notify=True, summary=f"cannot plan {spec.id}: {error_text(exc)}; held")
    if change.noop:
        return replace(base, status=SKIPPED, summary=f"nothing to do: {change.summary}")
    acting = mode == "approve" or run.apply  # the state before is read only when something may change
    fields = _fields(run, rule, spec, resource, base, change, mode,
                     state=state_now(spec, target, resource) if acting else {})
    note = f" ({why_mode})" if why_mode else ""
    if mode == "remediate" and not run.apply:
        return _Pending(base, spec, target, change, pc, fields, note=note)
    sg = g.safeguards
    window_start = run.now - sg.window
    fp = base.fingerprint or f"{resource.type}:{resource.account}:{resource.id}"
    fields["fingerprint"] = fp
    key = idempotency_key(rule.name, spec.id, fp, change.to_dict(), run.generation(rule.name, fp))
    if mode == "approve":
        if rule.name not in run.waiting:
            run.waiting[rule.name] = run.store.journal.query(statuses=[PENDING], guardrail=rule.name)
        waiting = [w for w in run.waiting[rule.name] if w.fingerprint == fp]
        if waiting:
            return replace(base, status=SKIPPED, journal_id=waiting[0].id, notify=False,
                           summary=f"already awaiting approval ({waiting[0].id})")
        claim = run.store.journal.claim(key=key, max_actions=sg.max_actions, window_start=window_start,
                                        status=PENDING, **fields)
        if claim.outcome == "duplicate":
            return replace(base, status=SKIPPED, notify=False, summary=f"already handled ({claim.row.id if claim.row else '?'})")
        assert claim.row is not None
        return replace(base, status=PENDING, journal_id=claim.row.id, notify=True,
                       summary=f"awaiting approval: {change.summary}{note} (railguard approvals approve {claim.row.id})")
    if sg.quiet_minutes:
        quiet = quiet_period(session, resource, region, sg.quiet_minutes, run.now, run.identity_cache)
        if quiet.hold:
            first = run.first_hold(rule, fp)
            row = run.store.journal.add(status=HELD, error=quiet.reason, **fields)
            return replace(base, status=HELD, journal_id=row.id, summary=quiet.reason, notify=first)
    return _Pending(base, spec, target, change, pc, fields, key=key, note=note)


def _fields(run: _Run, rule: Rule, spec: ActionSpec, resource: Resource, base: Item, change: Change, mode: str,
            state: Mapping[str, Any]) -> dict[str, Any]:
    g = rule.guardrail
    return dict(
        run_id=run.run_id, guardrail=rule.name, action_id=spec.id, control_id=base.control,
        fingerprint=base.fingerprint, resource_type=resource.type, resource_id=resource.id,
        account=resource.account, region=resource.region, mode=mode, summary=change.summary,
        params=dict(change.params), prior=dict(change.prior),
        plan={"change": change.to_dict(), "before": dict(state),
              "safeguards": {"max_actions": g.safeguards.max_actions,
                             "window_s": int(g.safeguards.window.total_seconds())}},
        trigger=run.ctx.trigger, principal=run.ctx.principal, source_ip=run.ctx.source_ip,
        user_agent=run.ctx.user_agent,
    )


def _window(td: Any) -> str:
    from railguard.guardrails.duration import format_duration

    return format_duration(td)


def _offenders(run: _Run, rule: Rule, controls: set[str]) -> list[tuple[str, int]]:
    """Principals past the countermeasure's threshold: the event's principal, or (a scheduled or
    manual run) every principal the store attributes violations to. Violations of this guardrail's
    controls count, from the window's start or from the last countermeasure applied to (or undone
    on) that principal, whichever is later: acting, or a person undoing it, starts the count again."""
    cm = rule.guardrail.countermeasure
    assert cm is not None
    start = run.now - cm.window
    candidates = ([run.ctx.principal] if run.ctx.principal
                  else sorted(run.store.findings.offenders(start, controls)))
    out = []
    for principal in candidates:
        acted = run.store.journal.query(statuses=[APPLIED, UNDONE], guardrail=rule.name,
                                        fingerprint=f"countermeasure:{principal}")
        since = max([start, *(a.created_at for a in acted)])
        count = run.store.findings.violations_by(principal, since, controls)
        if count >= cm.after:
            out.append((principal, count))
    return out


def _countermeasure(run: _Run, rule: Rule, principal: str, count: int) -> Item | _Pending:
    """Act on a repeat offender (`count` violations within the window) with the countermeasure's action,
    through the same scope, mode, breaker and idempotent claim as any other action."""
    cm = rule.guardrail.countermeasure
    assert cm is not None
    spec = _spec(cm.action.id)
    user = principal_user(principal)
    hist = f"{count} violation(s) by {principal} within {_window(cm.window)} (threshold {cm.after})"
    base = Item(rule.name, f"countermeasure:{rule.name}", "AWS::IAM::User", user.id if user else principal,
                user.account if user else None, GLOBAL, HELD, Severity.HIGH, action_id=spec.id, notify=True,
                fingerprint=f"countermeasure:{principal}", history=hist)
    if user is None:
        return replace(base, summary=f"{principal} is not an IAM user: countermeasure {spec.id} cannot act; held")
    session = run.session_for(user.account)
    if session is None:
        return replace(base, summary=f"no session for account {user.account}; held")
    try:
        fresh = spec.impl.reread(Target(user, session, session.session.region_name or "us-east-1"))
    except Exception as exc:
        return replace(base, summary=f"cannot read {principal}: {error_text(exc)}; held")
    before = run.store.findings.history(resource_id=fresh.id, account=fresh.account, before=run.now)
    if before.actions:  # has this happened before? earlier countermeasures on the same principal
        base = replace(base, history=f"{hist}; {before.actions} earlier action(s) on them (last: {before.last_action})")
    mode, why = mode_for(rule.guardrail, fresh, rule.environments)
    if mode == "assess":
        return replace(base, status="open", summary=f"repeat offender {principal} ({count} violations); assess only")
    return _act(run, rule, spec, fresh, None, base, mode, why, params=cm.action.params)
