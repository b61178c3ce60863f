"""SNS: topics encrypted with a KMS key."""

from __future__ import annotations

from railguard.controls import control
from railguard.model import Resource, Severity, Verdict, failed, passed

TOPIC = "AWS::SNS::Topic"


@control(
    "sns.topic-encrypted",
    title="SNS topic is encrypted at rest with a KMS key",
    resource=TOPIC,
    severity=Severity.MEDIUM,
    fix="Set KmsMasterKeyId on the topic (alias/aws/sns or a customer-managed key)",
    places=("live", "iac"),
)
def topic_encrypted(topic: Resource) -> Verdict:
    key = topic.get("KmsMasterKeyId")
    if key:
        return passed("topic is encrypted with a KMS key", KmsMasterKeyId=key)
    return failed("topic is not encrypted at rest", KmsMasterKeyId=None)
