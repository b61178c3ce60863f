"""DMS controls over `AWS::DMS::ReplicationInstance` (live: collectors/dms_mq.py)."""

from __future__ import annotations

from railguard.controls import IAC, LIVE, control
from railguard.controls.helpers import truthy
from railguard.model import Resource, Severity, Verdict, failed, passed

REPLICATION_INSTANCE = "AWS::DMS::ReplicationInstance"


@control(
    "dms.replication-instance-public",
    title="DMS replication instance is not publicly accessible",
    resource=REPLICATION_INSTANCE,
    severity=Severity.HIGH,
    fix="Set PubliclyAccessible: false (a replication instance cannot be changed: create a private one and "
        "move the tasks)",
    places=(LIVE, IAC),
)
def replication_instance_public(r: Resource) -> Verdict:
    """A public replication instance has a public IP next to the credentials of both databases it
    copies between. CloudFormation's (and the API's) default is public: an absent
    PubliclyAccessible fails; Terraform's provider defaults to private."""
    value = r.get("PubliclyAccessible")
    if value is None and not r.is_live:
        return failed("PubliclyAccessible is not set: CloudFormation makes the instance public",
                      publicly_accessible=None)
    if truthy(value):
        return failed("the replication instance is publicly accessible", publicly_accessible=True,
                      public_ips=r.live.get("public_ips") or None)
    return passed("the replication instance is private")
