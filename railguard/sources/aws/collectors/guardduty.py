"""GuardDuty detectors: `AWS::GuardDuty::Detector`, per region.

Calls per region: `ListDetectors` (paginated); one `GetDetector` per detector (a region
has at most one).

Properties (CloudFormation shape): Enable (Status == ENABLED; `Unknown` when GetDetector is
denied), FindingPublishingFrequency. Live facts: status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

DETECTOR = "AWS::GuardDuty::Detector"


@collector("guardduty", yields=[DETECTOR], scope=REGIONAL,
           calls=["guardduty:ListDetectors", "guardduty:GetDetector"])
def collect_detectors(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("guardduty")
    for det_id in ctx.paginate("guardduty", "list_detectors", "DetectorIds"):
        props: dict[str, Any] = {}
        live: dict[str, Any] = {}
        try:
            d = client.get_detector(DetectorId=det_id)
            props["Enable"] = d.get("Status") == "ENABLED"
            if d.get("FindingPublishingFrequency"):
                props["FindingPublishingFrequency"] = d["FindingPublishingFrequency"]
            live["status"] = d.get("Status")
        except Exception as exc:
            props["Enable"] = live["status"] = ctx.unknown(exc, "guardduty:GetDetector")
        arn = f"arn:{ctx.partition}:guardduty:{ctx.region}:{ctx.account}:detector/{det_id}"
        yield ctx.resource(DETECTOR, arn, props, arn=arn, name=det_id, live=live)
