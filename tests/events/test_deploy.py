"""`railguard deploy` / `undeploy` against moto: exact patterns, least-privilege queue policy, idempotent, tidy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from railguard.cli.exitcodes import UserError
from railguard.cli.main import app
from railguard.deploy import apply_plan, build_plan, undeploy
from railguard.deploy.resources import DeployError
from railguard.events.detector import Detector

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        cache: dict[str, Any] = {}

        def clients(service: str) -> Any:
            if service not in cache:
                cache[service] = boto3.client(service, region_name=REGION)
            return cache[service]

        yield clients


def plan_for(clients: Any, **kw: Any) -> Any:
    account = clients("sts").get_caller_identity()["Account"]
    return build_plan(Detector(), name="rg", region=REGION, account=account, **kw)


def test_patterns_match_exactly_the_needed_event_names(aws: Any) -> None:
    plan = plan_for(aws, touched_types=["AWS::EC2::SecurityGroup", "AWS::CloudTrail::Trail"])
    by_service = {r.service: r for r in plan.rules}
    assert set(by_service) >= {"ec2", "iam", "cloudtrail", "signin", "s3", "kms"}
    ec2 = by_service["ec2"].pattern()
    assert ec2["source"] == ["aws.ec2"] and ec2["detail"]["eventSource"] == ["ec2.amazonaws.com"]
    names = set(ec2["detail"]["eventName"])
    assert {"AuthorizeSecurityGroupIngress", "ModifySnapshotAttribute", "DeleteFlowLogs"} <= names
    assert "DescribeInstances" not in names and "RunInstances" not in names  # instances are not guardrailed here
    assert "StartLogging" in by_service["cloudtrail"].event_names  # from the table, for the trail controls
    assert by_service["signin"].pattern()["detail-type"] == ["AWS API Call via CloudTrail",
                                                              "AWS Console Sign In via CloudTrail"]
    assert all(len(r.pattern_json()) <= 4096 for r in plan.rules)
    assert "iam.access-denied-burst" in plan.every_record_rules


def test_deploy_creates_rules_targets_queues_and_policies_then_is_idempotent(aws: Any) -> None:
    plan = plan_for(aws)
    steps = apply_plan(plan, aws)
    assert {s.status for s in steps} == {"create"}
    events, sqs = aws("events"), aws("sqs")
    for r in plan.rules:
        rule = events.describe_rule(Name=r.name)
        assert json.loads(rule["EventPattern"]) == r.pattern() and rule["State"] == "ENABLED"
        (target,) = events.list_targets_by_rule(Rule=r.name)["Targets"]
        assert target["Arn"] == plan.queue_arn
    url = sqs.get_queue_url(QueueName="rg-events")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"].endswith(":rg-events-dlq")
    policy = json.loads(attrs["Policy"])
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(plan.rule_arns())
    again = apply_plan(plan, aws)
    assert {s.status for s in again} == {"unchanged"}, [s.line() for s in again if s.status != "unchanged"]


def test_events_reach_the_queue(aws: Any) -> None:
    plan = plan_for(aws)
    apply_plan(plan, aws)
    detail = {"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "eventID": "e1",
              "eventTime": "2024-05-01T10:00:00Z", "awsRegion": REGION, "userIdentity": {"type": "Root"}}
    other = dict(detail, eventName="DescribeTrails", eventID="e2")
    aws("events").put_events(Entries=[{"Source": "aws.cloudtrail", "DetailType": "AWS API Call via CloudTrail",
                                       "Detail": json.dumps(d)} for d in (detail, other)])
    url = aws("sqs").get_queue_url(QueueName="rg-events")["QueueUrl"]
    msgs = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["detail"]["eventID"] for m in msgs] == ["e1"]


def test_undeploy_removes_only_what_it_created(aws: Any) -> None:
    sqs, events = aws("sqs"), aws("events")
    mine = sqs.create_queue(QueueName="other-queue")["QueueUrl"]
    events.put_rule(Name="rg-handmade", EventPattern=json.dumps({"source": ["aws.ec2"]}))
    apply_plan(plan_for(aws), aws)
    preview = undeploy("rg", aws, dry_run=True)
    assert preview and aws("sqs").get_queue_url(QueueName="rg-events")
    steps = undeploy("rg", aws)
    assert {s.kind for s in steps} == {"rule", "queue"} and {s.status for s in steps} == {"delete"}
    names = [r["Name"] for r in events.list_rules()["Rules"]]
    assert names == ["rg-handmade"]
    assert sqs.list_queues()["QueueUrls"] == [mine]
    assert undeploy("rg", aws) == []


def test_refuses_to_take_over_a_queue_it_did_not_create(aws: Any) -> None:
    aws("sqs").create_queue(QueueName="rg-events-dlq")
    with pytest.raises(DeployError, match="not created by deployment"):
        apply_plan(plan_for(aws), aws)


def test_lambda_role_function_and_mapping(aws: Any) -> None:
    plan = plan_for(aws, with_lambda=True, action_permissions=["ec2:RevokeSecurityGroupIngress"],
                    read_permissions=["ec2:DescribeSecurityGroups"])
    steps = apply_plan(plan, aws)
    kinds = {s.kind for s in steps if s.status == "create"}
    assert {"role", "policy", "function", "mapping"} <= kinds
    doc = aws("iam").get_role_policy(RoleName="rg-events-function", PolicyName="railguard-events")["PolicyDocument"]
    actions = {a for st in (json.loads(doc) if isinstance(doc, str) else doc)["Statement"] for a in st["Action"]}
    assert {"ec2:RevokeSecurityGroupIngress", "ec2:DescribeSecurityGroups", "sqs:ReceiveMessage"} <= actions
    assert "sqs:*" not in actions and "*" not in actions
    fn = aws("lambda").get_function(FunctionName="rg-events")["Configuration"]
    assert fn["Handler"] == "railguard.aws_lambda.handler"
    assert {s.status for s in apply_plan(plan, aws)} == {"unchanged"}
    removed = undeploy("rg", aws)
    assert {"mapping", "function", "role", "queue", "rule"} <= {s.kind for s in removed}
    assert aws("lambda").list_functions()["Functions"] == []


def test_cli_dry_run_prints_plan_and_permissions(aws: Any) -> None:
    result = CliRunner().invoke(app, ["deploy", "--dry-run", "--name", "rg", "--region", REGION])
    assert not isinstance(result.exception, UserError), result.exception
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "IAM permissions to deploy:" in out and "events:PutRule" in out and "sqs:ReceiveMessage" in out
    assert "would create    queue    rg-events" in out
    assert aws("sqs").list_queues().get("QueueUrls") is None  # nothing was created
