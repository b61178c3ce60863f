"""EBS controls (ec2.ebs-*) on hand-built resources."""

from __future__ import annotations

from typing import Any

from railguard.controls import IAC, LIVE, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Origin, Resource, Result, Unknown

ACCT = "123456789012"


def check(control_id: str, *resources: Resource, place: str = IAC) -> dict[str, Result]:
    c = get_control(control_id)
    return {f.resource_id: f.result for f in evaluate([PlannedControl(c, c.params)], Inventory(resources), place=place)}


def default_setting(region: str, value: Any) -> Resource:
    return Resource("RailGuard::EC2::EbsEncryptionByDefault", f"{ACCT}/{region}", {"EbsEncryptionByDefault": value},
                    account=ACCT, region=region, origin=Origin(account=ACCT, region=region), name=region)


def test_ebs_default_encryption() -> None:
    out = check("ec2.ebs-default-encryption", default_setting("us-east-1", True), default_setting("eu-west-1", False),
                default_setting("ap-south-1", Unknown("denied")), place=LIVE)
    assert out == {f"{ACCT}/us-east-1": Result.PASS, f"{ACCT}/eu-west-1": Result.FAIL,
                   f"{ACCT}/ap-south-1": Result.UNKNOWN}
    assert get_control("ec2.ebs-default-encryption").places == frozenset({LIVE})


def tpl(logical: str, **props: Any) -> Resource:
    return Resource("AWS::EC2::Volume", logical, {"Size": 10, "AvailabilityZone": "us-east-1a", **props},
                    origin=Origin(file="vol.yaml", line=9))


def test_ebs_volume_encrypted() -> None:
    out = check("ec2.ebs-volume-encrypted", tpl("Enc", Encrypted=True), tpl("Default"),
                tpl("FromSnap", SnapshotId="snap-1"), tpl("Unres", Encrypted=Unknown("!Ref E")),
                tpl("Str", Encrypted="True"))
    assert out == {"Enc": Result.PASS, "Default": Result.FAIL, "FromSnap": Result.UNKNOWN,
                   "Unres": Result.UNKNOWN, "Str": Result.PASS}
    vol = Resource("AWS::EC2::Volume", "vol-1", {"Encrypted": False, "SnapshotId": "snap-9"}, account=ACCT,
                   region="us-east-1", origin=Origin(account=ACCT, region="us-east-1"))
    assert check("ec2.ebs-volume-encrypted", vol, place=LIVE) == {"vol-1": Result.FAIL}
