"""`railguard.aws_lambda.handler`, called directly as Lambda would (moto cannot invoke without Docker)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from railguard import aws_lambda
from tests.events.records import console_login, ct, eventbridge, root


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    aws_lambda._state.clear()
    monkeypatch.delenv("RAILGUARD_CONFIG", raising=False)
    monkeypatch.delenv("RAILGUARD_GUARDRAILS", raising=False)
    monkeypatch.delenv("RAILGUARD_DLQ_URL", raising=False)
    yield
    aws_lambda._state.clear()


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": "rh", "body": b, "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:q", "awsRegion": "us-east-1",
                         "attributes": {"ApproximateReceiveCount": "1"}} for i, b in enumerate(bodies)]}


def test_eventbridge_event(capsys: pytest.CaptureFixture[str]) -> None:
    out = aws_lambda.handler(eventbridge(console_login(root()), "AWS Console Sign In via CloudTrail"), None)
    assert out == {"records": 1, "detections": 2}
    lines = [json.loads(x)["detection"] for x in capsys.readouterr().out.splitlines()]
    assert {d["rule"] for d in lines} == {"root.console-login", "signin.console-login-without-mfa"}


def test_not_cloudtrail_eventbridge_event() -> None:
    out = aws_lambda.handler({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}, None)
    assert out["records"] == 0 and "not a CloudTrail record" in out["error"]


def test_sqs_batch_reports_bad_messages_as_failures() -> None:
    good = json.dumps(eventbridge(ct("StopLogging", "cloudtrail", request={"name": "t"})))
    out = aws_lambda.handler(sqs_event(good, "not json", good), None)
    assert out == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_sqs_bad_message_goes_to_the_dlq_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        monkeypatch.setenv("RAILGUARD_DLQ_URL", dlq)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        out = aws_lambda.handler(sqs_event('{"detail-type": "Object Created", "source": "aws.s3", "detail": {}}'))
        assert out == {"batchItemFailures": []}
        (m,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
        assert "bucket and key" in m["MessageAttributes"]["railguard-error"]["StringValue"]


def test_config_from_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "railguard.yaml"
    cfg.write_text("events:\n  detections:\n    root.console-login: {enabled: false}\n")
    monkeypatch.setenv("RAILGUARD_CONFIG", str(cfg))
    out = aws_lambda.handler(eventbridge(console_login(root(), mfa="Yes")), None)
    assert out == {"records": 1, "detections": 0}
