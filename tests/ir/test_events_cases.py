"""`railguard watch --open-cases` against moto's SQS: a Tainted tag delivered by EventBridge opens one isolation case
(dry run first; one case per subject however often the event is delivered); a root key detection opens a
containment case that stops with the reason (root cannot be contained through IAM)."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from railguard.cli.main import app
from railguard.store import cases as C
from railguard.store import open_store
from tests.events.records import ct, eventbridge, instance_role, root
from tests.ir.scenario import ACCOUNT, build, client, eni_groups


@pytest.fixture
def queue(aws: None) -> Iterator[str]:
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield client("sqs").create_queue(QueueName="railguard-events")["QueueUrl"]
    for s, h in handlers.items():  # `watch` installs its own: give pytest's back
        signal.signal(s, h)


def tainted(iid: str, event_id: str) -> dict[str, Any]:
    """The CreateTags record the marker script's call leaves (requestParameters as CloudTrail writes them)."""
    return eventbridge(ct("CreateTags", "ec2", who=instance_role(iid, "app-role"), account=ACCOUNT, event_id=event_id,
                          request={"resourcesSet": {"items": [{"resourceId": iid}]},
                                   "tagSet": {"items": [{"key": "Tainted", "value": "ec2-user from 203.0.113.9"}]}}))


def send(queue: str, *bodies: dict[str, Any]) -> None:
    for b in bodies:
        client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(b))


def watch(queue: str, db: str, *extra: str, open_cases: bool = True) -> tuple[list[dict[str, Any]], Any]:
    res = CliRunner().invoke(app, ["watch", "--queue", queue, "--db", f"sqlite:///{db}", "--wait", "0",
                                   "--idle-exit", "0", "--heartbeat", "3600", *extra,
                                   *(["--open-cases"] if open_cases else [])])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    return [x["case"] for x in lines if "case" in x], res


def test_a_tainted_tag_on_the_queue_opens_one_case(queue: str, tmp_path: Path) -> None:
    sc = build(2)
    s, other = sc.suspects
    first = tainted(s["id"], "ev-tag-1")
    send(queue, first)
    said, _ = watch(queue, str(tmp_path / "dry.db"))  # without --apply: said, not done
    assert [(c["kind"], c["subject"], c["status"], c["trigger"]) for c in said] == [
        ("isolate", s["id"], "would-open", "tag:Tainted")]
    assert eni_groups(s["eni1"]) == [sc.app_sg]
    with open_store(f"sqlite:///{tmp_path / 'dry.db'}") as store:
        assert store.cases.query() == []

    # delivered twice (at-least-once), and the tag put again (a second event on the same instance)
    send(queue, first, first, tainted(s["id"], "ev-tag-2"))
    db = str(tmp_path / "rg.db")
    said, _ = watch(queue, db, "--apply")
    assert [(c["subject"], c["opened"]) for c in said] == [(s["id"], True), (s["id"], False)], said
    assert said[0]["status"] == C.DONE and said[1]["case_id"] == said[0]["case_id"]
    with open_store(f"sqlite:///{db}") as store:
        (case,) = store.cases.query()
        assert (case.kind, case.subject, case.status, case.trigger) == ("isolate", s["id"], C.DONE, "tag:Tainted")
        assert case.opened_by == "railguard-events"
    assert eni_groups(s["eni1"]) != [sc.app_sg]  # isolated

    # the isolation breaker holds for automatic cases too: a second instance waits with --max-isolations 0
    send(queue, tainted(other["id"], "ev-tag-3"))
    said, _ = watch(queue, db, "--apply", "--max-isolations", "0")
    assert [(c["subject"], c["status"]) for c in said] == [(other["id"], C.WAITING)]
    assert eni_groups(other["eni1"]) == [sc.app_sg]


def test_a_root_key_detection_opens_a_containment_case_that_says_why_it_stops(queue: str, tmp_path: Path) -> None:
    send(queue, eventbridge(ct("ListBuckets", "s3", who=root("AKIAROOTEXAMPLEKEY01", ACCOUNT), account=ACCOUNT,
                               read_only=True)))
    db = str(tmp_path / "rg.db")
    said, _ = watch(queue, db, "--apply")
    (c,) = said
    assert (c["kind"], c["subject"], c["trigger"], c["status"]) == ("contain", "root", "detection:root.access-key-used",
                                                                   C.STOPPED)
    assert "root user cannot be contained through IAM" in c["message"]
    with open_store(f"sqlite:///{db}") as store:
        (case,) = store.cases.query()
        assert case.status == C.STOPPED and "sign in as root" in case.message


def test_an_event_guardrail_with_ir_isolate_opens_the_case(queue: str, tmp_path: Path) -> None:
    """`railguard watch --guardrails` (no --open-cases): the CreateTags record touches the instance, which is re-read
    live and judged by ec2.instance-tainted; the guardrail's action ir.isolate opens and runs the case. Asked again
    by --open-cases for the same instance, the active case is reused."""
    sc = build(1)
    s = sc.suspects[0]
    client("ec2").create_tags(Resources=[s["id"]], Tags=[{"Key": "Tainted", "Value": "ec2-user from 203.0.113.9"}])
    g = tmp_path / "guardrails.yaml"
    g.write_text("""
guardrails:
  - name: isolate-tainted
    controls: [ec2.instance-tainted]
    trigger: [event]
    mode: remediate
    action: {id: ir.isolate}
""")
    db = str(tmp_path / "rg.db")
    send(queue, tainted(s["id"], "ev-tag-1"))
    said, _ = watch(queue, db, "--guardrails", str(g), "--apply", open_cases=False)
    assert said == []  # no --open-cases: the guardrail did it
    with open_store(f"sqlite:///{db}") as store:
        (case,) = store.cases.query()
        assert (case.subject, case.status, case.trigger) == (s["id"], C.DONE, "guardrail")
        (row,) = [r for r in store.journal.query(guardrail="isolate-tainted")]
        assert row.status == "applied" and row.applied["case_id"] == case.id and row.trigger == "event"
    assert eni_groups(s["eni1"]) != [sc.app_sg]
    send(queue, tainted(s["id"], "ev-tag-2"))
    said, _ = watch(queue, db, "--guardrails", str(g), "--apply")
    assert [(c["case_id"], c["opened"]) for c in said] == [(case.id, False)]
    with open_store(f"sqlite:///{db}") as store:
        assert len(store.cases.query()) == 1


def test_deploy_open_cases_subscribes_to_createtags_and_grants_the_ir_calls(aws: None) -> None:
    def plan(*extra: str) -> dict[str, Any]:
        res = CliRunner().invoke(app, ["deploy", "--dry-run", "--json", "--name", "rg", "--region", "us-east-1", *extra])
        assert res.exit_code == 0, res.output
        return dict(json.loads(res.stdout))

    def names(p: dict[str, Any]) -> set[str]:
        return {n for r in p["rules"] for n in r["pattern"]["detail"].get("eventName", [])}

    def perms(p: dict[str, Any]) -> set[str]:
        return {a for st in p["worker_permissions"]["Statement"] for a in st["Action"]}

    without, with_cases = plan(), plan("--open-cases")
    assert "CreateTags" not in names(without) and "CreateTags" in names(with_cases)
    assert {"ec2:ModifyNetworkInterfaceAttribute", "ec2:CreateSnapshot", "iam:UpdateAccessKey"} <= perms(with_cases)
    assert "ec2:ModifyNetworkInterfaceAttribute" not in perms(without)
    assert client("sqs").list_queues().get("QueueUrls") is None  # a dry run creates nothing
