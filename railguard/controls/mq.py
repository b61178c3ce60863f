"""Amazon MQ controls over `AWS::AmazonMQ::Broker` (live: collectors/dms_mq.py)."""

from __future__ import annotations

from railguard.controls import IAC, LIVE, control
from railguard.controls.helpers import truthy
from railguard.model import Resource, Severity, Verdict, failed, passed, unknown

BROKER = "AWS::AmazonMQ::Broker"


@control(
    "mq.broker-public",
    title="Amazon MQ broker is not publicly accessible",
    resource=BROKER,
    severity=Severity.HIGH,
    fix="Set PubliclyAccessible: false and reach the broker from inside the VPC (a broker cannot be "
        "changed: create a private one)",
    places=(LIVE, IAC),
)
def broker_public(r: Resource) -> Verdict:
    """A public broker's endpoints (and its web console) resolve to internet-facing addresses; only the
    broker users' passwords stand in the way. PubliclyAccessible is required in CloudFormation;
    Terraform's provider defaults to private."""
    value = r.get("PubliclyAccessible")
    if value is None:
        return unknown("PubliclyAccessible is not set (a required property)")
    if truthy(value):
        return failed("the broker is publicly accessible", publicly_accessible=True, engine=r.get_raw("EngineType"))
    return passed("the broker is private")
