"""EBS encryption by default, IMDSv2, VPC flow logs and tagging under moto: dry-run, apply to
PASS, undo to FAIL (flow logs: only what was created is deleted), noop, params."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from railguard.model import Result
from railguard.remediation.action import ParamsError, Target
from railguard.remediation.actions import get
from railguard.remediation.actions.ec2 import EBS_DEFAULT, INSTANCE
from railguard.remediation.actions.flow_logs import VPC
from railguard.sources.aws.session import AccountSession
from tests.livehelp import live_inventory
from tests.remediation.actions.support import REGION, calls_during, cycle, plan, session, verdict

AMI = "ami-12345678"


@pytest.fixture
def sess(aws: None, monkeypatch: pytest.MonkeyPatch) -> AccountSession:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    return session()


@pytest.fixture
def ec2(sess: AccountSession) -> Any:
    return boto3.client("ec2", region_name=REGION)


def test_ebs_default_encryption(sess: AccountSession, ec2: Any) -> None:
    rid = f"{sess.account}/{REGION}"
    cycle(sess, "ec2.ebs-default-encryption", "ec2.ebs-default-encryption", EBS_DEFAULT, rid,
          lambda: ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"])


def test_ebs_plan_from_the_scan_costs_nothing(sess: AccountSession) -> None:
    scanned = live_inventory([EBS_DEFAULT]).of_type(EBS_DEFAULT)[0]
    change, calls = calls_during(sess, get("ec2.ebs-default-encryption").plan, Target(scanned, sess, REGION), {})
    assert calls == {} and not change.noop


def test_require_imdsv2(sess: AccountSession, ec2: Any) -> None:
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                            MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"})["Instances"][0][
        "InstanceId"]

    def read() -> Any:
        opts = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["MetadataOptions"]
        return {k: opts.get(k) for k in ("HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit")}

    cycle(sess, "ec2.require-imdsv2", "ec2.imdsv2-required", INSTANCE, iid, read)
    scanned = next(r for r in live_inventory([INSTANCE]).of_type(INSTANCE) if r.id == iid)
    _, calls = calls_during(sess, get("ec2.require-imdsv2").plan, Target(scanned, sess, REGION), {})
    assert calls == {}
    with pytest.raises(ParamsError, match="hop_limit"):
        get("ec2.require-imdsv2").validate({"hop_limit": 0})


def flow_state(ec2: Any, vpc: str) -> tuple[Any, ...]:
    logs, iam = boto3.client("logs", region_name=REGION), boto3.client("iam", region_name=REGION)
    flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    groups = sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"])
    roles = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    return sorted(f["FlowLogId"] for f in flows), groups, roles


def test_vpc_flow_logs_creates_group_and_role_and_undo_removes_only_those(sess: AccountSession, ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    cycle(sess, "ec2.vpc-flow-logs", "ec2.vpc-flow-logs", VPC, vpc, lambda: flow_state(ec2, vpc))
    flows, groups, roles = flow_state(ec2, vpc)
    assert len(flows) == 1 and f"/railguard/vpc-flow-logs/{vpc}" in groups and "railguard-vpc-flow-logs" in roles


def test_vpc_flow_logs_keeps_an_existing_group_and_role(sess: AccountSession, ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="mine")
    boto3.client("iam", region_name=REGION).create_role(RoleName="flows", AssumeRolePolicyDocument="{}")
    before = flow_state(ec2, vpc)
    t, change = plan(sess, "ec2.vpc-flow-logs", VPC, vpc, {"log_group": "mine", "role_name": "flows",
                                                            "traffic_type": "REJECT"})
    assert change.calls == ("ec2:CreateFlowLogs",)
    spec = get("ec2.vpc-flow-logs")
    applied = spec.apply(t, change)
    assert applied["created_log_group"] is False and applied["created_role"] is False
    assert verdict(sess, "ec2.vpc-flow-logs", vpc, resource_type=VPC) == Result.PASS
    spec.undo(t, change, applied)
    assert flow_state(ec2, vpc) == before  # the group and role that were there are still there
    for bad, field in (({"traffic_type": "ACCEPT"}, "traffic_type"), ({"role_name": "a b"}, "role_name")):
        with pytest.raises(ParamsError, match=field):
            spec.validate(bad)


def test_tag_resource(sess: AccountSession, ec2: Any) -> None:
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "owner", "Value": "ops"}])

    def read() -> Any:
        return {t["Key"]: t["Value"] for t in ec2.describe_tags(
            Filters=[{"Name": "resource-id", "Values": [iid]}])["Tags"]}

    params = {"tags": {"railguard:public": "true", "owner": "web"}, "overwrite": True}
    cycle(sess, "tag.resource", "ec2.instance-public-ip", INSTANCE, iid, read, params)
    ec2.delete_tags(Resources=[iid], Tags=[{"Key": "railguard:public"}, {"Key": "owner"}])
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "owner", "Value": "ops"}])
    _, keep = plan(sess, "tag.resource", INSTANCE, iid, {"tags": {"owner": "web", "team": "a"}})
    assert keep.prior["set"] == {"team": "a"}  # without overwrite a different value is kept
    with pytest.raises(ParamsError, match="tags"):
        get("tag.resource").validate({"tags": {}})
    with pytest.raises(ParamsError, match="aws:"):
        get("tag.resource").validate({"tags": {"aws:x": "1"}})


def test_tag_bucket_and_user(sess: AccountSession) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="tagged")
    s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
    t, change = plan(sess, "tag.resource", "AWS::S3::Bucket", "tagged", {"tags": {"b": "2"}})
    spec = get("tag.resource")
    spec.apply(t, change)
    assert spec.current(t) == {"tags": {"a": "1", "b": "2"}}
    spec.undo(t, change, {})
    assert s3.get_bucket_tagging(Bucket="tagged")["TagSet"] == [{"Key": "a", "Value": "1"}]
    iam = boto3.client("iam", region_name=REGION)
    arn = iam.create_user(UserName="u")["User"]["Arn"]
    t, change = plan(sess, "tag.resource", "AWS::IAM::User", arn, {"tags": {"owner": "sec"}})
    spec.apply(t, change)
    assert iam.list_user_tags(UserName="u")["Tags"] == [{"Key": "owner", "Value": "sec"}]
    spec.undo(t, change, {})
    assert iam.list_user_tags(UserName="u")["Tags"] == []
