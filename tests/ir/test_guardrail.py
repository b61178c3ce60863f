"""A guardrail opens a case: `ec2.instance-tainted` with `action: ir.isolate`, through the one remediation pipeline
(dry run by default, the guardrail's and the isolation's safeguards, the journal), from the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from typer.testing import CliRunner

from railguard.cli.main import app
from railguard.model import Resource, Result
from railguard.store import Store, open_store
from railguard.store import cases as C
from tests.ir.scenario import build, client, eni_groups
from tests.livehelp import results, run_control

GUARDRAIL = """
guardrails:
  - name: isolate-tainted
    controls: [ec2.instance-tainted]
    scope: {{regions: [us-east-1]}}
    mode: remediate
    action: {{id: ir.isolate, params: {{max_isolations: {limit}}}}}
    safeguards: {{max_actions: 5}}
"""


def tag(iid: str, **tags: str) -> None:
    client("ec2").create_tags(Resources=[iid], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def write(tmp_path: Path, limit: int = 2) -> str:
    p = tmp_path / "guardrails.yaml"
    p.write_text(GUARDRAIL.format(limit=limit))
    return str(p)


def guardrails_run(path: str, db: str, *extra: str) -> Any:
    res = CliRunner().invoke(app, ["guardrails", "run", path, "--db", db, "--json", *extra])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout), res.exit_code


def items(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["resource_id"]: i for i in out["items"] if i["guardrail"] == "isolate-tainted"}


def open_db(db: str) -> Store:
    return open_store(f"sqlite:///{db}")


def test_control_instance_tainted_pure() -> None:
    from railguard.controls import Context, get_control
    from railguard.engine.evaluate import run_control as run_one
    from railguard.engine.plan import PlannedControl
    from railguard.model import Inventory, Origin, Unknown

    def judge(tags: dict[str, Any], state: str = "running", params: dict[str, Any] | None = None) -> Result:
        r = Resource("AWS::EC2::Instance", "i-1", {"InstanceId": "i-1"}, account="123456789012", region="us-east-1",
                     origin=Origin(account="123456789012", region="us-east-1"), live={"state": state}, tags=tags)
        c = get_control("ec2.instance-tainted")
        pc = PlannedControl(c, {**c.params, **(params or {})})
        v = run_one(pc, r, Context(inventory=Inventory([r]), params=pc.params))
        return v.result if v is not None else Result.MANUAL  # None: out of scope

    assert judge({"Tainted": "2026-12-03T10:00:00Z ec2-user from 203.0.113.9"}) == Result.FAIL
    assert judge({"Tainted": ""}) == Result.FAIL  # the tag alone says it
    assert judge({"Name": "web"}) == Result.PASS
    assert judge({"Compromised": "yes"}, params={"tag": "Compromised"}) == Result.FAIL
    assert judge({"Tainted": Unknown("denied")}) == Result.UNKNOWN
    assert judge({"Tainted": "x"}, state="terminated") == Result.MANUAL  # gone: not judged


def test_control_instance_tainted_live(aws: None) -> None:
    sc = build(1)
    bad = sc.suspects[0]["id"]
    tag(bad, Tainted="2026-12-03T10:00:00Z ec2-user from 203.0.113.9 via sshd")
    got = results(run_control("ec2.instance-tainted"))
    assert got[bad] == Result.FAIL and got[sc.web_server] == Result.PASS


def test_guardrail_isolates_a_tainted_instance_dry_run_first_then_once(aws: None, tmp_path: Path) -> None:
    sc = build(2)
    s1, s2 = sc.suspects
    tag(s1["id"], Tainted="ec2-user from 203.0.113.9")
    path, db = write(tmp_path), str(tmp_path / "rg.db")

    dry, _ = guardrails_run(path, db)  # no --apply: nothing changes, no case
    assert items(dry)[s1["id"]]["status"] == "dry-run" and "open an incident-response case" in items(dry)[s1["id"]]["summary"]
    assert s2["id"] not in items(dry) and sc.web_server not in items(dry)
    assert eni_groups(s1["eni1"]) == [sc.app_sg]
    with open_db(db) as store:
        assert store.cases.query() == []

    out, code = guardrails_run(path, db, "--apply")
    item = items(out)[s1["id"]]
    assert item["status"] == "applied" and item["action_id"] == "ir.isolate" and code == 0, item
    with open_db(db) as store:
        (case,) = store.cases.query()
        assert (case.kind, case.subject, case.status, case.trigger) == ("isolate", s1["id"], C.DONE, "guardrail")
        row = store.journal.get(item["journal_id"])
        assert row is not None and row.applied["case_id"] == case.id and row.after == {"open_case": case.id}
        ir_row = store.journal.get(case.journal_id or "")
        assert ir_row is not None and ir_row.guardrail == "ir:isolate"  # the isolation's own breaker counted it
    quarantine = eni_groups(s1["eni1"])
    assert quarantine != [sc.app_sg] and eni_groups(s1["eni2"]) == quarantine
    assert sc.web_sg in eni_groups(sc.web_eni)  # the shared group stays on the web server
    assert eni_groups(s2["eni1"]) == [sc.app_sg]  # not tainted: untouched

    again, _ = guardrails_run(path, db, "--apply")  # still tainted: the active case handles it, no second case
    assert items(again)[s1["id"]]["status"] == "skipped" and "already handles" in items(again)[s1["id"]]["summary"]
    with open_db(db) as store:
        assert len(store.cases.query()) == 1

    # undoing the guardrail's action releases the case (evidence kept) and verifies it
    res = CliRunner().invoke(app, ["undo", item["journal_id"], "--db", db])
    assert res.exit_code == 0, res.output
    assert "restored state verified" in res.output
    assert eni_groups(s1["eni1"]) == [sc.app_sg]
    with open_db(db) as store:
        (case,) = store.cases.query()
        assert case.status == C.RELEASED and store.cases.artefacts(case.id)


def test_guardrail_case_keeps_the_isolation_safeguards(aws: None, tmp_path: Path) -> None:
    """Past the isolation breaker (max_isolations) and for a critical-tagged instance the case waits for a person:
    the guardrail's row is held and names the approval; approving it finishes the isolation."""
    sc = build(3)
    s3 = sc.suspects[2]
    for s in sc.suspects:
        tag(s["id"], Tainted="login")
    tag(s3["id"], critical="true")
    path, db = write(tmp_path, limit=1), str(tmp_path / "rg.db")
    out, code = guardrails_run(path, db, "--apply")
    got = items(out)
    assert code == 1  # held items need attention
    assert sorted(i["status"] for i in got.values()) == ["applied", "held", "held"], got
    applied = next(i for i in got.values() if i["status"] == "applied")["resource_id"]
    waiting = [r for r in got if r != applied]
    assert s3["id"] in waiting  # critical: always waits (and the breaker of 1 holds the other)
    for rid in waiting:
        assert "waits for a person" in got[rid]["summary"] and "railguard approvals approve" in got[rid]["summary"]
    with open_db(db) as store:
        cases = {c.subject: c for c in store.cases.query()}
        assert cases[applied].status == C.DONE
        assert all(cases[r].status == C.WAITING for r in waiting)
        assert all(store.cases.step(cases[r].id, "respond", "tag") is None for r in waiting)  # nothing changed
        assert [n for n in store.notifications.list() if n.kind == "needs-human"]
        held_case = cases[s3["id"]]
    for rid in waiting:
        s = next(x for x in sc.suspects if x["id"] == rid)
        assert eni_groups(s["eni1"]) == [sc.app_sg]
    res = CliRunner().invoke(app, ["approvals", "approve", str(held_case.journal_id), "--db", db, "--by", "alice"])
    assert res.exit_code == 0, res.output
    with open_db(db) as store:
        c = store.cases.get(held_case.id)
        assert c is not None and c.status == C.DONE and c.params["approved_by"] == "alice"
    assert eni_groups(s3["eni1"]) != [sc.app_sg]


def test_guardrail_contains_a_principal(aws: None, tmp_path: Path) -> None:
    """`ir.contain-principal` on an IAM user a guardrail flags (a `where:` condition): keys deactivated,
    deny-all attached, through the pipeline; in mode approve it waits for `approvals approve` first."""
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="mallory")
    key = iam.create_access_key(UserName="mallory")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="bob")
    iam.create_access_key(UserName="bob")
    p = tmp_path / "g.yaml"
    p.write_text("""
guardrails:
  - name: contain-compromised
    resource: AWS::IAM::User
    where: {path: UserName, eq: mallory}
    mode: approve
    action: {id: ir.contain-principal}
""")
    db = str(tmp_path / "rg.db")
    res = CliRunner().invoke(app, ["guardrails", "run", str(p), "--db", db, "--json", "--apply", "-r", "us-east-1"])
    out = json.loads(res.stdout)
    (item,) = [i for i in out["items"] if i["status"] == "pending"]
    assert item["resource_id"].endswith(":user/mallory")
    assert iam.list_access_keys(UserName="mallory")["AccessKeyMetadata"][0]["Status"] == "Active"  # waits
    res = CliRunner().invoke(app, ["approvals", "approve", item["journal_id"], "--db", db, "--by", "alice"])
    assert res.exit_code == 0, res.output
    (meta,) = iam.list_access_keys(UserName="mallory")["AccessKeyMetadata"]
    assert (meta["AccessKeyId"], meta["Status"]) == (key, "Inactive")  # deactivated, never deleted
    assert "railguard-deny-all" in iam.list_user_policies(UserName="mallory")["PolicyNames"]
    assert iam.list_access_keys(UserName="bob")["AccessKeyMetadata"][0]["Status"] == "Active"
    with open_db(db) as store:
        (case,) = store.cases.query()
        assert (case.kind, case.status) == ("contain", C.DONE) and case.subject.endswith(":user/mallory")
        row = store.journal.get(item["journal_id"])
        assert row is not None and row.status == "applied" and row.applied["case_id"] == case.id
