"""IAM Access Analyzer controls (CIS AWS Foundations 1.20)."""

from __future__ import annotations

from railguard.controls import LIVE, Context, control
from railguard.model import Resource, Severity, Verdict, failed, passed, unknown
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

    The absence of analyzers is only a FAIL when the region's analyzers could be listed."""
    gap = ctx.inventory.gap_for([ANALYZER], r.account, r.region)
    if gap is not None:
        return unknown(f"analyzers could not be listed in {r.region}: {gap.reason}")
    analyzers = ctx.inventory.of_type(ANALYZER, account=r.account, region=r.region)
    active = [a.display_name for a in analyzers
              if a.fact("status") == "ACTIVE" and a.get("Type") in EXTERNAL_ACCESS_TYPES]
    if active:
        return passed("an external-access analyzer is active", analyzers=active)
    others = {a.display_name: f"{a.get('Type')}/{a.fact('status')}" for a in analyzers}
    if others:
        return failed("no active external-access analyzer in the region", analyzers=others)
    return failed("no analyzer in the region")
