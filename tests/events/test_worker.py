"""The queue worker against moto's SQS: batches, duplicates, bad input to the DLQ, retries, two workers, stop."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from railguard.events.detection import Detection
from railguard.events.detector import Detector
from railguard.events.process import Processor
from railguard.events.worker import Worker, WorkerOptions
from tests.events.records import ct, eventbridge

FAST = WorkerOptions(wait=0, visibility=30, idle_exit=0.0, heartbeat=3600)


@pytest.fixture
def queues() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="railguard-events-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        q = sqs.create_queue(QueueName="railguard-events", Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"})})["QueueUrl"]
        yield sqs, q, dlq


class Claims:
    """The store's seen-events contract in memory (the store-backed one is tested with the store)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.lock = threading.Lock()

    def claim(self, eid: str) -> bool:
        with self.lock:
            if eid in self.ids:
                return False
            self.ids.add(eid)
            return True

    def release(self, eid: str) -> None:
        with self.lock:
            self.ids.discard(eid)


def stop_logging(eid: str) -> dict[str, Any]:
    return eventbridge(ct("StopLogging", "cloudtrail", request={"name": "main"}, event_id=eid))


def processor(found: list[Detection], responder: Any = None) -> Processor:
    return Processor(Detector(), found.append, responder)


def test_batches_duplicates_and_bad_input(queues: tuple[Any, str, str]) -> None:
    sqs, q, dlq = queues
    bodies = [json.dumps(stop_logging("stop-1")), json.dumps(stop_logging("stop-1")),  # duplicate delivery
              json.dumps(stop_logging("stop-2")),
              '{"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": ',  # malformed
              json.dumps({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
                          "detail": {"instance-id": "i-1"}}),  # EventBridge, not CloudTrail
              json.dumps(eventbridge({"eventName": "Foo", "eventSource": "unknown", "eventTime": "2024-05-01T1"})),
              json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})]
    for b in bodies:
        sqs.send_message(QueueUrl=q, MessageBody=b)
    found: list[Detection] = []
    claims = Claims()
    w = Worker(sqs, q, processor(found), claim=claims.claim, release=claims.release, options=FAST)
    assert w.dlq_url == dlq  # found from the redrive policy
    w.run()
    assert sorted(d.event_ids[0] for d in found if d.rule == "cloudtrail.logging-stopped") == ["stop-1", "stop-2"]
    c = w.processor.counters
    assert (c.records, c.duplicates, c.bad) == (2, 1, 3) and w.messages == 7
    assert "Messages" not in sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0)
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    kinds = sorted(m["MessageAttributes"]["railguard-error-kind"]["StringValue"] for m in dead)
    assert kinds == ["bad-record", "malformed", "not-cloudtrail"]
    assert all("railguard-error" in m["MessageAttributes"] for m in dead)


def test_failing_message_is_retried_then_dead_lettered_with_the_error(queues: tuple[Any, str, str]) -> None:
    sqs, q, dlq = queues

    class Broken:
        calls = 0

        def handle(self, rec: dict[str, Any]) -> int:
            Broken.calls += 1
            # railguard:allow a made-up secret, planted to prove the DLQ error masks it
            raise RuntimeError("re-read failed: aws_secret_access_key=Zq3mXv9Lk2Wp8Rt5Yb7Nc4Hd6Jf1Gs0Ae2Ui8Oo")

    sqs.send_message(QueueUrl=q, MessageBody=json.dumps(stop_logging("stop-9")))
    claims = Claims()
    found: list[Detection] = []
    opts = WorkerOptions(wait=0, visibility=0, max_receives=3, idle_exit=0.0, heartbeat=3600)
    w = Worker(sqs, q, processor(found, Broken()), claim=claims.claim, release=claims.release, options=opts)
    for _ in range(3):
        w.poll_once()
    assert Broken.calls == 3  # the claim was released each time, so each retry processed it
    assert w.dead_lettered == 1
    (dead,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    err = dead["MessageAttributes"]["railguard-error"]["StringValue"]
    assert "after 3 attempts" in err and "RuntimeError" in err and "Zq3mXv9Lk2Wp8Rt5" not in err


def test_two_workers_on_one_queue_act_once(queues: tuple[Any, str, str]) -> None:
    sqs, q, _ = queues
    for i in range(30):
        body = json.dumps(stop_logging(f"stop-{i}"))
        sqs.send_message(QueueUrl=q, MessageBody=body)
        sqs.send_message(QueueUrl=q, MessageBody=body)  # every event delivered twice
    claims = Claims()
    found: list[Detection] = []
    lock = threading.Lock()

    def record(d: Detection) -> None:
        with lock:
            found.append(d)

    workers = [Worker(sqs, q, Processor(Detector(), record), claim=claims.claim, release=claims.release,
                      options=FAST) for _ in range(2)]
    threads = [threading.Thread(target=w.run) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stops = [d.event_ids[0] for d in found if d.rule == "cloudtrail.logging-stopped"]
    assert sorted(stops) == sorted(f"stop-{i}" for i in range(30))
    # SQS delivers at least once (and moto's receive is not atomic across threads), so a message may
    # arrive a third time; what matters is that every repeat is recognised and none acts twice.
    assert sum(w.processor.counters.duplicates for w in workers) >= 30


def test_sigterm_finishes_the_batch_in_hand(queues: tuple[Any, str, str]) -> None:
    sqs, q, _ = queues
    for i in range(25):
        sqs.send_message(QueueUrl=q, MessageBody=json.dumps(stop_logging(f"s-{i}")))
    found: list[Detection] = []

    def on_detection(d: Detection) -> None:
        if not found:
            os.kill(os.getpid(), signal.SIGTERM)
        found.append(d)

    w = Worker(sqs, q, Processor(Detector(), on_detection), options=WorkerOptions(wait=0, heartbeat=3600))
    old = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        w.install_signal_handlers()
        w.run()
    finally:
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGINT, old[1])
    assert w.messages == 10 and w.processor.counters.records == 10  # the whole first batch, nothing more
    left = int(sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"])
    assert left == 15


def test_visibility_is_extended_while_a_batch_is_in_hand(queues: tuple[Any, str, str]) -> None:
    sqs, q, _ = queues
    sqs.send_message(QueueUrl=q, MessageBody=json.dumps(stop_logging("slow-1")))
    calls: list[int] = []
    real = sqs.change_message_visibility_batch

    def spy(**kw: Any) -> Any:
        calls.append(len(kw["Entries"]))
        return real(**kw)

    sqs.change_message_visibility_batch = spy
    gate = threading.Event()

    class Slow:
        def handle(self, rec: dict[str, Any]) -> int:
            gate.wait(3.5)  # slower than half the visibility timeout
            return 0

    w = Worker(sqs, q, processor([], Slow()), options=WorkerOptions(wait=0, visibility=2, idle_exit=0.0,
                                                                      heartbeat=3600))
    w.run()
    assert calls and calls[0] == 1


def test_batch_claims_in_the_store_act_once_and_release_on_failure(queues: tuple[Any, str, str],
                                                                   tmp_path: Any) -> None:
    """With the store, a batch's event ids are claimed in one commit: a duplicate in the same batch and
    one from an earlier batch are skipped; a failing message releases its own ids, unprocessed ones too."""
    from railguard.store import open_store

    sqs, q, _ = queues
    store = open_store(f"sqlite:///{tmp_path / 'claims.db'}")
    assert store.events.first_time("stop-0")  # seen by an earlier worker
    for eid in ("stop-0", "stop-1", "stop-1", "stop-2"):
        sqs.send_message(QueueUrl=q, MessageBody=json.dumps(stop_logging(eid)))
    found: list[Detection] = []
    w = Worker(sqs, q, processor(found), claim_many=store.events.claim_many, release=store.events.forget,
               options=FAST)
    w.run()
    assert sorted(d.event_ids[0] for d in found if d.rule == "cloudtrail.logging-stopped") == ["stop-1", "stop-2"]
    assert w.processor.counters.duplicates == 2
    assert store.events.claim_many(["stop-1", "stop-3"]) == {"stop-3"}

    class FailFirst:
        def handle(self, rec: dict[str, Any]) -> int:
            raise RuntimeError("re-read failed")

    rec = ct("StopLogging", "cloudtrail", request={"name": "main"}, event_id="stop-8")
    sqs.send_message(QueueUrl=q, MessageBody=json.dumps({"Records": [rec, {**rec, "eventID": "stop-9"}]}))
    opts = WorkerOptions(wait=0, visibility=0, max_receives=5, idle_exit=0.0, heartbeat=3600)
    broken = Worker(sqs, q, processor([], FailFirst()), claim_many=store.events.claim_many,
                    release=store.events.forget, options=opts)
    broken.poll_once()
    assert broken.processor.counters.failed == 1
    assert store.events.claim_many(["stop-8", "stop-9"]) == {"stop-8", "stop-9"}  # both were released
