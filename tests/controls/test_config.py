"""AWS Config recorder control, per region."""

from __future__ import annotations

from typing import Any

from railguard.model import Gap, Result, Unknown
from tests.controls.logging_fixtures import ACCT, HOME, live, region, results, run

REC = "AWS::Config::ConfigurationRecorder"


def recorder(reg: str, *, all_supported: bool = True, global_types: bool = False, recording: Any = True) -> Any:
    return live(REC, f"{reg}/default", {"Name": "default", "RecordingGroup": {
        "AllSupported": all_supported, "IncludeGlobalResourceTypes": global_types}},
        region=reg, name="default", live_facts={"recording": recording, "last_status": "SUCCESS"})


def test_recorder_per_region_pass_and_fail() -> None:
    out = results(run("config.recorder-all-regions", region(HOME), region("eu-west-1"), region("ap-south-1"),
                      region("sa-east-1"),
                      recorder(HOME, global_types=True), recorder("eu-west-1", recording=False),
                      recorder("ap-south-1", all_supported=False)))
    assert out[HOME][0] == Result.PASS
    assert out["eu-west-1"] == (Result.FAIL, "recorder default is not recording (last status SUCCESS)")
    assert out["ap-south-1"][0] == Result.FAIL and "all supported" in out["ap-south-1"][1]
    assert out["sa-east-1"] == (Result.FAIL, "no AWS Config recorder in this region")


def test_global_types_must_be_recorded_somewhere() -> None:
    out = results(run("config.recorder-all-regions", region(HOME), recorder(HOME, global_types=False)))
    assert out[HOME][0] == Result.FAIL and "global resource types" in out[HOME][1]


def test_recording_strategy_counts_as_all_supported() -> None:
    rec = live(REC, "x", {"Name": "default", "RecordingGroup": {
        "RecordingStrategy": {"UseOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}, "IncludeGlobalResourceTypes": True}},
        live_facts={"recording": True})
    assert results(run("config.recorder-all-regions", region(HOME), rec))[HOME][0] == Result.PASS


def test_unknown_status_and_gaps_are_unknown() -> None:
    out = results(run("config.recorder-all-regions", region(HOME),
                      recorder(HOME, global_types=True, recording=Unknown("access denied"))))
    assert out[HOME][0] == Result.UNKNOWN
    gap = Gap(REC, ACCT, "eu-west-1", "access denied (AccessDenied) on config:DescribeConfigurationRecorders")
    out = results(run("config.recorder-all-regions", region("eu-west-1"), gaps=(gap,)))
    assert out["eu-west-1"][0] == Result.UNKNOWN and "AccessDenied" in out["eu-west-1"][1]
