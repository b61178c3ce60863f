"""End to end over HTTP against moto's server: `railguard watch` closes a port opened through the API,
acts once on duplicate deliveries and with two workers on one queue, restarts a stopped trail, and
sends bad input to the dead-letter queue; `railguard deploy` then `undeploy` with the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from railguard.store import open_store
from tests.events.records import assumed_role, ct, eventbridge

pytestmark = pytest.mark.e2e

RAILGUARD = [sys.executable, "-m", "railguard.cli"]
REGION = "us-east-1"
WORLD_SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
GUARDRAILS = """
guardrails:
  - name: no-admin-ports-from-world
    controls: [ec2.sg-admin-port-open-to-world]
    trigger: [event]
    mode: remediate
    action: {id: ec2.restrict-world-ingress}
    safeguards: {max_actions: 10, window: 1h}
"""


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        yield url


@pytest.fixture
def url(moto_url: str) -> str:
    from railguard.demo.run import reset_moto

    reset_moto(moto_url)
    return moto_url


def client(url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def env(url: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "RAILGUARD_DB"}
    e.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
             AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_ENDPOINT_URL=url)
    return e


def watch(url: str, queue: str, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    gfile = tmp / "guardrails.yaml"
    gfile.write_text(GUARDRAILS)
    return subprocess.Popen(
        [*RAILGUARD, "watch", "--queue", queue, "--guardrails", str(gfile), "--apply", "--db",
         f"sqlite:///{tmp / 'rg.db'}", "--wait", "1", "--idle-exit", "3", "--heartbeat", "1", *extra],
        env=env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def queues(url: str) -> tuple[str, str]:
    sqs = client(url, "sqs")
    dlq = sqs.create_queue(QueueName="rg-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    q = sqs.create_queue(QueueName="rg", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": arn, "maxReceiveCount": "5"})})["QueueUrl"]
    return q, dlq


def open_group(url: str, name: str) -> str:
    ec2 = client(url, "ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gid: str = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH])
    return gid


def is_open(url: str, gid: str) -> bool:
    perms = client(url, "ec2").describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    return any(r.get("CidrIp") == "0.0.0.0/0" for p in perms for r in p.get("IpRanges", []))


def authorize_event(url: str, gid: str, eid: str) -> str:
    account = client(url, "sts").get_caller_identity()["Account"]
    rec = ct("AuthorizeSecurityGroupIngress", "ec2", who=assumed_role("dev", "bob", account=account),
             account=account, event_id=eid, request={"groupId": gid, "ipPermissions": {"items": [
                 {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                  "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}})
    return json.dumps(eventbridge(rec))


def finish(p: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err
    assert "Traceback" not in err
    return out, err


def test_watch_closes_the_port_once_and_dead_letters_bad_input(url: str, tmp_path: Path) -> None:
    q, dlq = queues(url)
    gid = open_group(url, "web")
    sqs = client(url, "sqs")
    body = authorize_event(url, gid, "ev-open-1")
    sqs.send_message(QueueUrl=q, MessageBody=body)
    sqs.send_message(QueueUrl=q, MessageBody=body)  # a duplicate delivery
    sqs.send_message(QueueUrl=q, MessageBody="{not json")
    sqs.send_message(QueueUrl=q, MessageBody=json.dumps({"detail-type": "EC2 Instance State-change Notification",
                                                         "source": "aws.ec2", "detail": {}}))
    out, err = finish(watch(url, q, tmp_path, "--metrics-port", "0"))
    assert not is_open(url, gid)
    assert "metrics on http://127.0.0.1:" in err  # opt-in, loopback by default
    store = open_store(f"sqlite:///{tmp_path / 'rg.db'}")
    rows = store.journal.query()
    assert [(r.resource_id, r.status, r.trigger) for r in rows] == [(gid, "applied", "event")]
    assert "duplicates=1" in err and "bad=2" in err and "dead_lettered=2" in err  # the heartbeat line
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["MessageAttributes"]["railguard-error-kind"]["StringValue"] for m in dead) == [
        "malformed", "not-cloudtrail"]
    assert json.loads(out.splitlines()[0])["detection"]["rule"] == "change.security-group"


def test_two_workers_on_one_queue_act_once(url: str, tmp_path: Path) -> None:
    q, _ = queues(url)
    sqs = client(url, "sqs")
    groups = [open_group(url, f"g{i}") for i in range(4)]
    for i, gid in enumerate(groups):
        body = authorize_event(url, gid, f"ev-{i}")
        for _ in range(3):  # each event delivered three times
            sqs.send_message(QueueUrl=q, MessageBody=body)
    workers = [watch(url, q, tmp_path) for _ in range(2)]
    for w in workers:
        finish(w)
    assert not any(is_open(url, g) for g in groups)
    rows = open_store(f"sqlite:///{tmp_path / 'rg.db'}").journal.query()
    assert sorted(r.resource_id for r in rows if r.status == "applied") == sorted(groups)


def test_stopped_trail_is_started_again(url: str, tmp_path: Path) -> None:
    from railguard.remediation.actions import all_actions

    if not any(a.id == "cloudtrail.start-logging" for a in all_actions()):
        pytest.skip("the CloudTrail actions are not installed")
    q, _ = queues(url)
    client(url, "s3").create_bucket(Bucket="trail-logs")
    trails = client(url, "cloudtrail")
    arn = trails.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)["TrailARN"]
    trails.start_logging(Name="main")
    trails.stop_logging(Name="main")
    account = client(url, "sts").get_caller_identity()["Account"]
    rec = ct("StopLogging", "cloudtrail", account=account, request={"name": arn}, event_id="ev-stop")
    client(url, "sqs").send_message(QueueUrl=q, MessageBody=json.dumps(eventbridge(rec)))
    out, _ = finish(watch(url, q, tmp_path))
    assert trails.get_trail_status(Name="main")["IsLogging"] is True
    assert any(json.loads(x)["detection"]["rule"] == "cloudtrail.logging-stopped" for x in out.splitlines())
    rows = open_store(f"sqlite:///{tmp_path / 'rg.db'}").journal.query()
    assert [(r.action_id, r.status, r.trigger, r.resource_id) for r in rows] == [
        ("cloudtrail.start-logging", "applied", "event", arn)]


def test_deploy_then_undeploy_with_the_console_script(url: str) -> None:
    run = [*RAILGUARD, "deploy", "--name", "rgx"]
    first = subprocess.run(run, env=env(url), capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(run, env=env(url), capture_output=True, text=True, timeout=180)
    assert "create" not in again.stdout and "unchanged" in again.stdout
    rules = client(url, "events").list_rules(NamePrefix="rgx-")["Rules"]
    assert rules and all(json.loads(r["EventPattern"])["detail"]["eventName"] for r in rules)
    gone = subprocess.run([*RAILGUARD, "undeploy", "--name", "rgx"], env=env(url), capture_output=True,
                          text=True, timeout=180)
    assert gone.returncode == 0 and "delete" in gone.stdout
    assert client(url, "events").list_rules(NamePrefix="rgx-")["Rules"] == []
