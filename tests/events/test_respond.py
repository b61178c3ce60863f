"""Event -> touched resource re-read -> controls -> guardrails -> pipeline (moto in process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from railguard.events.detector import Detector
from railguard.events.process import Processor
from railguard.events.respond import EventResponder, SessionPool
from railguard.store import Store, open_store
from tests.events.records import assumed_role, ct
from tests.remediation.pipehelp import guardrails, world_open, world_open_group

REGION = "us-east-1"
SG_GUARD = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    trigger: [event]
    mode: {mode}
    action: {{id: ec2.restrict-world-ingress}}
"""


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s = open_store(f"sqlite:///{tmp_path / 'rg.db'}")
        yield s
        s.close()


def authorize_event(gid: str, account: str, eid: str = "ev-sg-1") -> dict[str, Any]:
    return ct("AuthorizeSecurityGroupIngress", "ec2", who=assumed_role("dev", "bob", account=account),
              account=account, event_id=eid, ip="203.0.113.8", request={"groupId": gid, "ipPermissions": {
                  "items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {},
                             "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
              response={"requestId": "r", "_return": True})


def responder(store: Store, mode: str, apply: bool) -> EventResponder:
    return EventResponder(guardrails(SG_GUARD.format(mode=mode)), SessionPool(region=REGION), store, apply=apply)


def test_event_closes_the_port_and_journals_who_did_it(store: Store) -> None:
    gid = world_open_group("web")
    account = boto3.client("sts").get_caller_identity()["Account"]
    r = responder(store, "remediate", apply=True)
    assert r.handle(authorize_event(gid, account)) == 1
    assert not world_open(gid)
    (row,) = store.journal.query()
    assert row.status == "applied" and row.trigger == "event" and row.resource_id == gid
    (finding,) = store.findings.query(control="ec2.sg-admin-port-open-to-world")
    who = f"arn:aws:sts::{account}:assumed-role/dev/bob"
    assert (finding.last_principal, finding.resource_id) == (who, gid)
    history = store.findings.history(resource_id=gid, account=account, fingerprint=finding.fingerprint)
    assert history.principal == who and f"last by {who}" in history.line()


def test_assess_mode_changes_nothing(store: Store) -> None:
    gid = world_open_group("web")
    account = boto3.client("sts").get_caller_identity()["Account"]
    r = responder(store, "assess", apply=False)
    r.handle(authorize_event(gid, account))
    assert world_open(gid) and r.last.findings == 1


def test_unrelated_and_failed_events_read_nothing(store: Store) -> None:
    r = responder(store, "remediate", apply=True)
    assert r.handle(ct("DescribeSecurityGroups", "ec2", read_only=True)) == 0
    failed = ct("AuthorizeSecurityGroupIngress", "ec2", request={"groupId": "sg-1"}, error="Client.UnauthorizedOperation")
    assert r.handle(failed) == 0 and r.last.touched == 0


def test_deleted_resource_is_reported_not_crashed(store: Store) -> None:
    account = boto3.client("sts").get_caller_identity()["Account"]
    r = responder(store, "remediate", apply=True)
    assert r.handle(authorize_event("sg-0123456789abcdef0", account)) == 0
    assert r.last.unread == 1


def _has_action(action_id: str) -> bool:
    from railguard.remediation.actions import all_actions

    return any(a.id == action_id for a in all_actions())


@pytest.mark.xfail(strict=True, reason="known gap: the built-in autoheal guardrail does not yet restart the trail (no action journaled)")
@pytest.mark.skipif(not _has_action("cloudtrail.start-logging"), reason="the CloudTrail actions are not installed")
def test_stop_logging_autoheal(store: Store) -> None:
    s3, ct_client = boto3.client("s3"), boto3.client("cloudtrail", region_name=REGION)
    s3.create_bucket(Bucket="trail-logs")
    trail = ct_client.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    ct_client.start_logging(Name="main")
    ct_client.stop_logging(Name="main")
    account = boto3.client("sts").get_caller_identity()["Account"]
    rec = ct("StopLogging", "cloudtrail", account=account, who=assumed_role("intruder", "x", account=account),
             request={"name": trail["TrailARN"]}, event_id="ev-stop-1")
    found: list[Any] = []
    proc = Processor(Detector(), found.append, EventResponder([], SessionPool(region=REGION), store, apply=True))
    proc.process(rec)
    assert [d.rule for d in found] == ["cloudtrail.logging-stopped"]
    assert ct_client.get_trail_status(Name="main")["IsLogging"] is True
    rows = store.journal.query()
    assert [(x.action_id, x.status, x.trigger) for x in rows] == [("cloudtrail.start-logging", "applied", "event")]
