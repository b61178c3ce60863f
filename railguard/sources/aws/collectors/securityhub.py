"""Security Hub: `AWS::SecurityHub::Hub`, one per region where the account is subscribed.

Calls per region: one `DescribeHub`. `InvalidAccessException` saying the account "is not
subscribed" is data (no hub in that region), not a failure; any other error is a gap.

Properties: HubArn, SubscribedAt (ISO 8601), AutoEnableControls, ControlFindingGenerator.
"""

from __future__ import annotations

from collections.abc import Iterator

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector
from railguard.sources.aws.errors import is_code

HUB = "AWS::SecurityHub::Hub"


@collector("securityhub", yields=[HUB], scope=REGIONAL, calls=["securityhub:DescribeHub"])
def collect_hub(ctx: CollectContext) -> Iterator[Resource]:
    try:
        hub = ctx.client("securityhub").describe_hub()
    except Exception as exc:
        if is_code(exc, "InvalidAccessException") and "not subscribed" in str(exc).lower():
            return
        raise
    arn = hub.get("HubArn") or f"arn:aws:securityhub:{ctx.region}:{ctx.account}:hub/default"
    props = {
        "HubArn": arn,
        "SubscribedAt": str(hub.get("SubscribedAt") or ""),
        "AutoEnableControls": hub.get("AutoEnableControls"),
        "ControlFindingGenerator": hub.get("ControlFindingGenerator"),
    }
    yield ctx.resource(HUB, arn, props, arn=arn, name=f"hub/{ctx.region}")
