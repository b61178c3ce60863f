"""CloudTrail records out of one queue message or Lambda event.

Accepted bodies, possibly wrapped in an SNS notification (`{"Type": "Notification", "Message": ...}`):

- an EventBridge event for a CloudTrail record (`detail-type` "AWS API Call via CloudTrail",
  "AWS Console Sign In via CloudTrail", ...): `detail` is the record;
- an S3 event notification (`{"Records": [{"eventSource": "aws:s3", "s3": {...}}]}`) or an
  EventBridge "Object Created" event for a new CloudTrail log file: the file is read;
- CloudTrail's own SNS notification (`{"s3Bucket": ..., "s3ObjectKey": [...]}`);
- a CloudTrail log document or a bare record (what `events replay` reads).

Anything else is a `BadMessage` with a reason that never quotes the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import orjson

from railguard.sources.cloudtrail.logfile import s3_log_file
from railguard.sources.cloudtrail.records import BadInput, check_record, parse_records

CLOUDTRAIL_DETAIL_TYPES = frozenset({
    "AWS API Call via CloudTrail",
    "AWS Console Sign In via CloudTrail",
    "AWS Service Event via CloudTrail",
    "AWS Console Action via CloudTrail",
})


class BadMessage(Exception):
    """A message that holds no usable CloudTrail record; `kind` as in `Problem`."""

    def __init__(self, reason: str, kind: str = "malformed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class TestMessage(Exception):
    """S3's `s3:TestEvent`, sent once when a notification is configured: nothing to do."""

    __test__ = False  # not a pytest test class


def records_from_message(body: str | bytes | dict[str, Any], s3_client: Callable[[], Any] | None = None) -> list[dict[str, Any]]:
    """The CloudTrail records a message carries; `BadMessage` when it carries none that are usable."""
    doc = _load(body) if not isinstance(body, dict) else body
    if not isinstance(doc, dict):
        raise BadMessage(f"message is a JSON {type(doc).__name__}, not an object", "not-cloudtrail")
    if doc.get("Type") == "Notification" and "Message" in doc:  # SNS envelope
        return records_from_message(str(doc["Message"]), s3_client)
    if "detail-type" in doc:
        return _eventbridge(doc, s3_client)
    if doc.get("Event") == "s3:TestEvent":
        raise TestMessage()
    if "s3Bucket" in doc and "s3ObjectKey" in doc:  # CloudTrail's SNS notification
        keys = doc["s3ObjectKey"] if isinstance(doc["s3ObjectKey"], list) else [doc["s3ObjectKey"]]
        return _read_files(s3_client, [(str(doc["s3Bucket"]), str(k)) for k in keys])
    recs = doc.get("Records")
    if isinstance(recs, list) and recs and isinstance(recs[0], dict) and recs[0].get("eventSource") == "aws:s3":
        objs = [(r["s3"]["bucket"]["name"], unquote_plus(r["s3"]["object"]["key"]))
                for r in recs if isinstance(r, dict) and _has_s3_object(r)]
        if not objs:
            raise BadMessage("S3 notification without bucket and key")
        return _read_files(s3_client, objs)
    if isinstance(recs, list):
        return _checked(recs)
    if "eventName" in doc or "eventID" in doc:
        return _checked([doc])
    raise BadMessage("a JSON object that is neither an EventBridge event nor a CloudTrail record", "not-cloudtrail")


def _load(body: str | bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadMessage(f"message body is not valid JSON (at character {exc.pos})") from None


def _has_s3_object(r: dict[str, Any]) -> bool:
    s3 = r.get("s3")
    return isinstance(s3, dict) and isinstance(s3.get("bucket"), dict) and isinstance(s3.get("object"), dict)


def _eventbridge(doc: dict[str, Any], s3_client: Callable[[], Any] | None) -> list[dict[str, Any]]:
    dtype = doc.get("detail-type")
    detail = doc.get("detail")
    if dtype == "Object Created" and doc.get("source") == "aws.s3" and isinstance(detail, dict):
        bucket = (detail.get("bucket") or {}).get("name")
        key = (detail.get("object") or {}).get("key")
        if not bucket or not key:
            raise BadMessage("S3 Object Created event without bucket and key")
        return _read_files(s3_client, [(str(bucket), str(key))])
    if dtype not in CLOUDTRAIL_DETAIL_TYPES:
        raise BadMessage(f"EventBridge event of type {str(dtype)[:80]!r} is not a CloudTrail record", "not-cloudtrail")
    return _checked([detail])


def _checked(raw: list[Any]) -> list[dict[str, Any]]:
    good = [r for r in raw if check_record(r) is None]
    if not good:
        why = check_record(raw[0]) if raw else "no records"
        raise BadMessage(str(why), "bad-record")
    return good


def _read_files(s3_client: Callable[[], Any] | None, objects: list[tuple[str, str]]) -> list[dict[str, Any]]:
    if s3_client is None:
        raise BadMessage("a log-file notification needs S3 access to read the file", "unreadable")
    client = s3_client()
    out: list[dict[str, Any]] = []
    for bucket, key in objects:
        if "CloudTrail-Digest" in key or "CloudTrail-Insight" in key:
            continue
        f = s3_log_file(client, bucket, key)
        try:
            data = f.read()
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            raise BadMessage(f"{f.name}: cannot read ({code})", "unreadable") from None
        try:
            out += [r for r in parse_records(data) if check_record(r) is None]
        except BadInput as exc:
            raise BadMessage(f"{f.name}: {exc.reason}", exc.kind) from None
    if not out and any("CloudTrail-Digest" not in k and "CloudTrail-Insight" not in k for _, k in objects):
        raise BadMessage("log file holds no usable records", "bad-record")
    return out
