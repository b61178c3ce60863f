"""Redshift provisioned clusters (`AWS::Redshift::Cluster`): public access and encryption at rest.

Same properties in every place: CloudFormation, Terraform (`aws_redshift_cluster`, mapped with the
provider's defaults: `publicly_accessible` false since provider 5, `encrypted` false) and the live
collector (DescribeClusters). In a template an absent `PubliclyAccessible` is false (the API's
default) and an absent `Encrypted` is false: AWS encrypts clusters created since January 2025 by
default, but a template that says nothing is unencrypted wherever it was first deployed earlier,
so encryption must be stated.
"""

from __future__ import annotations

from railguard.controls import IAC, LIVE, control
from railguard.controls.helpers import truthy
from railguard.model import Resource, Severity, Verdict, failed, passed

CLUSTER = "AWS::Redshift::Cluster"


@control(
    "redshift.publicly-accessible",
    title="Redshift cluster is not publicly accessible",
    resource=CLUSTER,
    severity=Severity.HIGH,
    fix="Set PubliclyAccessible: false and reach the cluster from inside its VPC (or through a VPC endpoint)",
    places=(LIVE, IAC),
)
def publicly_accessible(r: Resource) -> Verdict:
    """A public cluster gets a public IP address and an endpoint that resolves to it: its security
    groups are all that stands between the warehouse and the internet."""
    value = r.get("PubliclyAccessible")
    if truthy(value):
        return failed("the cluster is publicly accessible", PubliclyAccessible=True)
    return passed("the cluster is not publicly accessible", PubliclyAccessible=False)


@control(
    "redshift.encrypted",
    title="Redshift cluster is encrypted at rest",
    resource=CLUSTER,
    severity=Severity.HIGH,
    fix="Set Encrypted: true (with KmsKeyId for a customer managed key); an existing cluster can be modified to encrypt",
    places=(LIVE, IAC),
)
def encrypted(r: Resource) -> Verdict:
    """Data blocks, system metadata and snapshots are encrypted only when the cluster is."""
    value = r.get("Encrypted")
    if truthy(value):
        key = r.get_raw("KmsKeyId")
        return passed("the cluster is encrypted", **({"KmsKeyId": key} if isinstance(key, str) else {}))
    return failed("the cluster is not encrypted at rest", Encrypted=bool(truthy(value)))
