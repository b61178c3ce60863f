"""Findings lifecycle, the journal's claims (idempotency, breaker), exceptions, history: on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from railguard.model import Finding, Result, Severity
from railguard.store import Store, open_store
from railguard.store.findings import Covered
from railguard.store.journal import APPLIED, CLAIMED, FAILED, HELD, idempotency_key

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _f(rid: str, result: Result = Result.FAIL, control: str = "ec2.sg-admin-port-open-to-world") -> Finding:
    return Finding(control_id=control, title="t", severity=Severity.HIGH, result=result,
                   resource_type="AWS::EC2::SecurityGroup", resource_id=rid, account="123456789012", region="us-east-1")


def _run(store: Store, findings: list[Finding], at: datetime, **kw: object) -> dict[str, str]:
    run = store.runs.start("scan", now=at)
    seen = store.findings.record(run.id, findings, now=at, **kw)  # type: ignore[arg-type]
    store.runs.finish(run.id, counts={"findings": len(findings)}, now=at)
    return {fp: s.status for fp, s in seen.items()}


def test_lifecycle_new_open_resolved_reopened_suppressed(store: Store) -> None:
    a, b = _f("sg-a"), _f("sg-b")
    assert _run(store, [a, b], T0) == {a.fingerprint: "new", b.fingerprint: "new"}
    assert _run(store, [a, _f("sg-b", Result.PASS)], T0 + timedelta(hours=1)) == {
        a.fingerprint: "open", b.fingerprint: "resolved"}
    assert _run(store, [a, b], T0 + timedelta(hours=2)) == {a.fingerprint: "open", b.fingerprint: "reopened"}
    assert _run(store, [a, b], T0 + timedelta(hours=3))[b.fingerprint] == "open"
    assert _run(store, [_f("sg-a", Result.SUPPRESSED)], T0 + timedelta(hours=4))[a.fingerprint] == "suppressed"
    assert _run(store, [a], T0 + timedelta(hours=5))[a.fingerprint] == "reopened"  # the exception lapsed
    row = store.findings.get(b.fingerprint)
    assert row is not None and row.times_reopened == 1 and row.first_seen == T0


def test_unknown_then_fail_is_escalated_and_pass_never_creates_a_row(store: Store) -> None:
    u = _f("sg-u", Result.UNKNOWN)
    assert _run(store, [u, _f("sg-ok", Result.PASS)], T0) == {u.fingerprint: "new"}
    assert _run(store, [_f("sg-u")], T0 + timedelta(hours=1)) == {u.fingerprint: "escalated"}
    assert store.findings.get(_f("sg-ok").fingerprint) is None


def test_a_finding_gone_from_a_covering_run_is_resolved(store: Store) -> None:
    a, b = _f("sg-a"), _f("sg-gone")
    _run(store, [a, b], T0)
    covered = Covered(controls={a.control_id}, accounts={"123456789012"}, regions={"us-east-1"})
    _run(store, [_f("sg-other", control="x.other")], T0 + timedelta(hours=1), covered=Covered({"x.other"}, {"123456789012"}))
    assert store.findings.get(b.fingerprint).status == "new"  # type: ignore[union-attr]  # not covered: untouched
    _run(store, [a], T0 + timedelta(hours=2), covered=covered)
    gone = store.findings.get(b.fingerprint)
    assert gone is not None and gone.status == "resolved" and "gone" in gone.reason


def test_diff_since_a_date(store: Store) -> None:
    old, fixed, reopened = _f("sg-old"), _f("sg-fixed"), _f("sg-re")
    _run(store, [old, fixed, reopened], T0)
    _run(store, [old, _f("sg-re", Result.PASS)], T0 + timedelta(hours=1))
    since = T0 + timedelta(hours=1, minutes=30)
    _run(store, [old, _f("sg-fixed", Result.PASS), reopened, _f("sg-new")], T0 + timedelta(hours=2))
    d = store.findings.diff(since)
    assert [r.resource_id for r in d["new"]] == ["sg-new"]
    assert [r.resource_id for r in d["fixed"]] == ["sg-fixed"]
    assert [r.resource_id for r in d["reopened"]] == ["sg-re"]


def _claim(store: Store, key: str, *, max_actions: int = 5, at: datetime = T0, rid: str = "sg-1"):  # type: ignore[no-untyped-def]
    return store.journal.claim(key=key, max_actions=max_actions, window_start=at - timedelta(hours=1), now=at,
                               guardrail="g", action_id="ec2.x", resource_type="AWS::EC2::SecurityGroup",
                               resource_id=rid, account="1", region="us-east-1", mode="remediate", fingerprint=rid)


def test_claim_is_idempotent_and_the_breaker_holds_past_the_limit(store: Store) -> None:
    first = _claim(store, "k1")
    assert first.outcome == "claimed" and first.row is not None and first.row.status == CLAIMED
    dup = _claim(store, "k1")
    assert dup.outcome == "duplicate" and dup.row is not None and dup.row.id == first.row.id
    store.journal.update(first.row.id, status=FAILED, error="AccessDenied")  # a failed apply counts too
    assert _claim(store, "k2", max_actions=2).outcome == "claimed"
    held = _claim(store, "k3", max_actions=2, rid="sg-3")
    assert held.outcome == "held" and held.row is not None and held.row.status == HELD and held.row.idempotency_key is None
    assert "circuit breaker" in (held.row.error or "")
    later = _claim(store, "k4", max_actions=2, at=T0 + timedelta(hours=2))  # a new window
    assert later.outcome == "claimed"
    assert store.journal.page_once("g", T0 - timedelta(hours=1), now=T0) is True
    assert store.journal.page_once("g", T0 - timedelta(hours=1), now=T0) is False


def test_two_threads_claiming_the_same_key_act_once(store_url: str) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        with open_store(store_url) as s:
            barrier.wait()
            outcomes.append(_claim(s, "same-key").outcome)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["claimed", "duplicate", "duplicate", "duplicate"]


def test_two_threads_respect_one_breaker(store_url: str) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def worker(i: int) -> None:
        with open_store(store_url) as s:
            barrier.wait()
            outcomes.append(_claim(s, f"k{i}", max_actions=2, rid=f"sg-{i}").outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["claimed", "claimed", "held", "held", "held", "held"]


def test_idempotency_key_depends_on_plan_and_generation() -> None:
    k = idempotency_key("g", "a", "fp", {"x": 1}, 0)
    assert k == idempotency_key("g", "a", "fp", {"x": 1}, 0)
    assert k != idempotency_key("g", "a", "fp", {"x": 2}, 0)
    assert k != idempotency_key("g", "a", "fp", {"x": 1}, 1)


def test_history_answers_has_this_happened_before(store: Store) -> None:
    a = _f("sg-h")
    assert store.findings.history(resource_id="sg-h", account="123456789012", fingerprint=a.fingerprint).line() == "first time seen"
    run = store.runs.start("event", now=T0)
    store.findings.record(run.id, [a, _f("sg-h", control="ec2.other")], now=T0, principal="arn:aws:iam::1:user/bob")
    _run(store, [a], T0 + timedelta(hours=1))
    c = _claim(store, "kh", rid="sg-h")
    assert c.row is not None
    store.journal.update(c.row.id, status=APPLIED, account="123456789012")
    h = store.findings.history(resource_id="sg-h", account="123456789012", fingerprint=a.fingerprint)
    assert h.times_seen == 2 and h.first_seen == T0 and h.other_findings == 1 and h.actions == 1
    assert h.principal == "arn:aws:iam::1:user/bob" and h.principal_findings == 2
    line = h.line()
    assert "seen 2 time(s) before since 2026-11-01" in line and "last by arn:aws:iam::1:user/bob" in line
    assert store.findings.violations_by("arn:aws:iam::1:user/bob", T0 - timedelta(minutes=1)) == 2


def test_exceptions_and_seen_events(store: Store) -> None:
    x = store.exceptions.add(resource="sg-1", reason="bastion", owner="ops@example.com",
                             expires=datetime(2027, 1, 31, tzinfo=UTC), guardrail="g")
    store.exceptions.add(tag_key="env", tag_value="lab", reason="lab", owner="o", expires=None)
    assert store.exceptions.list("g")[0].id == x.id
    assert len(store.exceptions.list("other")) == 1
    assert store.exceptions.list("g")[0].expires == datetime(2027, 1, 31, tzinfo=UTC)
    assert store.exceptions.remove(x.id) is True and store.exceptions.remove(x.id) is False
    assert store.events.first_time("ev-1") is True
    assert store.events.first_time("ev-1") is False
