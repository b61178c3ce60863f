"""OpenSearch (and legacy Elasticsearch) domains: access policies that expose nothing; encryption
at rest and between nodes, HTTPS with TLS 1.2, placement in a VPC.

`AccessPolicies` is a property of the domain in every place: CloudFormation
(`AWS::OpenSearchService::Domain`, `AWS::Elasticsearch::Domain`), Terraform (`access_policies`, or
`aws_opensearch_domain_policy` folded into its domain) and the live collector (DescribeDomains).
"""

from __future__ import annotations

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import as_list, truthy
from railguard.controls.policy import EXPOSURE_PARAMS, exposure_verdict
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed

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


# ---- encryption, HTTPS and placement (issue 15 point 2) -----------------------------------------
# Defaults of CloudFormation, Terraform and the API alike: encryption at rest and node-to-node
# encryption off, HTTPS not enforced, TLS policy Policy-Min-TLS-1-0-2019-07.

DEFAULT_TLS_POLICY = "Policy-Min-TLS-1-0-2019-07"
TLS_1_2_POLICIES = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10",
                    "Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08"]


@control(
    "opensearch.encryption-at-rest",
    title="OpenSearch domain is encrypted at rest",
    resource=[DOMAIN, ES_DOMAIN],
    severity=Severity.MEDIUM,
    fix="Set EncryptionAtRestOptions.Enabled: true (with a KmsKeyId for a customer managed key)",
    places=(LIVE, IAC),
)
def encryption_at_rest(r: Resource) -> Verdict:
    """Indices, logs, swap files and automated snapshots are stored unencrypted otherwise."""
    if truthy(r.get("EncryptionAtRestOptions.Enabled")):
        key = r.get_raw("EncryptionAtRestOptions.KmsKeyId")
        return passed("encryption at rest is on", **({"KmsKeyId": key} if isinstance(key, str) else {}))
    return failed("encryption at rest is off", EncryptionAtRestOptions={"Enabled": False})


@control(
    "opensearch.node-to-node-encryption",
    title="OpenSearch domain encrypts traffic between its nodes",
    resource=[DOMAIN, ES_DOMAIN],
    severity=Severity.MEDIUM,
    fix="Set NodeToNodeEncryptionOptions.Enabled: true",
    places=(LIVE, IAC),
)
def node_to_node_encryption(r: Resource) -> Verdict:
    """Without it, data moves between the nodes of the cluster in clear inside the VPC."""
    if truthy(r.get("NodeToNodeEncryptionOptions.Enabled")):
        return passed("node-to-node encryption is on")
    return failed("node-to-node encryption is off", NodeToNodeEncryptionOptions={"Enabled": False})


@control(
    "opensearch.https-required",
    title="OpenSearch domain requires HTTPS with TLS 1.2 or later",
    resource=[DOMAIN, ES_DOMAIN],
    severity=Severity.MEDIUM,
    params={"tls_policies": TLS_1_2_POLICIES},
    fix="Set DomainEndpointOptions.EnforceHTTPS: true and TLSSecurityPolicy: Policy-Min-TLS-1-2-PFS-2023-10",
    places=(LIVE, IAC),
)
def https_required(r: Resource, ctx: Context) -> Verdict:
    """Clear HTTP exposes queries, documents and credentials; TLS 1.0/1.1 are deprecated. Passes
    only when HTTPS is enforced and the TLS policy is one of `tls_policies`."""
    enforce = r.get("DomainEndpointOptions.EnforceHTTPS")
    policy = r.get("DomainEndpointOptions.TLSSecurityPolicy") or DEFAULT_TLS_POLICY
    if not truthy(enforce):
        return failed("HTTPS is not enforced: clients may connect over clear HTTP", EnforceHTTPS=False,
                      TLSSecurityPolicy=policy)
    allowed = [str(p) for p in as_list(ctx.params.get("tls_policies") or TLS_1_2_POLICIES)]
    if str(policy) not in allowed:
        return failed(f"HTTPS is enforced but TLS policy {policy} accepts versions before TLS 1.2",
                      EnforceHTTPS=True, TLSSecurityPolicy=policy)
    return passed(f"HTTPS is enforced with {policy}", TLSSecurityPolicy=policy)


@control(
    "opensearch.domain-in-vpc",
    title="OpenSearch domain is placed in a VPC (no public endpoint)",
    resource=[DOMAIN, ES_DOMAIN],
    severity=Severity.HIGH,
    fix="Create the domain with VPCOptions (SubnetIds, SecurityGroupIds); a public domain cannot be moved into a VPC in place",
    places=(LIVE, IAC),
)
def domain_in_vpc(r: Resource) -> Verdict:
    """A domain outside a VPC has a public endpoint: only its access policy (see
    opensearch.domain-policy-exposed) stands between it and the internet."""
    vpc = in_vpc(r)
    if isinstance(vpc, Unknown):
        raise UnknownValue("VPCOptions.SubnetIds", vpc)
    if vpc:
        return passed("the domain is in a VPC", SubnetIds=as_list(r.get_raw("VPCOptions.SubnetIds")))
    return failed("the domain has a public endpoint (no VPCOptions)", VPCOptions=None)
