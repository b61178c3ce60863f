"""The event -> touched resources table: coverage, and ids read from CloudTrail-shaped records."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from railguard.events.touched import Touch, mapped_event_names, table, touched
from tests.events.records import ACCOUNT, ct, iam_user

SERVICES = {"ec2", "s3", "iam", "kms", "cloudtrail", "config", "rds", "lambda", "sns", "sqs", "organizations"}


def test_table_covers_sixty_calls_across_the_services() -> None:
    t = table()
    assert len(t) >= 60
    per = Counter(src.split(".")[0] for src, _ in t)
    assert set(per) >= SERVICES, SERVICES - set(per)
    assert all(e.touches for e in t.values())
    assert "AuthorizeSecurityGroupIngress" in mapped_event_names()["ec2.amazonaws.com"]


def test_every_touched_type_is_a_resource_type_name() -> None:
    for entry in table().values():
        for rtype, places in entry.touches:
            assert rtype.count("::") == 2 and places


CASES = [
    (ct("AuthorizeSecurityGroupIngress", "ec2", request={"groupId": "sg-0123", "ipPermissions": {"items": [
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
        response={"requestId": "r", "_return": True}),
     [("AWS::EC2::SecurityGroup", "sg-0123")]),
    (ct("CreateSecurityGroup", "ec2", request={"groupName": "web", "groupDescription": "d", "vpcId": "vpc-1"},
        response={"requestId": "r", "_return": True, "groupId": "sg-0new"}),
     [("AWS::EC2::SecurityGroup", "sg-0new")]),
    (ct("RunInstances", "ec2", request={"instancesSet": {"items": [{"imageId": "ami-1", "minCount": 2}]}},
        response={"instancesSet": {"items": [{"instanceId": "i-01"}, {"instanceId": "i-02"}]}}),
     [("AWS::EC2::Instance", "i-01"), ("AWS::EC2::Instance", "i-02")]),
    (ct("ModifyInstanceMetadataOptions", "ec2", request={"ModifyInstanceMetadataOptionsRequest": {
        "InstanceId": "i-0abc", "HttpTokens": "optional"}}),
     [("AWS::EC2::Instance", "i-0abc")]),
    (ct("PutBucketPolicy", "s3", request={"bucketName": "data", "bucketPolicy": {"Statement": []}}),
     [("AWS::S3::Bucket", "data")]),
    (ct("DeleteBucketPublicAccessBlock", "s3", request={"bucketName": "data", "publicAccessBlock": ""}),
     [("AWS::S3::Bucket", "data")]),
    (ct("AttachUserPolicy", "iam", request={"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/X"}),
     [("AWS::IAM::User", "bob")]),
    (ct("CreateAccessKey", "iam", who=iam_user("carol"), request=None,
        response={"accessKey": {"userName": "carol", "accessKeyId": "AKIAEXAMPLE", "status": "Active"}}),
     [("AWS::IAM::User", "carol")]),
    (ct("AddUserToGroup", "iam", request={"groupName": "Admins", "userName": "bob"}),
     [("AWS::IAM::User", "bob"), ("AWS::IAM::Group", "Admins")]),
    (ct("StopLogging", "cloudtrail", request={"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}),
     [("AWS::CloudTrail::Trail", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main")]),
    (ct("UpdateAccountPasswordPolicy", "iam", request={"minimumPasswordLength": 8}),
     [("RailGuard::IAM::AccountPasswordPolicy", f"{ACCOUNT}/password-policy")]),
    (ct("DisableEbsEncryptionByDefault", "ec2", request={"DisableEbsEncryptionByDefaultRequest": ""},
        region="eu-west-1"),
     [("RailGuard::EC2::EbsEncryptionByDefault", f"{ACCOUNT}/eu-west-1")]),
    (ct("SetQueueAttributes", "sqs", request={"queueUrl": "https://sqs.us-east-1.amazonaws.com/111122223333/jobs",
                                               "attributes": {"Policy": "{}"}}),
     [("AWS::SQS::Queue", "jobs")]),
    (ct("AddPermission20150331v2", "lambda", request={
        "functionName": "arn:aws:lambda:us-east-1:111122223333:function:fn", "principal": "*"}),
     [("AWS::Lambda::Function", "fn")]),
    (ct("LeaveOrganization", "organizations", request=None), [("RailGuard::AWS::Account", ACCOUNT)]),
]


@pytest.mark.parametrize(("rec", "expected"), CASES, ids=[c[0]["eventName"] for c in CASES])
def test_touched_ids(rec: dict, expected: list[tuple[str, str]]) -> None:
    got = touched(rec)
    assert [(t.type, t.id) for t in got] == expected
    assert all(isinstance(t, Touch) and t.account == ACCOUNT and t.region == rec["awsRegion"] for t in got)


def test_failed_unmapped_and_null_records_touch_nothing() -> None:
    rec = ct("AuthorizeSecurityGroupIngress", "ec2", request={"groupId": "sg-1"}, error="Client.InvalidGroup.NotFound")
    assert touched(rec) == []
    assert touched(ct("DescribeInstances", "ec2", read_only=True)) == []
    assert touched(ct("AuthorizeSecurityGroupIngress", "ec2", request=None)) == []
    assert touched(ct("RunInstances", "ec2", response={"instancesSet": None})) == []
    assert touched({"eventName": "StopLogging"}) == []


def _put(node: dict[str, Any], parts: list[str], value: str) -> None:
    """Place `value` at a dotted path of the table (`a.b[].c`), building dicts and one-item lists."""
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not rest:
        node[key] = [value] if many else value
        return
    child: dict[str, Any] = {}
    node[key] = [child] if many else child
    _put(child, rest, value)


def _placed(event: str, source: str, place: str) -> tuple[dict[str, Any], str]:
    """A record with the identifier at `place` only, and the id `touched` must read from it."""
    rec = ct(event, source, request=None, response=None)
    path, _, modifier = place.partition("|")
    if "{" in path:
        return rec, path.format(account=ACCOUNT, region=rec["awsRegion"])
    if "." not in path:
        return rec, path
    raw = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/thing-1" if modifier == "tail" else "thing-1"
    if modifier.startswith("prefix="):
        raw = modifier[len("prefix="):] + "thing-1"
        _put(rec, path.split("."), raw)
        return rec, raw
    _put(rec, path.split("."), raw)
    return rec, "thing-1"


ENTRIES = sorted(table().values(), key=lambda e: (e.service, e.event))


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.service}:{e.event}" for e in ENTRIES])
def test_every_mapped_call_reads_each_id_place_and_ignores_failed_or_null_records(entry: Any) -> None:
    for rtype, places in entry.touches:
        for place in places:
            rec, want = _placed(entry.event, entry.service, place)
            got = [(t.type, t.id) for t in touched(rec)]
            assert (rtype, want) in got, (place, got)
            failed = dict(rec, errorCode="AccessDenied", errorMessage="User is not authorized")
            assert touched(failed) == []  # a denied call changed nothing
            if "." not in place.partition("|")[0]:
                break  # a template or default always yields: later places are fallbacks never reached
    bare = ct(entry.event, entry.service, request=None, response=None)
    for t in touched(bare):  # null parameters: only account-wide ids (templates, defaults) remain
        assert "thing-1" not in t.id
    assert touched(dict(bare, eventSource=None, eventName=None)) == []
