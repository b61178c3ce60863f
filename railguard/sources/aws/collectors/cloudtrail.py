"""CloudTrail trails: `AWS::CloudTrail::Trail`, each read once, in its home region.

Calls per region: one `DescribeTrails`; per trail homed in the region: one `GetTrailStatus`
and one `GetEventSelectors` (both by ARN).

`DescribeTrails` is asked *with* shadow trails and the answer filtered to trails whose
`HomeRegion` is the region being read: every trail of the account is then read exactly once,
and an organization trail that the management account created (which a member account only
sees as a shadow trail) is read too, once, in its home region. Without shadow trails a member
account covered by an organization trail would look as if it had no trail at all.

Properties (CloudFormation shape): TrailName, S3BucketName, S3KeyPrefix, SnsTopicName,
IsMultiRegionTrail, IncludeGlobalServiceEvents, EnableLogFileValidation, KMSKeyId,
CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn, IsOrganizationTrail, IsLogging (from
GetTrailStatus), EventSelectors and AdvancedEventSelectors (from GetEventSelectors; a trail
with neither records all management events, as in CloudFormation).
A denied GetTrailStatus makes IsLogging `Unknown`; a denied GetEventSelectors makes both
selector properties `Unknown`.

Live facts (`Resource.live`): home_region; owner_account (the account in the trail's ARN:
another account for an organization trail seen from a member); latest_delivery_time (ISO
8601 or None); latest_delivery_error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

TRAIL = "AWS::CloudTrail::Trail"

_FIELDS = {  # DescribeTrails key -> CloudFormation property
    "Name": "TrailName",
    "S3BucketName": "S3BucketName",
    "S3KeyPrefix": "S3KeyPrefix",
    "SnsTopicName": "SnsTopicName",
    "IsMultiRegionTrail": "IsMultiRegionTrail",
    "IncludeGlobalServiceEvents": "IncludeGlobalServiceEvents",
    "LogFileValidationEnabled": "EnableLogFileValidation",
    "KmsKeyId": "KMSKeyId",
    "CloudWatchLogsLogGroupArn": "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn": "CloudWatchLogsRoleArn",
    "IsOrganizationTrail": "IsOrganizationTrail",
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value else None)


@collector(
    "cloudtrail",
    yields=[TRAIL],
    scope=REGIONAL,
    calls=["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
)
def collect_trails(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("cloudtrail")
    for t in client.describe_trails(includeShadowTrails=True).get("trailList", []):
        home = t.get("HomeRegion") or ctx.region
        if home != ctx.region:
            continue  # a shadow of a trail read in its own home region
        yield trail(ctx, client, t)


def trail(ctx: CollectContext, client: Any, t: dict[str, Any]) -> Resource:
    """One DescribeTrails item as a resource: its status and event selectors read by ARN."""
    arn = t["TrailARN"]
    home = t.get("HomeRegion") or ctx.region
    props: dict[str, Any] = {cf: t[k] for k, cf in _FIELDS.items() if t.get(k) not in (None, "")}
    live: dict[str, Any] = {"home_region": home, "owner_account": arn.split(":")[4]}
    try:
        status = client.get_trail_status(Name=arn)
        props["IsLogging"] = bool(status.get("IsLogging"))
        live["latest_delivery_time"] = _iso(status.get("LatestDeliveryTime"))
        live["latest_delivery_error"] = status.get("LatestDeliveryError") or None
    except Exception as exc:
        props["IsLogging"] = ctx.unknown(exc, "cloudtrail:GetTrailStatus")
    try:
        sel = client.get_event_selectors(TrailName=arn)
        if sel.get("EventSelectors"):
            props["EventSelectors"] = sel["EventSelectors"]
        if sel.get("AdvancedEventSelectors"):
            props["AdvancedEventSelectors"] = sel["AdvancedEventSelectors"]
    except Exception as exc:
        props["EventSelectors"] = props["AdvancedEventSelectors"] = ctx.unknown(
            exc, "cloudtrail:GetEventSelectors"
        )
    return ctx.resource(TRAIL, arn, props, arn=arn, name=t.get("Name"), live=live)
