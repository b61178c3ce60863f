"""Parse CloudTrail log content into records, and say precisely what was wrong with bad input.

CloudTrail writes `{"Records": [...]}` per file, gzip-compressed. Exports and tests also use a
bare list, a single record or JSON lines; all four are accepted. Nothing here ever echoes the
content of a bad input (it may hold secrets): a problem names the source, where, and why.
"""

from __future__ import annotations

import gc
import gzip
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

GZIP_MAGIC = b"\x1f\x8b"
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com$")


@dataclass(frozen=True)
class Problem:
    """Input that could not be used: a file, a message, or one record in them."""

    source: str  # file path, s3:// URL, or message id
    reason: str  # what was wrong, without the offending content
    kind: str = "malformed"  # malformed | truncated | unreadable | not-cloudtrail | bad-record
    count: int = 1  # records skipped for this reason

    def line(self) -> str:
        n = f" ({self.count} records)" if self.count > 1 else ""
        return f"{self.source}: {self.kind}: {self.reason}{n}"


class BadInput(Exception):
    """A whole input (file or message body) that cannot be parsed."""

    def __init__(self, reason: str, kind: str = "malformed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


def decompress(data: bytes) -> bytes:
    """Gunzip when the content is gzip (by magic, not by name: S3 objects lie about it)."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except EOFError:
        raise BadInput("gzip stream ends early (truncated file)", "truncated") from None
    except (OSError, zlib.error) as exc:
        raise BadInput(f"not a valid gzip stream ({type(exc).__name__})", "malformed") from None


@contextmanager
def fewer_gc_passes(gen0: int = 100_000) -> Iterator[None]:
    """Let the cyclic garbage collector run less often while log files stream through.

    Parsed records are trees (no cycles) that refcounting frees; at the default threshold of 700
    allocations the collector walked them again and again, which measured about a third of a
    replay's CPU. Collections still happen, every `gen0` allocations; thresholds are restored after.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(gen0, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def parse_records(data: bytes) -> list[Any]:
    """The records of one log file or message body (gzip or plain; Records wrapper, list, object, lines)."""
    raw = decompress(data)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        lines = _json_lines(raw)
        if lines is not None:
            return lines
        raise BadInput(f"not valid JSON (at character {exc.pos})") from None
    if isinstance(doc, dict):
        if "Records" in doc:
            recs = doc["Records"]
            if not isinstance(recs, list):
                raise BadInput("`Records` is not a list")
            return recs
        if "eventName" in doc or "eventID" in doc:
            return [doc]
        raise BadInput("a JSON object without `Records`: not a CloudTrail log file", "not-cloudtrail")
    if isinstance(doc, list):
        return doc
    raise BadInput(f"JSON {type(doc).__name__} where a CloudTrail log was expected", "not-cloudtrail")


def _json_lines(raw: bytes) -> list[Any] | None:
    """JSON lines (one record per line), or None when the content is not that either."""
    if b"\n" not in raw.strip():
        return None
    out: list[Any] = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            if n == 1:
                return None
            raise BadInput(f"line {n}: not valid JSON") from None
    return out


def check_record(rec: Any) -> str | None:
    """Why a record cannot be used (None when it can). Never quotes the record's values."""
    if not isinstance(rec, dict):
        return f"record is a JSON {type(rec).__name__}, not an object"
    t = rec.get("eventTime")
    if not isinstance(t, str) or len(t) < 19:
        return "record has no eventTime"
    name = rec.get("eventName")
    if not isinstance(name, str) or not name:
        return "record has no eventName"
    src = rec.get("eventSource")
    if src not in _SEEN_SERVICES:
        if not isinstance(src, str) or not _SERVICE.match(src):
            return "record of an unknown service (eventSource is not an AWS service name)"
        if len(_SEEN_SERVICES) < 4096:
            _SEEN_SERVICES.add(src)
    return None


_SEEN_SERVICES: set[str] = set()  # eventSource values already matched (a few hundred services exist)


def usable(records: list[Any], source: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Split records into usable ones and one problem per distinct reason (counted)."""
    good: list[dict[str, Any]] = []
    bad: dict[str, int] = {}
    for rec in records:
        why = check_record(rec)
        if why is None:
            good.append(rec)
        else:
            bad[why] = bad.get(why, 0) + 1
    return good, [Problem(source, why, "bad-record", n) for why, n in bad.items()]
