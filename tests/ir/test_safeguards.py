"""Isolation safeguards: past the breaker, or critical-tagged, a case waits for `approvals approve` and
says so to a human; only capture (read-only) has run."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.ir import service
from railguard.remediation.approvals import approve, reject
from railguard.store import Store
from railguard.store import cases as C
from railguard.store.journal import APPLIED, PENDING
from tests.ir.scenario import build, client, eni_groups
from tests.ir.test_isolate import isolate


def test_the_third_isolation_in_the_window_waits_for_approval_then_runs(store: Store, session: Any) -> None:
    sc = build(3)
    a, b, c = sc.suspects
    assert isolate(store, session, a["id"]).status == C.DONE
    assert isolate(store, session, b["id"]).status == C.DONE
    before = eni_groups(c["eni1"])
    held = isolate(store, session, c["id"])
    assert held.status == C.WAITING and held.failed_step == "safeguards"
    assert "2 isolation(s) already in the last 60 min (limit 2)" in held.message
    assert eni_groups(c["eni1"]) == before  # nothing changed on the held instance
    assert [s.name for s in store.cases.steps(held.case_id) if s.status == "done"] == ["capture"]
    case = store.cases.get(held.case_id)
    assert case is not None and case.status == C.WAITING and case.journal_id
    pending = store.journal.query(statuses=[PENDING])
    assert [(r.id, r.resource_id) for r in pending] == [(case.journal_id, c["id"])]
    notes = [n for n in store.notifications.list(run_id=held.case_id) if n.kind == "needs-human"]
    assert len(notes) == 1 and "approvals approve" in str(notes[0].items)
    # resuming does not sneak past the approval
    again = service.run(store, session, held.case_id, actor="t")
    assert again.status == C.WAITING and len(store.journal.query(statuses=[PENDING])) == 1
    # approval through the existing approvals resumes the case
    row = approve(store, case.journal_id, {session.account: session}, approver="alice")
    assert row.status == APPLIED and row.approver == "alice"
    done = store.cases.get(held.case_id)
    assert done is not None and done.status == C.DONE
    assert eni_groups(c["eni1"]) != before
    gate = store.cases.step(held.case_id, "respond", "safeguards")
    assert gate is not None and gate.status == "done" and "approved by alice" in gate.summary


def test_a_critical_instance_always_waits_and_notifies(store: Store, session: Any) -> None:
    sc = build(1)
    iid = sc.suspects[0]["id"]
    client("ec2").create_tags(Resources=[iid], Tags=[{"Key": "criticality", "Value": "Critical"}])
    held = isolate(store, session, iid, options={"max_isolations": 100, "channels": _stdout()})
    assert held.status == C.WAITING and "tagged critical" in held.message
    notes = store.notifications.list(run_id=held.case_id)
    assert [(n.kind, n.ok) for n in notes] == [("needs-human", 1)]
    case = store.cases.get(held.case_id)
    assert case is not None
    row = reject(store, case.journal_id or "", approver="bob", reason="prod database, ask the owner")
    assert row.status == "rejected"
    out = service.run(store, session, held.case_id, actor="t")
    assert out.status == C.STOPPED and "rejected" in out.message and "nothing was changed" in out.message


def test_within_the_breaker_the_journal_row_ends_applied(store: Store, session: Any) -> None:
    sc = build(1)
    result = isolate(store, session, sc.suspects[0]["id"])
    case = store.cases.get(result.case_id)
    assert case is not None and case.journal_id
    row = store.journal.get(case.journal_id)
    assert row is not None and row.status == APPLIED and row.guardrail == "ir:isolate"
    # `railguard undo` on that row says how to undo an isolation, without a traceback
    from railguard.remediation.undo import UndoError, undo_action

    with pytest.raises(UndoError, match=f"railguard ir release {case.id}"):
        undo_action(store, row.id, {session.account: session})


def _stdout() -> dict[str, Any]:
    from railguard.notify import ChannelConfig

    return {"console": ChannelConfig.model_validate({"stdout": True})}
