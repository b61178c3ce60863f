"""`railguard watch --queue URL`: a long-running SQS worker over CloudTrail events.

- long polling (`WaitTimeSeconds` up to 20) and batches of up to 10 messages;
- at-least-once from SQS, acted on once: each record's `eventID` is claimed in the store before
  it is processed, a batch's ids in one commit (a redelivery, a duplicate or a second worker finds
  it claimed and skips it);
  a claim is released when processing fails, so the retry processes it;
- visibility is extended while a batch is in hand (slow re-reads and remediations);
- bad input (not JSON, not CloudTrail, unusable records) goes to the dead-letter queue at once
  with the reason as message attributes; a message that keeps failing goes there after
  `max_receives` attempts with the error; nothing quotes a message body in logs;
- SIGTERM/SIGINT finish the batch in hand, then stop;
- a heartbeat log line with counters, and an opt-in Prometheus `/metrics` on 127.0.0.1.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from railguard.events.process import Processor
from railguard.sources.cloudtrail.message import BadMessage, TestMessage, records_from_message

log = logging.getLogger("railguard.watch")

Claim = Callable[[str], bool]  # True the first time an event id is claimed
ClaimMany = Callable[[list[str]], set[str]]  # the ids of a batch claimed now (one store commit per batch)
Release = Callable[[str], None]


@dataclass
class WorkerOptions:
    batch: int = 10
    wait: int = 20  # long-poll seconds
    visibility: int = 60  # seconds a received batch stays hidden; extended while in hand
    max_receives: int = 5  # attempts before a failing message goes to the DLQ
    heartbeat: float = 60.0
    idle_exit: float | None = None  # stop after this many seconds without a message (tests, benchmarks)


class Worker:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        processor: Processor,
        *,
        claim: Claim | None = None,
        release: Release | None = None,
        claim_many: ClaimMany | None = None,
        dlq_url: str | None = None,
        s3_client: Callable[[], Any] | None = None,
        options: WorkerOptions | None = None,
        on_beat: Callable[[dict[str, int | float], bool], None] | None = None,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.processor = processor
        self.claim = claim
        self.claim_many = claim_many
        self.release = release
        self.s3_client = s3_client
        self.opts = options or WorkerOptions()
        self.on_beat = on_beat  # (counters, final): e.g. save the detector's windows in the store
        self.dlq_url = dlq_url if dlq_url is not None else self._dead_letter_queue()
        self.stop = threading.Event()
        self.messages = 0
        self.dead_lettered = 0
        self._in_flight: dict[str, str] = {}  # message id -> receipt handle
        self._lock = threading.Lock()
        self._last_beat = time.monotonic()

    # ------------------------------------------------------------------ setup

    def _dead_letter_queue(self) -> str | None:
        """The DLQ from the queue's redrive policy, if it has one."""
        import json

        try:
            attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"])
        except Exception as exc:
            log.warning("cannot read the queue's redrive policy: %s", type(exc).__name__)
            return None
        policy = attrs.get("Attributes", {}).get("RedrivePolicy")
        if not policy:
            return None
        arn = json.loads(policy).get("deadLetterTargetArn", "")
        name, account = arn.rsplit(":", 1)[-1], arn.split(":")[4] if arn.count(":") >= 5 else None
        try:
            kw = {"QueueOwnerAWSAccountId": account} if account else {}
            return str(self.sqs.get_queue_url(QueueName=name, **kw)["QueueUrl"])
        except Exception:
            return None

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: Any) -> None:
            log.info("signal %s: finishing the batch in hand, then stopping", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    # ------------------------------------------------------------------ loop

    def run(self) -> None:
        extender = threading.Thread(target=self._extend_loop, name="railguard-visibility", daemon=True)
        extender.start()
        idle_since = time.monotonic()
        try:
            while not self.stop.is_set():
                got = self.poll_once()
                now = time.monotonic()
                if got:
                    idle_since = now
                elif self.opts.idle_exit is not None and now - idle_since >= self.opts.idle_exit:
                    break
                if now - self._last_beat >= self.opts.heartbeat:
                    self.beat()
        finally:
            self.stop.set()
            extender.join(timeout=2)
            self.beat(final=True)

    def snapshot(self) -> dict[str, int | float]:
        """Counters for the heartbeat and `/metrics`."""
        with self._lock:
            in_flight = len(self._in_flight)
        return {**self.processor.counters.as_dict(), "messages": self.messages,
                "dead_lettered": self.dead_lettered, "in_flight": float(in_flight)}

    def beat(self, final: bool = False) -> None:
        self._last_beat = time.monotonic()
        snap = self.snapshot()
        log.info("railguard watch: %s", " ".join(f"{k}={int(v)}" for k, v in snap.items()))
        if self.on_beat is not None:
            try:
                self.on_beat(snap, final)
            except Exception as exc:  # the store being away must not stop the worker
                log.warning("cannot save the worker's state: %s", _describe(exc))

    def poll_once(self) -> int:
        """Receive and handle one batch; the number of messages received."""
        resp = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.opts.batch, WaitTimeSeconds=self.opts.wait,
            VisibilityTimeout=self.opts.visibility, AttributeNames=["ApproximateReceiveCount"],
        )
        msgs = resp.get("Messages", [])
        if not msgs:
            return 0
        with self._lock:
            self._in_flight = {m["MessageId"]: m["ReceiptHandle"] for m in msgs}
        done: list[dict[str, str]] = []
        try:
            parsed = [(m, self._parse(m)) for m in msgs]
            claimed: set[str] | None = None
            if self.claim_many is not None:
                claimed = self.claim_many([e for _, recs in parsed if isinstance(recs, list) for r in recs
                                           if isinstance(e := r.get("eventID"), str) and e])
            for m, recs in parsed:
                if recs if isinstance(recs, bool) else self._process(m, recs, claimed):
                    done.append({"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]})
        finally:
            with self._lock:
                self._in_flight = {}
            for i in range(0, len(done), 10):
                self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done[i:i + 10])
        self.messages += len(msgs)
        return len(msgs)

    def _handle(self, m: dict[str, Any]) -> bool:
        """Process one message; True when it may be deleted from the queue."""
        recs = self._parse(m)
        return recs if isinstance(recs, bool) else self._process(m, recs, None)

    def _parse(self, m: dict[str, Any]) -> list[dict[str, Any]] | bool:
        """The message's records, or whether it may be deleted when it holds none to process."""
        c = self.processor.counters
        try:
            return records_from_message(m.get("Body", ""), self.s3_client)
        except TestMessage:
            return True
        except BadMessage as exc:
            c.bad += 1
            log.warning("message %s: %s: %s", m.get("MessageId", "?"), exc.kind, exc.reason)
            return self._dead_letter(m, exc.kind, exc.reason)

    def _process(self, m: dict[str, Any], records: list[dict[str, Any]], claimed: set[str] | None) -> bool:
        """Process a message's records (`claimed`: the batch's ids claimed in one go, else one claim each)."""
        c = self.processor.counters
        mid = m.get("MessageId", "?")
        for n, rec in enumerate(records):
            eid = rec.get("eventID")
            if isinstance(eid, str) and eid:
                if claimed is not None:
                    if eid not in claimed:
                        c.duplicates += 1
                        continue
                    claimed.discard(eid)  # a second copy in the same batch is a duplicate too
                elif self.claim is not None and not self.claim(eid):
                    c.duplicates += 1
                    continue
            try:
                self.processor.process(rec)
            except Exception as exc:
                c.failed += 1
                if self.release is not None:  # the retry must find this record, and the unprocessed ones, unclaimed
                    again = [eid]
                    if claimed is not None:
                        again += [e for r in records[n + 1:] if (e := r.get("eventID")) in claimed]
                        claimed.difference_update(again)
                    for e in again:
                        if isinstance(e, str) and e:
                            self.release(e)
                reason = _describe(exc)  # masked: an error text may quote a credential
                log.warning("message %s: processing %s failed: %s", mid, rec.get("eventName"), reason)
                receives = int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                if receives >= self.opts.max_receives:
                    return self._dead_letter(m, "failed", f"after {receives} attempts: {reason}")
                return False  # visible again after the timeout: retried
        return True

    def _dead_letter(self, m: dict[str, Any], kind: str, reason: str) -> bool:
        if not self.dlq_url:
            log.error("message %s dropped (%s): the queue has no dead-letter queue", m.get("MessageId"), kind)
            return True
        self.sqs.send_message(
            QueueUrl=self.dlq_url, MessageBody=m.get("Body", "") or "(empty)",
            MessageAttributes={
                "railguard-error-kind": {"DataType": "String", "StringValue": kind},
                "railguard-error": {"DataType": "String", "StringValue": reason[:1000]},
                "railguard-source-message-id": {"DataType": "String", "StringValue": str(m.get("MessageId"))},
            },
        )
        self.dead_lettered += 1
        return True

    def _extend_loop(self) -> None:
        period = max(1.0, self.opts.visibility / 2)
        while not self.stop.wait(period):
            with self._lock:
                entries = [{"Id": mid, "ReceiptHandle": rh, "VisibilityTimeout": self.opts.visibility}
                           for mid, rh in self._in_flight.items()]
            for i in range(0, len(entries), 10):
                try:
                    self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries[i:i + 10])
                except Exception as exc:
                    log.warning("cannot extend visibility: %s", _describe(exc))


def _describe(exc: Exception) -> str:
    """One line about the error, with any secret in its text masked."""
    from railguard.model.redact import redact_text
    from railguard.sources.aws.errors import describe

    return redact_text(describe(exc))[:500]
