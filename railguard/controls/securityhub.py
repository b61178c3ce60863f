"""Security Hub: enabled in every region."""

from __future__ import annotations

from railguard.controls import Context, control
from railguard.controls.helpers import fail_unless_gap
from railguard.model import Resource, Severity, Verdict, passed
from railguard.sources.aws import pseudo

HUB = "AWS::SecurityHub::Hub"


@control(
    "securityhub.enabled-all-regions",
    title="AWS Security Hub is enabled in every region",
    resource=pseudo.REGION,
    reads=[HUB],
    severity=Severity.MEDIUM,
    fix="Enable Security Hub in the region (securityhub:EnableSecurityHub), ideally org-wide",
    places=("live",),
)
def enabled_all_regions(region: Resource, ctx: Context) -> Verdict:
    hubs = ctx.inventory.of_type(HUB, account=region.account, region=region.region)
    if hubs:
        return passed("Security Hub is enabled", hub=hubs[0].id)
    return fail_unless_gap(ctx, [HUB], region.account, region.region, "Security Hub is not enabled in this region")
