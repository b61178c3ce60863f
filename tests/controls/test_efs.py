"""EFS controls on hand-built CloudFormation-shaped file systems."""

from __future__ import annotations

from typing import Any

from railguard.controls import IAC, LIVE, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Origin, Resource, Result, Unknown

ACCT = "123456789012"


def check(*resources: Resource, place: str = IAC) -> dict[str, Result]:
    c = get_control("efs.encrypted")
    return {f.resource_id: f.result for f in evaluate([PlannedControl(c, c.params)], Inventory(resources), place=place)}


def tpl(logical: str, **props: Any) -> Resource:
    return Resource("AWS::EFS::FileSystem", logical, props, origin=Origin(file="efs.json", line=2))


def test_efs_encrypted_template() -> None:
    out = check(tpl("Enc", Encrypted=True, KmsKeyId="alias/efs"), tpl("Default"), tpl("Off", Encrypted="false"),
                tpl("Unres", Encrypted=Unknown("!Ref Enc")))
    assert out == {"Enc": Result.PASS, "Default": Result.FAIL, "Off": Result.FAIL, "Unres": Result.UNKNOWN}


def test_efs_encrypted_live() -> None:
    def fs(fid: str, enc: bool) -> Resource:
        return Resource("AWS::EFS::FileSystem", fid, {"Encrypted": enc, "FileSystemTags": []}, account=ACCT,
                        region="eu-west-1", origin=Origin(account=ACCT, region="eu-west-1"))
    assert check(fs("fs-1", True), fs("fs-2", False), place=LIVE) == {"fs-1": Result.PASS, "fs-2": Result.FAIL}
