"""DynamoDB controls."""

from __future__ import annotations

from railguard.controls import control
from railguard.controls.helpers import truthy
from railguard.model import Resource, Severity, Verdict, failed, passed


@control(
    "dynamodb.table-kms",
    title="DynamoDB table is encrypted with an AWS-managed or customer-managed KMS key",
    resource="AWS::DynamoDB::Table",
    severity=Severity.MEDIUM,
    fix="Set SSESpecification.SSEEnabled true (and KMSMasterKeyId for a customer-managed key).",
)
def table_kms(r: Resource) -> Verdict:
    """Tables always encrypt at rest, but on the AWS-owned key nobody can audit or revoke access:
    the baseline asks for a KMS key the account controls or at least sees (aws/dynamodb)."""
    if truthy(r.get("SSESpecification.SSEEnabled")):
        key = r.get("SSESpecification.KMSMasterKeyId")
        return passed("encrypted with a KMS key", key=key or "aws/dynamodb")
    return failed("encrypted with the AWS-owned default key, not a KMS key", SSEEnabled=False)
