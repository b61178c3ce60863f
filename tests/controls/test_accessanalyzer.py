"""Access Analyzer in every region: ACTIVE external-access analyzer, and never PASS on a gap."""

from __future__ import annotations

from railguard.controls import get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Gap, Inventory, Origin, Resource, Result, Unknown
from railguard.sources.aws import pseudo

ACCT = "111122223333"
CID = "accessanalyzer.enabled-all-regions"


def region(name: str) -> Resource:
    return Resource(type=pseudo.REGION, id=f"{ACCT}/{name}", properties={"RegionName": name}, account=ACCT,
                    region=name, origin=Origin(account=ACCT, region=name), name=name)


def analyzer(reg: str, name: str, type_: object = "ACCOUNT", status: str = "ACTIVE") -> Resource:
    arn = f"arn:aws:access-analyzer:{reg}:{ACCT}:analyzer/{name}"
    return Resource(type="AWS::AccessAnalyzer::Analyzer", id=arn, arn=arn, properties={"AnalyzerName": name, "Type": type_},
                    account=ACCT, region=reg, origin=Origin(account=ACCT, region=reg), live={"status": status}, name=name)


def results(*resources: Resource, gaps: list[Gap] | None = None) -> dict[str, Result]:
    c = get_control(CID)
    findings = evaluate([PlannedControl(c, c.params)], Inventory(resources, gaps or []))
    return {f.resource_name or f.resource_id: f.result for f in findings}


def test_active_analyzer_per_region() -> None:
    got = results(region("us-east-1"), region("eu-west-1"), region("ap-south-1"),
                  analyzer("us-east-1", "org", "ORGANIZATION"),
                  analyzer("eu-west-1", "unused", "ACCOUNT_UNUSED_ACCESS"),
                  analyzer("ap-south-1", "broken", status="FAILED"))
    assert got == {"us-east-1": Result.PASS, "eu-west-1": Result.FAIL, "ap-south-1": Result.FAIL}


def test_no_analyzer_fails() -> None:
    assert results(region("us-east-1")) == {"us-east-1": Result.FAIL}


def test_unlisted_region_is_unknown_not_fail() -> None:
    gap = Gap("AWS::AccessAnalyzer::Analyzer", ACCT, "us-east-1", "API error 500 (HTTP 500) on ListAnalyzers")
    got = results(region("us-east-1"), region("eu-west-1"), gaps=[gap])
    assert got == {"us-east-1": Result.UNKNOWN, "eu-west-1": Result.FAIL}


def test_unknown_type_is_unknown() -> None:
    got = results(region("us-east-1"), analyzer("us-east-1", "a", Unknown("denied")))
    assert got == {"us-east-1": Result.UNKNOWN}


def test_inactive_analyzer_with_a_listing_gap_is_unknown() -> None:
    gap = Gap("AWS::AccessAnalyzer::Analyzer", ACCT, "us-east-1", "throttled on the second page")
    got = results(region("us-east-1"), analyzer("us-east-1", "broken", status="FAILED"), gaps=[gap])
    assert got == {"us-east-1": Result.UNKNOWN}
