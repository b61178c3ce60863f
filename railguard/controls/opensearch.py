"""OpenSearch (and legacy Elasticsearch) domains: access policies that expose nothing.

`AccessPolicies` is a property of the domain in every place: CloudFormation
(`AWS::OpenSearchService::Domain`, `AWS::Elasticsearch::Domain`), Terraform (`access_policies`, or
`aws_opensearch_domain_policy` folded into its domain) and the live collector (DescribeDomains).
"""

from __future__ import annotations

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import as_list
from railguard.controls.policy import EXPOSURE_PARAMS, exposure_verdict
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict

DOMAIN = "AWS::OpenSearchService::Domain"
ES_DOMAIN = "AWS::Elasticsearch::Domain"


def in_vpc(r: Resource) -> bool | Unknown:
    """Is the domain placed in a VPC (reachable only from inside it)?"""
    subnets = r.get_raw("VPCOptions.SubnetIds")
    if isinstance(subnets, Unknown):
        return subnets
    return bool(as_list(subnets))


@control(
    "opensearch.domain-policy-exposed",
    title="OpenSearch domain access policy does not grant everyone or accounts outside the owned accounts",
    resource=[DOMAIN, ES_DOMAIN],
    severity=Severity.CRITICAL,
    params=EXPOSURE_PARAMS,
    fix="Place the domain in a VPC, or name the principals in its access policy (or restrict '*' with aws:SourceIp)",
    places=(LIVE, IAC),
)
def domain_policy_exposed(r: Resource, ctx: Context) -> Verdict:
    """Everyone, unrestricted, or an account outside `owned_accounts` (see `policy.exposure`). A
    domain in a VPC answers only inside it: a `*` grant there passes (security groups decide who
    reaches it); a grant to an outside account fails wherever the domain is."""
    vpc = in_vpc(r)
    blocked = "the domain is in a VPC, reachable only through its security groups" if vpc is True else None
    verdict = exposure_verdict(r, ctx, [("access policy", r.get_raw("AccessPolicies"))], "the domain access policy",
                               public_blocked=blocked)
    if isinstance(vpc, Unknown) and "public_statements" in verdict.evidence and "external_statements" not in verdict.evidence:
        raise UnknownValue("VPCOptions.SubnetIds", vpc)
    return verdict
