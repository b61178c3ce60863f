"""CloudFront: distributions of the account (global), one paginated ListDistributions: its summaries
carry every field the CloudFront controls read, so no GetDistributionConfig per distribution.

`AWS::CloudFront::Distribution` properties (CloudFormation shape, under DistributionConfig):
Enabled, Aliases, DefaultCacheBehavior.ViewerProtocolPolicy, CacheBehaviors ([{PathPattern,
ViewerProtocolPolicy}]), ViewerCertificate (CloudFrontDefaultCertificate, AcmCertificateArn,
IamCertificateId, MinimumProtocolVersion, SslSupportMethod; empty ids left out), WebACLId ("" when
none). Live facts: domain_name, status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import GLOBAL, Resource
from railguard.sources.aws.collector import CollectContext, collector

DISTRIBUTION = "AWS::CloudFront::Distribution"
_CERT = (("CloudFrontDefaultCertificate", "CloudFrontDefaultCertificate"), ("ACMCertificateArn", "AcmCertificateArn"),
         ("IAMCertificateId", "IamCertificateId"), ("MinimumProtocolVersion", "MinimumProtocolVersion"),
         ("SSLSupportMethod", "SslSupportMethod"))


@collector("cloudfront", yields=[DISTRIBUTION], scope=GLOBAL, calls=["cloudfront:ListDistributions"])
def collect_distributions(ctx: CollectContext) -> Iterator[Resource]:
    for page in ctx.client("cloudfront").get_paginator("list_distributions").paginate():
        for d in (page.get("DistributionList") or {}).get("Items") or []:
            yield _distribution(ctx, d)


def _behavior(b: dict[str, Any]) -> dict[str, Any]:
    out = {"ViewerProtocolPolicy": b.get("ViewerProtocolPolicy")}
    if b.get("PathPattern"):
        out["PathPattern"] = b["PathPattern"]
    return out


def _distribution(ctx: CollectContext, d: dict[str, Any]) -> Resource:
    cert_in = d.get("ViewerCertificate") or {}
    cert = {cfn: cert_in[api] for api, cfn in _CERT if cert_in.get(api) not in (None, "")}
    config: dict[str, Any] = {
        "Enabled": bool(d.get("Enabled")),
        "Aliases": list((d.get("Aliases") or {}).get("Items") or []),
        "DefaultCacheBehavior": _behavior(d.get("DefaultCacheBehavior") or {}),
        "CacheBehaviors": [_behavior(b) for b in (d.get("CacheBehaviors") or {}).get("Items") or []],
        "ViewerCertificate": cert,
        "WebACLId": d.get("WebACLId") or "",
    }
    ident = d["Id"]
    return ctx.resource(DISTRIBUTION, ident, {"DistributionConfig": config}, arn=d.get("ARN"), name=ident,
                        live={"domain_name": d.get("DomainName"), "status": d.get("Status")})
