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
