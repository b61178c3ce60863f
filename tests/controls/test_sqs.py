"""SQS queue encryption, live and template: SSE-SQS is not a KMS key."""

from __future__ import annotations

from railguard.model import Result, Unknown
from tests.controls.logging_fixtures import IAC, live, results, run, tpl

QUEUE = "AWS::SQS::Queue"


def test_queue_encrypted() -> None:
    out = results(run(
        "sqs.queue-encrypted",
        live(QUEUE, "a", {"QueueName": "kms", "KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": False},
             name="kms"),
        live(QUEUE, "b", {"QueueName": "sse", "SqsManagedSseEnabled": True}, name="sse"),
        live(QUEUE, "c", {"QueueName": "plain", "SqsManagedSseEnabled": False}, name="plain"),
        live(QUEUE, "d", {"QueueName": "denied", "KmsMasterKeyId": Unknown("denied"),
                          "SqsManagedSseEnabled": Unknown("denied")}, name="denied"),
    ))
    assert out["kms"][0] == Result.PASS
    assert out["sse"] == (Result.FAIL, "queue uses SSE-SQS (keys owned by SQS), not a KMS key")
    assert out["plain"] == (Result.FAIL, "queue is not encrypted at rest")
    assert out["denied"][0] == Result.UNKNOWN
    tout = results(run("sqs.queue-encrypted", tpl(QUEUE, "Q", {"KmsMasterKeyId": "Key"}), tpl(QUEUE, "P", {}),
                       place=IAC))
    assert tout["Q"][0] == Result.PASS and tout["P"][0] == Result.FAIL
