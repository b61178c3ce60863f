"""Parameters a framework pins so that its item means what it says (issue 15 point 4)."""

from __future__ import annotations

from typing import Any

from railguard.controls import Context, get_control
from railguard.engine.evaluate import run_control
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Origin, Resource, Result

LIVE_ORIGIN = Origin(account="123456789012", region="us-east-1")
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def result(control_id: str, r: Resource, params: dict[str, Any] | None = None) -> Result | None:
    c = get_control(control_id)
    v = run_control(PlannedControl(c, {**c.params, **(params or {})}), r, Context(Inventory([r]), {**c.params, **(params or {})}))
    return v.result if v is not None else None


def test_full_admin_aws_managed_policy_is_in_scope_only_when_the_framework_says_so() -> None:
    admin = Resource("AWS::IAM::ManagedPolicy", "arn:aws:iam::aws:policy/AdministratorAccess", {"PolicyDocument": ADMIN},
                     account="123456789012", origin=LIVE_ORIGIN, live={"aws_managed": True, "attachment_count": 1})
    assert result("iam.policy-full-admin", admin) == Result.FAIL  # CIS: attached AWS-managed policies count
    assert result("iam.policy-full-admin", admin, {"include_aws_managed": False}) is None  # baseline, FSBP IAM.1
    mine = Resource("AWS::IAM::ManagedPolicy", "arn:aws:iam::123456789012:policy/admin", {"PolicyDocument": ADMIN},
                    account="123456789012", origin=LIVE_ORIGIN, live={"aws_managed": False, "attachment_count": 1})
    assert result("iam.policy-full-admin", mine, {"include_aws_managed": False}) == Result.FAIL


def test_sse_sqs_passes_only_where_the_framework_accepts_it() -> None:
    q = Resource("AWS::SQS::Queue", "q", {"SqsManagedSseEnabled": True}, origin=Origin(file="t.yaml", line=1))
    assert result("sqs.queue-encrypted", q) == Result.FAIL  # the baseline asks for a KMS key
    assert result("sqs.queue-encrypted", q, {"accept_sqs_managed": True}) == Result.PASS  # FSBP SQS.1
    plain = Resource("AWS::SQS::Queue", "q", {}, origin=Origin(file="t.yaml", line=1))
    assert result("sqs.queue-encrypted", plain, {"accept_sqs_managed": True}) == Result.FAIL


def test_an_empty_public_tag_allows_no_exception() -> None:
    tagged = Resource("AWS::EC2::Instance", "i-1", {}, account="123456789012", origin=LIVE_ORIGIN,
                      tags={"railguard:public": "true"}, live={"state": "running", "public_ip": "54.1.2.3"})
    assert result("ec2.instance-public-ip", tagged) == Result.PASS  # the baseline's exception tag
    assert result("ec2.instance-public-ip", tagged, {"public_tag": ""}) == Result.FAIL  # FSBP EC2.9: none
