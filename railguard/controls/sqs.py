"""SQS: queues encrypted with a KMS key (SSE-SQS, with keys SQS owns, is not enough for the baseline)."""

from __future__ import annotations

from railguard.controls import control
from railguard.controls.helpers import truthy
from railguard.model import Resource, Severity, Verdict, failed, passed

QUEUE = "AWS::SQS::Queue"


@control(
    "sqs.queue-encrypted",
    title="SQS queue is encrypted at rest with a KMS key",
    resource=QUEUE,
    severity=Severity.MEDIUM,
    fix="Set KmsMasterKeyId on the queue (alias/aws/sqs or a customer-managed key)",
    places=("live", "iac"),
)
def queue_encrypted(queue: Resource) -> Verdict:
    key = queue.get("KmsMasterKeyId")
    if key:
        return passed("queue is encrypted with a KMS key", KmsMasterKeyId=key)
    if truthy(queue.get("SqsManagedSseEnabled")):
        return failed("queue uses SSE-SQS (keys owned by SQS), not a KMS key", SqsManagedSseEnabled=True)
    return failed("queue is not encrypted at rest", KmsMasterKeyId=None, SqsManagedSseEnabled=False)
