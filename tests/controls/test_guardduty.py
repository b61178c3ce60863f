"""GuardDuty enabled in every region."""

from __future__ import annotations

from railguard.model import Gap, Result, Unknown
from tests.controls.logging_fixtures import ACCT, HOME, live, region, results, run

DET = "AWS::GuardDuty::Detector"


def test_detector_per_region() -> None:
    out = results(run("guardduty.enabled-all-regions", region(HOME), region("eu-west-1"), region("ap-south-1"),
                      live(DET, "d1", {"Enable": True}, name="d1", live_facts={"status": "ENABLED"}),
                      live(DET, "d2", {"Enable": False}, region="eu-west-1", name="d2",
                           live_facts={"status": "DISABLED"})))
    assert out[HOME][0] == Result.PASS
    assert out["eu-west-1"][0] == Result.FAIL and "suspended" in out["eu-west-1"][1]
    assert out["ap-south-1"] == (Result.FAIL, "GuardDuty has no detector in this region")


def test_unknown_detector_or_gap_is_unknown() -> None:
    out = results(run("guardduty.enabled-all-regions", region(HOME),
                      live(DET, "d1", {"Enable": Unknown("denied")}, name="d1", live_facts={"status": Unknown("denied")})))
    assert out[HOME][0] == Result.UNKNOWN
    gap = Gap(DET, ACCT, HOME, "access denied")
    assert results(run("guardduty.enabled-all-regions", region(HOME), gaps=(gap,)))[HOME][0] == Result.UNKNOWN
