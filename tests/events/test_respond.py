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
    assert finding.last_source_ip == "203.0.113.8" and finding.last_user_agent  # who, from where, with what
    assert (row.source_ip, row.principal) == ("203.0.113.8", who)
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


needs_trail_actions = pytest.mark.skipif(not _has_action("cloudtrail.start-logging"),
                                         reason="the CloudTrail actions are not installed")


def stopped_trail(**kw: Any) -> tuple[Any, str, str]:
    boto3.client("s3").create_bucket(Bucket="trail-logs")
    ct_client = boto3.client("cloudtrail", region_name=REGION)
    arn = ct_client.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True, **kw)["TrailARN"]
    ct_client.start_logging(Name="main")
    ct_client.stop_logging(Name="main")
    return ct_client, arn, boto3.client("sts").get_caller_identity()["Account"]


def stop_record(arn: str, account: str, role: str = "intruder") -> dict[str, Any]:
    """As CloudTrail writes StopLogging: `requestParameters.name` is the trail name or ARN, `responseElements` null."""
    return ct("StopLogging", "cloudtrail", account=account, who=assumed_role(role, "x", account=account),
              request={"name": arn}, response=None, event_id="ev-stop-1")


def heal(store: Store, rec: dict[str, Any], *, apply: bool = True, detector: Detector | None = None) -> list[Any]:
    found: list[Any] = []
    proc = Processor(detector or Detector(), found.append,
                     EventResponder([], SessionPool(region=REGION), store, apply=apply))
    proc.process(rec)
    return [d.rule for d in found]


@needs_trail_actions
def test_stop_logging_autoheal(store: Store) -> None:
    ct_client, arn, account = stopped_trail()
    assert heal(store, stop_record(arn, account)) == ["cloudtrail.logging-stopped"]
    assert ct_client.get_trail_status(Name="main")["IsLogging"] is True
    (row,) = store.journal.query()
    assert (row.action_id, row.status, row.trigger, row.resource_id) == ("cloudtrail.start-logging", "applied",
                                                                          "event", arn)
    assert row.guardrail == "autoheal-cloudtrail-start-logging"
    assert row.prior["IsLogging"] is False  # the prior state that undoes it
    # the same record again (a redelivery after the heal): the trail logs, nothing more is done
    heal(store, stop_record(arn, account))
    assert [x.status for x in store.journal.query()] == ["applied"]


@needs_trail_actions
def test_autoheal_is_dry_run_without_apply(store: Store) -> None:
    ct_client, arn, account = stopped_trail()
    assert heal(store, stop_record(arn, account), apply=False) == ["cloudtrail.logging-stopped"]
    assert ct_client.get_trail_status(Name="main")["IsLogging"] is False
    assert all(x.status != "applied" for x in store.journal.query())


@needs_trail_actions
def test_allow_listed_principal_is_neither_flagged_nor_healed(store: Store) -> None:
    from railguard.events.detector import RuleOverride

    ct_client, arn, account = stopped_trail()
    det = Detector(overrides={"cloudtrail.logging-stopped": RuleOverride(allow=("arn:aws:iam::*:role/maintenance",))})
    # the CIS 4.x change rule still reports the change; the allow-listed stop is not an incident to undo
    assert heal(store, stop_record(arn, account, role="maintenance"), detector=det) == ["change.cloudtrail"]
    assert ct_client.get_trail_status(Name="main")["IsLogging"] is False and store.journal.query() == []


@needs_trail_actions
def test_trail_made_single_region_is_healed(store: Store) -> None:
    ct_client, arn, account = stopped_trail()
    ct_client.start_logging(Name="main")
    ct_client.update_trail(Name="main", IsMultiRegionTrail=False)
    rec = ct("UpdateTrail", "cloudtrail", account=account, who=assumed_role("intruder", "x", account=account),
             request={"name": "main", "isMultiRegionTrail": False},
             response={"name": "main", "s3BucketName": "trail-logs", "isMultiRegionTrail": False, "trailARN": arn,
                       "includeGlobalServiceEvents": True, "logFileValidationEnabled": False})
    assert heal(store, rec) == ["cloudtrail.trail-weakened"]
    assert ct_client.describe_trails(trailNameList=["main"])["trailList"][0]["IsMultiRegionTrail"] is True
    assert [(x.action_id, x.status) for x in store.journal.query() if x.status == "applied"] == [
        ("cloudtrail.multi-region", "applied")]


@needs_trail_actions
def test_event_selectors_dropping_management_events_are_healed(store: Store) -> None:
    """PutEventSelectors that stops recording management events (Stratus Red Team's technique): the
    built-in guardrail puts a management selector back, keeping the data selectors; undo is recorded."""
    ct_client, arn, account = stopped_trail()
    ct_client.start_logging(Name="main")
    weak = [{"ReadWriteType": "All", "IncludeManagementEvents": False,
             "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data/"]}]}]
    ct_client.put_event_selectors(TrailName=arn, EventSelectors=weak)
    rec = ct("PutEventSelectors", "cloudtrail", account=account, who=assumed_role("intruder", "x", account=account),
             request={"trailName": arn, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": False,
                                                            "dataResources": [{"type": "AWS::S3::Object",
                                                                               "values": ["arn:aws:s3:::data/"]}]}]},
             response={"trailARN": arn})
    assert heal(store, rec, apply=False) == ["cloudtrail.trail-weakened"]  # dry run: nothing changes
    assert ct_client.get_event_selectors(TrailName=arn)["EventSelectors"][0]["IncludeManagementEvents"] is False
    heal(store, rec)
    (sel,) = ct_client.get_event_selectors(TrailName=arn)["EventSelectors"]
    assert sel["IncludeManagementEvents"] is True and sel["ReadWriteType"] == "All"
    assert sel["DataResources"] == weak[0]["DataResources"]
    (row,) = [x for x in store.journal.query() if x.status == "applied"]
    assert row.action_id == "cloudtrail.record-management-events"
    assert row.prior["EventSelectors"][0]["IncludeManagementEvents"] is False  # what undo puts back
