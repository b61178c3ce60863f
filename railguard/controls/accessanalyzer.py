"""IAM Access Analyzer controls (CIS AWS Foundations 1.20)."""

from __future__ import annotations

from railguard.controls import LIVE, Context, control
from railguard.controls.helpers import fail_unless_gap
from railguard.model import Resource, Severity, Verdict, passed
from railguard.sources.aws import pseudo

ANALYZER = "AWS::AccessAnalyzer::Analyzer"
EXTERNAL_ACCESS_TYPES = ("ACCOUNT", "ORGANIZATION")


@control(
    "accessanalyzer.enabled-all-regions",
    title="IAM Access Analyzer is enabled in every region",
    resource=pseudo.REGION,
    severity=Severity.MEDIUM,
    fix="Create an account (or organization) analyzer in IAM Access Analyzer in this region.",
    reads=[ANALYZER],
    places=(LIVE,),
)
def enabled_all_regions(r: Resource, ctx: Context) -> Verdict:
    """An external-access analyzer (type ACCOUNT or ORGANIZATION) with status ACTIVE in the region.

    The absence of one is only a FAIL when the region's analyzers could be listed."""
    analyzers = ctx.inventory.of_type(ANALYZER, account=r.account, region=r.region)
    active = [a.display_name for a in analyzers
              if a.fact("status") == "ACTIVE" and a.get("Type") in EXTERNAL_ACCESS_TYPES]
    if active:
        return passed("an external-access analyzer is active", analyzers=active)
    others = {a.display_name: f"{a.get('Type')}/{a.fact('status')}" for a in analyzers}
    if others:
        return fail_unless_gap(ctx, [ANALYZER], r.account, r.region,
                               "no active external-access analyzer in the region", analyzers=others)
    return fail_unless_gap(ctx, [ANALYZER], r.account, r.region, "no analyzer in the region")
