"""EKS clusters (`AWS::EKS::Cluster`): who can reach the Kubernetes API endpoint, and whether
Kubernetes secrets are envelope-encrypted with a KMS key.

Same shape in every place: CloudFormation, Terraform (`aws_eks_cluster`: `vpc_config`,
`encryption_config`) and the live collector (DescribeCluster). Defaults follow the API: the public
endpoint is on and open to 0.0.0.0/0 unless said otherwise.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import any_known, as_list, truthy
from railguard.model import Resource, Severity, Verdict, failed, passed

CLUSTER = "AWS::EKS::Cluster"
_EVERYWHERE = ["0.0.0.0/0"]


def _is_world(cidr: Any) -> bool:
    try:
        return ipaddress.ip_network(str(cidr).strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


@control(
    "eks.endpoint-public",
    title="EKS cluster API endpoint is not reachable from the whole internet",
    resource=CLUSTER,
    severity=Severity.HIGH,
    params={"allow_restricted_cidrs": True},
    fix="Set EndpointPublicAccess: false (with EndpointPrivateAccess: true), or list the networks allowed in PublicAccessCidrs",
    places=(LIVE, IAC),
)
def endpoint_public(r: Resource, ctx: Context) -> Verdict:
    """A public endpoint open to 0.0.0.0/0 lets anyone on the internet reach the Kubernetes API
    (authentication is then the only barrier). A public endpoint limited by `PublicAccessCidrs`
    passes while `allow_restricted_cidrs` is true (the default); AWS FSBP EKS.1 sets it false:
    any public endpoint fails."""
    public = r.get("ResourcesVpcConfig.EndpointPublicAccess")
    if public is not None and not truthy(public):
        return passed("the API endpoint is private", EndpointPublicAccess=False)
    cidrs = r.get("ResourcesVpcConfig.PublicAccessCidrs")
    cidrs = as_list(cidrs) or _EVERYWHERE
    if any_known(cidrs, "ResourcesVpcConfig.PublicAccessCidrs", _is_world):
        return failed("the API endpoint is public and open to every address", EndpointPublicAccess=True,
                      PublicAccessCidrs=[c for c in cidrs if isinstance(c, str)])
    if ctx.params.get("allow_restricted_cidrs", True):
        return passed("the public API endpoint is limited to listed networks", PublicAccessCidrs=cidrs)
    return failed("the API endpoint is public (limited to listed networks)", EndpointPublicAccess=True,
                  PublicAccessCidrs=cidrs)


@control(
    "eks.secrets-encrypted",
    title="EKS cluster encrypts Kubernetes secrets with a KMS key",
    resource=CLUSTER,
    severity=Severity.MEDIUM,
    fix="Add EncryptionConfig with Resources: [secrets] and Provider.KeyArn set to a KMS key",
    places=(LIVE, IAC),
)
def secrets_encrypted(r: Resource) -> Verdict:
    """Without envelope encryption, Kubernetes secrets sit in etcd protected only by the EBS
    encryption of the control plane: anyone who can read etcd backups reads them."""
    configs = as_list(r.get("EncryptionConfig"))

    def covers_secrets(cfg: Any) -> bool:
        resources = cfg.get("Resources") if isinstance(cfg, dict) else None
        return any_known(as_list(resources), "EncryptionConfig.Resources", lambda x: str(x).lower() == "secrets")

    if configs and any_known(configs, "EncryptionConfig", covers_secrets):
        keys = [c.get("Provider", {}).get("KeyArn") for c in configs if isinstance(c, dict)
                and isinstance(c.get("Provider"), dict)]
        return passed("Kubernetes secrets are encrypted with a KMS key", KeyArn=[k for k in keys if isinstance(k, str)])
    return failed("Kubernetes secrets are not encrypted with a KMS key", EncryptionConfig=[])
