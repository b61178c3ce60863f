"""Single-resource re-read: the same shape a scan gives, with one narrow call, and a clear
ReadError when the resource is gone or the call is denied."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from railguard.controls import get_control
from railguard.sources.aws.collectors.ec2 import SG
from railguard.sources.aws.session import AccountSession
from railguard.sources.aws.single import ReadError, inventory_for, read_one
from tests.livehelp import live_inventory
from tests.remediation.actions.support import REGION, calls_during, session


@pytest.fixture
def sess(aws: None) -> AccountSession:
    return session()


def deny(monkeypatch: pytest.MonkeyPatch, operation: str, code: str = "UnauthorizedOperation") -> None:
    real = BaseClient._make_api_call

    def fake(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op == operation:
            raise ClientError({"Error": {"Code": code, "Message": "no"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", fake)


def new_sg() -> str:
    c = boto3.client("ec2", region_name=REGION)
    vpc = c.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    gid: str = c.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    c.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "d"}]}])
    c.create_tags(Resources=[gid], Tags=[{"Key": "env", "Value": "prod"}])
    return gid


def test_security_group_same_shape_as_the_scan_in_one_call(sess: AccountSession) -> None:
    gid = new_sg()
    scanned = next(r for r in live_inventory([SG]).of_type(SG) if r.id == gid)
    one, calls = calls_during(sess, read_one, sess, SG, gid, REGION)
    assert one == scanned
    assert calls == {"ec2:DescribeSecurityGroups": 1}


def test_missing_resource_is_a_not_found_read_error(sess: AccountSession) -> None:
    with pytest.raises(ReadError) as err:
        read_one(sess, SG, "sg-0123456789abcdef0", REGION)
    assert err.value.not_found and "not found" in str(err.value)


def test_denied_read_is_a_read_error_with_the_reason(sess: AccountSession, monkeypatch: pytest.MonkeyPatch) -> None:
    gid = new_sg()
    deny(monkeypatch, "DescribeSecurityGroups")
    with pytest.raises(ReadError) as err:
        read_one(sess, SG, gid, REGION)
    assert not err.value.not_found and "access denied" in str(err.value)


def test_inventory_for_a_control(sess: AccountSession) -> None:
    gid = new_sg()
    inv, calls = calls_during(sess, inventory_for, sess, get_control("ec2.sg-admin-port-open-to-world"), gid, REGION)
    assert [r.id for r in inv] == [gid] and not inv.gaps
    assert calls == {"ec2:DescribeSecurityGroups": 1}


# ---------------------------------------------------------------- every reader: the scan's shape


def scanned(types: list[str], type_: str, rid: str) -> Any:
    return next(r for r in live_inventory(types).of_type(type_) if r.id == rid)


def test_each_reader_gives_the_scan_shape(sess: AccountSession, monkeypatch: pytest.MonkeyPatch) -> None:
    from railguard.sources.aws import pseudo
    from railguard.sources.aws.collectors.cloudtrail import TRAIL
    from railguard.sources.aws.collectors.ec2 import INSTANCE, VPC
    from railguard.sources.aws.collectors.kms import KEY
    from railguard.sources.aws.collectors.s3 import ACCOUNT_PAB, BUCKET, POLICY

    ec2 = boto3.client("ec2", region_name=REGION)
    iid = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="single-b")
    s3.put_bucket_policy(Bucket="single-b", Policy='{"Version":"2012-10-17","Statement":[]}')
    s3.put_bucket_versioning(Bucket="single-b", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="trail-b")
    trail = boto3.client("cloudtrail", region_name=REGION).create_trail(Name="trail-1", S3BucketName="trail-b")["TrailARN"]
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
    cases = [
        (INSTANCE, iid, {"ec2:DescribeInstances": 1}),
        (VPC, vpc, {"ec2:DescribeVpcs": 1}),
        (TRAIL, trail, {"cloudtrail:DescribeTrails": 1, "cloudtrail:GetTrailStatus": 1,
                        "cloudtrail:GetEventSelectors": 1}),
        (KEY, key, {"kms:DescribeKey": 1, "kms:GetKeyRotationStatus": 1}),
        (POLICY, "single-b/policy", {"s3:HeadBucket": 1, "s3:GetBucketPolicy": 1}),
        (ACCOUNT_PAB, sess.account, {"s3-control:GetPublicAccessBlock": 1}),  # the event name's spelling
        (pseudo.EBS_DEFAULT_ENCRYPTION, f"{sess.account}/{REGION}", {"ec2:GetEbsEncryptionByDefault": 1}),
        (pseudo.PASSWORD_POLICY, f"{sess.account}/password-policy", {"iam:GetAccountPasswordPolicy": 1}),
    ]
    for type_, rid, cost in cases:
        one, calls = calls_during(sess, read_one, sess, type_, rid, REGION)
        assert one == scanned([type_], type_, rid), type_
        assert calls == cost, type_
    # a bucket: every facet when none is named, or only the ones named (one call each, and HeadBucket)
    assert read_one(sess, BUCKET, "single-b", REGION) == scanned([BUCKET], BUCKET, "single-b")
    one, calls = calls_during(
        sess, lambda: read_one(sess, BUCKET, "single-b", REGION, needed=["AWS::S3::Bucket#Versioning"]))
    assert one.get("VersioningConfiguration.Status") == "Enabled"
    assert calls == {"s3:HeadBucket": 1, "s3:GetBucketVersioning": 1}
    # account-wide resources found in a finding's region "global" are read in the session's region
    assert read_one(sess, ACCOUNT_PAB, sess.account, "global").id == sess.account


def test_user_reader_matches_the_credential_report_facts(sess: AccountSession) -> None:
    from railguard.sources.aws.collectors.iam import USER

    iam = boto3.client("iam", region_name=REGION)
    arn = iam.create_user(UserName="u1")["User"]["Arn"]
    iam.create_login_profile(UserName="u1", Password="Test-Passw0rd!")
    iam.create_access_key(UserName="u1")
    iam.put_user_policy(UserName="u1", PolicyName="p", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'))
    one = read_one(sess, USER, arn, "global")
    scan = scanned([USER], USER, arn)
    assert one.properties == scan.properties and one.tags == scan.tags and one.region == "global"
    for fact in ("password_enabled", "mfa_active", "virtual_mfa_devices"):
        assert one.live[fact] == scan.live[fact], fact
    strip = [{k: v for k, v in key.items() if k not in ("access_key_id", "last_rotated")}
             for key in one.live["access_keys"]]
    assert strip == [{k: v for k, v in key.items() if k != "last_rotated"} for key in scan.live["access_keys"]]
    with pytest.raises(ReadError) as err:
        read_one(sess, USER, "nobody", "global")
    assert err.value.not_found


def test_inventory_for_reads_related_resources_narrowly(sess: AccountSession) -> None:
    from railguard.sources.aws.collectors.ec2 import VPC

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="rel-b")
    s3.put_bucket_policy(Bucket="rel-b", Policy='{"Version":"2012-10-17","Statement":[]}')
    s3.create_bucket(Bucket="other-b")
    s3.put_bucket_policy(Bucket="other-b", Policy='{"Version":"2012-10-17","Statement":[]}')
    inv = inventory_for(sess, get_control("s3.deny-http"), "rel-b", REGION)
    assert sorted(r.id for r in inv) == ["rel-b", "rel-b/policy"]  # not the other bucket's policy
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    inv, calls = calls_during(sess, inventory_for, sess, get_control("ec2.vpc-flow-logs"), vpc, REGION)
    assert [r.id for r in inv] == [vpc] and not inv.gaps
    assert calls == {"ec2:DescribeVpcs": 1, "ec2:DescribeFlowLogs": 1}
    assert inv.of_type(VPC)[0].id == vpc


def test_inventory_for_turns_a_denied_related_read_into_a_gap(sess: AccountSession,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    deny(monkeypatch, "DescribeFlowLogs")
    inv = inventory_for(sess, get_control("ec2.vpc-flow-logs"), vpc, REGION)
    assert inv.gaps and "access denied" in inv.gaps[0].reason  # the control then says UNKNOWN, never PASS
