"""SNS and SES delivery against moto: the message reaches the topic and SES's sent messages."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from railguard.notify import ChannelConfig, Notification, aggregate, deliver
from tests.notify.helpers import run_items

REGION = "us-east-1"


@pytest.fixture
def note() -> Notification:
    out = aggregate(run_items(12), top=4, run_id="run-3")
    assert out is not None
    return out


def _sns_to_queue(name: str) -> tuple[str, str]:
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{name}-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    return topic, queue


def test_sns_publish_reaches_the_topic(aws: None, note: Notification) -> None:
    topic, queue = _sns_to_queue("secops")
    d = deliver(ChannelConfig(sns_topic=topic), note)
    assert (d.ok, d.attempts, d.kind) == (True, 1, "sns_topic") and d.message_id
    msgs = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(msgs) == 1
    envelope = json.loads(msgs[0]["Body"])
    assert envelope["TopicArn"] == topic and envelope["MessageId"] == d.message_id
    assert envelope["Subject"] == note.title
    assert envelope["Message"].startswith(note.title + "\n\nA human needs to look at this run.")
    assert "... and 8 more" in envelope["Message"] and "Run: run-3" in envelope["Message"]
    assert envelope["MessageAttributes"]["severity"]["Value"] == "critical"


def test_sns_to_a_missing_topic_fails_once_without_raising(aws: None, note: Notification) -> None:
    d = deliver(ChannelConfig(sns_topic="arn:aws:sns:us-east-1:123456789012:nope"), note)
    assert (d.ok, d.attempts) == (False, 1)
    assert d.error is not None and d.error.startswith("NotFound")


def test_ses_send_email_reaches_the_sent_messages(aws: None, note: Notification) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="railguard@example.com")
    cfg = ChannelConfig.model_validate({"ses": {"from": "railguard@example.com",
                                                "to": ["secops@example.com", "oncall@example.com"]}})
    d = deliver(cfg, note)
    assert (d.ok, d.attempts, d.kind) == (True, 1, "ses")
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert len(sent) == 1 and sent[0].id == d.message_id
    assert sent[0].source == "railguard@example.com" and sent[0].subject == note.title
    assert sent[0].destinations["ToAddresses"] == ["secops@example.com", "oncall@example.com"]
    assert sent[0].body.startswith("<html><body><h2>railguard: ") and "... and 8 more" in sent[0].body


def test_ses_from_an_unverified_sender_is_rejected_not_retried(aws: None, note: Notification) -> None:
    cfg = ChannelConfig.model_validate({"ses": {"from": "nobody@example.com", "to": ["secops@example.com"]}})
    d = deliver(cfg, note)
    assert (d.ok, d.attempts) == (False, 1)
    assert d.error is not None and "MessageRejected" in d.error


def test_aws_throttling_is_retried(note: Notification) -> None:
    from botocore.exceptions import ClientError

    class Flaky:
        calls = 0

        def publish(self, **kw: Any) -> dict[str, str]:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"},
                                   "ResponseMetadata": {"HTTPStatusCode": 400}}, "Publish")
            return {"MessageId": "m-2"}

    class Session:
        def client(self, service_name: str, **kw: Any) -> Flaky:
            return Flaky()

    d = deliver(ChannelConfig(sns_topic="arn:aws:sns:us-east-1:123456789012:t"), note, session=Session(),
                sleep=lambda s: None)
    assert (d.ok, d.attempts, d.message_id) == (True, 2, "m-2")


def test_a_broken_session_is_an_undelivered_result_not_an_exception(note: Notification) -> None:
    class Broken:
        def client(self, service_name: str, **kw: Any) -> Any:
            raise RuntimeError("no client today")

    d = deliver(ChannelConfig(sns_topic="arn:aws:sns:us-east-1:123456789012:t"), note, session=Broken())
    assert (d.ok, d.attempts) == (False, 0)
    assert d.error == "could not prepare the message: RuntimeError: no client today"


def test_sns_fifo_topic_gets_a_group_and_deduplication_id(aws: None, note: Notification) -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="secops.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    d = deliver(ChannelConfig(sns_topic=topic), note)  # moto refuses a FIFO publish without MessageGroupId
    assert (d.ok, d.attempts, d.error) == (True, 1, None)
