"""Hand-built CloudFormation-shaped resources for the logging and monitoring control tests."""

from __future__ import annotations

from typing import Any

from railguard.controls import IAC, LIVE, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Finding, Gap, Inventory, Origin, Resource, Result

ACCT = "123456789012"
HOME = "us-east-1"
LOG_GROUP_ARN = f"arn:aws:logs:{HOME}:{ACCT}:log-group:trail-logs:*"
TOPIC = f"arn:aws:sns:{HOME}:{ACCT}:alerts"


def live(type_: str, id_: str, props: dict[str, Any], *, region: str = HOME, name: str | None = None,
         live_facts: dict[str, Any] | None = None, arn: str | None = None, account: str = ACCT) -> Resource:
    return Resource(type_, id_, props, arn=arn, account=account, region=region,
                    origin=Origin(account=account, region=region), live=live_facts or {}, name=name)


def tpl(type_: str, logical: str, props: dict[str, Any]) -> Resource:
    return Resource(type_, logical, props, origin=Origin(file="t.yaml", line=5))


def account(regions: tuple[str, ...] = (HOME, "eu-west-1")) -> Resource:
    return live("RailGuard::AWS::Account", ACCT, {"AccountId": ACCT}, region="global", name=ACCT,
                live_facts={"regions": list(regions)})


def region(name: str) -> Resource:
    return live("RailGuard::AWS::Region", f"{ACCT}/{name}", {"RegionName": name}, region=name, name=name)


def trail(name: str = "main", *, region_: str = HOME, **props: Any) -> Resource:
    base: dict[str, Any] = {"TrailName": name, "S3BucketName": f"{name}-bucket", "IsMultiRegionTrail": True,
                            "IsLogging": True, "IncludeGlobalServiceEvents": True}
    base.update(props)
    arn = f"arn:aws:cloudtrail:{region_}:{ACCT}:trail/{name}"
    return live("AWS::CloudTrail::Trail", arn, base, region=region_, name=name, arn=arn,
                live_facts={"home_region": region_, "owner_account": ACCT})


def run(control_id: str, *resources: Resource, gaps: tuple[Gap, ...] = (), place: str = LIVE,
        **params: Any) -> list[Finding]:
    c = get_control(control_id)
    return evaluate([PlannedControl(c, {**c.params, **params})], Inventory(resources, gaps), place=place)


def results(findings: list[Finding]) -> dict[str, tuple[Result, str]]:
    return {(f.resource_name or f.resource_id): (f.result, f.reason) for f in findings}


def one(control_id: str, *resources: Resource, gaps: tuple[Gap, ...] = (), place: str = LIVE) -> Finding:
    findings = run(control_id, *resources, gaps=gaps, place=place)
    assert len(findings) == 1, findings
    return findings[0]


__all__ = ["ACCT", "HOME", "IAC", "LIVE", "LOG_GROUP_ARN", "TOPIC", "account", "live", "one", "region",
           "results", "run", "tpl", "trail"]
