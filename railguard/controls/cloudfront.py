"""CloudFront distributions (`AWS::CloudFront::Distribution`, properties under `DistributionConfig`):
HTTPS for viewers, TLS 1.2 or later at the edge, and a WAF web ACL.

Same shape in every place: CloudFormation, Terraform (`aws_cloudfront_distribution`) and the live
collector (ListDistributions, which returns every field these controls read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from railguard.controls import IAC, LIVE, control
from railguard.controls.helpers import as_list
from railguard.controls.secretlike import deploy_input
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed, require

DISTRIBUTION = "AWS::CloudFront::Distribution"
# security policies that accept nothing older than TLS 1.2 (SSLv3, TLSv1, TLSv1_2016, TLSv1.1_2016 do)
TLS_1_2_OR_LATER = ("TLSv1.2_", "TLSv1.3_")


def _behaviors(r: Resource) -> list[tuple[str, Any]]:
    """(path pattern, behavior) for the default behavior and every ordered one."""
    out: list[tuple[str, Any]] = [("default", r.get_raw("DistributionConfig.DefaultCacheBehavior"))]
    for i, b in enumerate(as_list(r.get("DistributionConfig.CacheBehaviors"))):
        pattern = b.get("PathPattern") if isinstance(b, Mapping) else None
        out.append((pattern if isinstance(pattern, str) else f"CacheBehaviors.{i}", b))
    return out


@control(
    "cloudfront.viewer-https-required",
    title="CloudFront distribution does not let viewers use clear HTTP",
    resource=DISTRIBUTION,
    severity=Severity.MEDIUM,
    fix="Set ViewerProtocolPolicy to redirect-to-https or https-only on the default and every cache behavior",
    places=(LIVE, IAC),
)
def viewer_https_required(r: Resource) -> Verdict:
    """A behavior with `ViewerProtocolPolicy: allow-all` serves its paths over HTTP: content and
    cookies travel in clear and can be altered on the way."""
    offenders: list[str] = []
    pending: UnknownValue | None = None
    for where, b in _behaviors(r):
        if isinstance(b, Unknown):
            pending = pending or UnknownValue(f"cache behavior {where}", b)
            continue
        policy = b.get("ViewerProtocolPolicy") if isinstance(b, Mapping) else None
        if isinstance(policy, Unknown):
            pending = pending or UnknownValue(f"cache behavior {where}.ViewerProtocolPolicy", policy)
        elif str(policy or "allow-all").lower() == "allow-all":
            offenders.append(where)
    if offenders:
        return failed(f"viewers may use HTTP on {', '.join(offenders)} (ViewerProtocolPolicy allow-all)",
                      behaviors=offenders)
    if pending is not None:
        raise pending
    return passed("every cache behavior requires HTTPS or redirects to it")


@control(
    "cloudfront.viewer-tls-1-2",
    title="CloudFront distribution accepts only TLS 1.2 or later from viewers",
    resource=DISTRIBUTION,
    severity=Severity.MEDIUM,
    fix="Use a custom certificate (AcmCertificateArn, SslSupportMethod: sni-only) with MinimumProtocolVersion: TLSv1.2_2021",
    places=(LIVE, IAC),
)
def viewer_tls_1_2(r: Resource) -> Verdict:
    """TLS 1.0 and 1.1 are deprecated. The default *.cloudfront.net certificate always accepts
    TLSv1 (its security policy cannot be changed), so a distribution without its own certificate
    fails; with one (named, or given at deploy time), `MinimumProtocolVersion` (default TLSv1) must
    be TLSv1.2_2018 or later."""
    cert = require(r.get("DistributionConfig.ViewerCertificate") or {}, "DistributionConfig.ViewerCertificate")
    ids = [cert.get(k) for k in ("AcmCertificateArn", "IamCertificateId")]
    if not any((isinstance(v, str) and v) or (isinstance(v, Unknown) and deploy_input(v)) for v in ids):
        unknown_id = next((v for v in ids if isinstance(v, Unknown)), None)
        if unknown_id is not None:
            raise UnknownValue("ViewerCertificate.AcmCertificateArn", unknown_id)
        return failed("the default CloudFront certificate accepts TLSv1 (its policy cannot be raised)",
                      CloudFrontDefaultCertificate=True, MinimumProtocolVersion="TLSv1")
    version = require(cert.get("MinimumProtocolVersion") or "TLSv1", "ViewerCertificate.MinimumProtocolVersion")
    if str(version).startswith(TLS_1_2_OR_LATER):
        return passed(f"viewers need {version} or later", MinimumProtocolVersion=version)
    return failed(f"viewers may connect with protocols older than TLS 1.2 (MinimumProtocolVersion {version})",
                  MinimumProtocolVersion=version)


@control(
    "cloudfront.waf-enabled",
    title="CloudFront distribution is protected by an AWS WAF web ACL",
    resource=DISTRIBUTION,
    severity=Severity.MEDIUM,
    fix="Associate an AWS WAF (v2, scope CLOUDFRONT) web ACL through WebACLId",
    places=(LIVE, IAC),
)
def waf_enabled(r: Resource) -> Verdict:
    """Without a web ACL the edge forwards injection, bot and flood traffic to the origin."""
    acl = r.get("DistributionConfig.WebACLId")
    if acl:
        return passed("a WAF web ACL is associated", WebACLId=acl)
    return failed("no WAF web ACL is associated", WebACLId=None)
