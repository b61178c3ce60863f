"""Security Hub enabled in every region."""

from __future__ import annotations

from railguard.model import Gap, Result
from tests.controls.logging_fixtures import ACCT, HOME, live, region, results, run

HUB = "AWS::SecurityHub::Hub"


def test_hub_per_region() -> None:
    arn = f"arn:aws:securityhub:{HOME}:{ACCT}:hub/default"
    out = results(run("securityhub.enabled-all-regions", region(HOME), region("eu-west-1"),
                      live(HUB, arn, {"HubArn": arn}, arn=arn)))
    assert out[HOME][0] == Result.PASS
    assert out["eu-west-1"] == (Result.FAIL, "Security Hub is not enabled in this region")


def test_unreadable_region_is_unknown() -> None:
    gap = Gap(HUB, ACCT, "eu-west-1", "access denied (AccessDeniedException) on securityhub:DescribeHub")
    out = results(run("securityhub.enabled-all-regions", region("eu-west-1"), region(HOME), gaps=(gap,)))
    assert out["eu-west-1"][0] == Result.UNKNOWN and out[HOME][0] == Result.FAIL
