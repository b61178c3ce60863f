"""GuardDuty: an enabled detector in every region."""

from __future__ import annotations

from railguard.controls import Context, control
from railguard.controls.helpers import fail_unless_gap, truthy
from railguard.model import Resource, Severity, Verdict, failed, passed
from railguard.sources.aws import pseudo

DETECTOR = "AWS::GuardDuty::Detector"


@control(
    "guardduty.enabled-all-regions",
    title="GuardDuty is enabled in every region",
    resource=pseudo.REGION,
    reads=[DETECTOR],
    severity=Severity.MEDIUM,
    fix="Create an enabled GuardDuty detector in the region (guardduty:CreateDetector --enable)",
    places=("live",),
)
def enabled_all_regions(region: Resource, ctx: Context) -> Verdict:
    detectors = ctx.inventory.of_type(DETECTOR, account=region.account, region=region.region)
    if not detectors:
        return fail_unless_gap(ctx, [DETECTOR], region.account, region.region,
                               "GuardDuty has no detector in this region")
    for d in detectors:
        if truthy(d.get("Enable")):
            return passed("GuardDuty detector is enabled", detector=d.display_name)
    return failed("GuardDuty detector is suspended", detectors=[d.display_name for d in detectors],
                  status=[d.fact("status") for d in detectors])
