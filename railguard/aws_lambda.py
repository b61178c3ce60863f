"""AWS Lambda entry point: `railguard.aws_lambda.handler` for EventBridge and SQS events.

EventBridge invokes it with one CloudTrail event; SQS with a batch of messages, and it answers
with `batchItemFailures` so only the failed messages are retried (the function's event source
mapping must enable `ReportBatchItemFailures`). A message that is bad input is sent to
`RAILGUARD_DLQ_URL` with the reason when that is set, else reported failed so that the queue's
redrive policy moves it. Settings come from the environment:

- `RAILGUARD_CONFIG`: path of a `railguard.yaml` packaged with the function (default: none);
- `RAILGUARD_GUARDRAILS`: path of the guardrails file, to act on touched resources;
- `RAILGUARD_DB`: the store URL (processed event ids, journal); `RAILGUARD_APPLY=1` to remediate;
- `RAILGUARD_OPEN_CASES=1`: open incident-response cases as `railguard watch --open-cases` does (said only
  unless `RAILGUARD_APPLY=1`; `RAILGUARD_MAX_ISOLATIONS`, default 2, is the isolation breaker).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from railguard.events.process import Processor, print_detection
from railguard.sources.cloudtrail.message import BadMessage, TestMessage, records_from_message

log = logging.getLogger("railguard.lambda")
_state: dict[str, Any] = {}


def _processor() -> Processor:
    if "processor" not in _state:
        from railguard.config import load_config
        from railguard.events.detector import Detector, events_config

        path = os.environ.get("RAILGUARD_CONFIG")
        settings = load_config(Path(path) if path else None)
        cfg, overrides = events_config(settings.events, settings.baseline.owned_accounts)
        _state["processor"] = Processor(Detector(cfg, overrides), print_detection, _responder(), cases=_cases())
    proc: Processor = _state["processor"]
    return proc


def _responder() -> Any:
    path = os.environ.get("RAILGUARD_GUARDRAILS")
    if not path:
        return None
    from railguard.events.respond import responder_from_env

    return responder_from_env(Path(path))


def _cases() -> Any:
    if os.environ.get("RAILGUARD_OPEN_CASES") != "1":
        return None
    from railguard.events.cases import CaseOpener
    from railguard.events.respond import SessionPool
    from railguard.store import open_store

    return CaseOpener(SessionPool(role_name=os.environ.get("RAILGUARD_ROLE_NAME")),
                      open_store(os.environ.get("RAILGUARD_DB")), apply=os.environ.get("RAILGUARD_APPLY") == "1",
                      options={"max_isolations": int(os.environ.get("RAILGUARD_MAX_ISOLATIONS") or 2)})


def _s3() -> Any:
    if "s3" not in _state:
        import boto3

        _state["s3"] = boto3.client("s3")
    return _state["s3"]


def _dead_letter(body: str, reason: str, kind: str) -> bool:
    url = os.environ.get("RAILGUARD_DLQ_URL")
    if not url:
        return False
    import boto3

    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=body or "(empty)", MessageAttributes={
        "railguard-error-kind": {"DataType": "String", "StringValue": kind},
        "railguard-error": {"DataType": "String", "StringValue": reason[:1000]},
    })
    return True


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Process an EventBridge event or an SQS batch of CloudTrail events."""
    proc = _processor()
    if isinstance(event, dict) and isinstance(event.get("Records"), list) and event["Records"] \
            and event["Records"][0].get("eventSource") == "aws:sqs":
        failures = []
        for msg in event["Records"]:
            mid = msg.get("messageId", "?")
            body = msg.get("body", "")
            try:
                for rec in records_from_message(body, _s3):
                    proc.process(rec)
            except TestMessage:
                continue
            except BadMessage as exc:
                proc.counters.bad += 1
                log.warning("message %s: %s: %s", mid, exc.kind, exc.reason)
                if not _dead_letter(body, exc.reason, exc.kind):
                    failures.append({"itemIdentifier": mid})
            except Exception as exc:
                proc.counters.failed += 1
                log.warning("message %s failed: %s", mid, type(exc).__name__)
                failures.append({"itemIdentifier": mid})
        return {"batchItemFailures": failures}
    try:
        records = records_from_message(event, _s3)
    except TestMessage:
        return {"records": 0, "detections": 0}
    except BadMessage as exc:
        proc.counters.bad += 1
        log.warning("event: %s: %s", exc.kind, exc.reason)
        return {"records": 0, "detections": 0, "error": exc.reason}
    found = [d for rec in records for d in proc.process(rec)]
    return {"records": len(records), "detections": len(found)}
