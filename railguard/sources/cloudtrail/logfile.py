"""CloudTrail log files, local or in S3, in the layout CloudTrail writes.

`AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<id>.json.gz`

The time stamp in a file's name is when CloudTrail wrote it; every record in it is from the few
minutes before. That is what lets `merge` read a week of files in event-time order while only
holding the files of the current few minutes in memory. Digest and Insights files are not API
records and are skipped.
"""

from __future__ import annotations

import heapq
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from railguard.sources.cloudtrail.records import BadInput, parse_records

_NAME = re.compile(
    r"(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(?:\.gz)?$"
)
_SKIP_PARTS = ("CloudTrail-Digest", "CloudTrail-Insight")
_LOG_SUFFIXES = (".json", ".json.gz", ".gz", ".jsonl")


@dataclass(frozen=True)
class LogFile:
    """One log file: where it is, and what its name says about its account, region and time."""

    name: str  # a local path or s3://bucket/key, for messages
    read: Callable[[], bytes] = field(repr=False, compare=False)
    stamp: str | None = None  # "2024-05-01T12:05:00Z" from the file name, None when the name is not CloudTrail's
    account: str | None = None
    region: str | None = None


def _meta(name: str) -> dict[str, str | None]:
    m = _NAME.search(name)
    if not m:
        return {"stamp": None, "account": None, "region": None}
    s = m["stamp"]
    stamp = f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:00Z"
    return {"stamp": stamp, "account": m["account"], "region": m["region"]}


def _is_log(name: str) -> bool:
    return name.endswith(_LOG_SUFFIXES) and not any(p in name for p in _SKIP_PARTS)


def list_log_files(location: str, s3_client: Callable[[], Any] | None = None) -> list[LogFile]:
    """Every log file under a local path or an `s3://bucket/prefix`, in name-time order.

    Raises `FileNotFoundError` for a local path that does not exist.
    """
    if location.startswith("s3://"):
        if s3_client is None:
            raise ValueError("an s3:// location needs an S3 client")
        return _sorted(_list_s3(location, s3_client()))
    path = Path(location)
    if path.is_file():
        return [_local(path)]
    if not path.is_dir():
        raise FileNotFoundError(location)
    files = (p for p in path.rglob("*") if p.is_file() and _is_log(p.as_posix()))
    return _sorted(_local(p) for p in files)


_DAY_DIR = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})$")


def iter_log_files(location: str, s3_client: Callable[[], Any] | None = None) -> Iterator[LogFile]:
    """`list_log_files` in the same order, holding one day's names at a time where it can.

    A local tree in CloudTrail's layout (`.../<yyyy>/<mm>/<dd>/`) is walked once for its
    directories, then each day's files (of every account and region) are listed, sorted and
    handed out in turn: a week of an organization's logs is hundreds of thousands of files, and
    the listing would otherwise be the one thing a replay keeps that grows with the stream.
    Files elsewhere in the tree are listed up front; S3 prefixes are listed whole (about 1 KB a
    file). Raises `FileNotFoundError` at once for a local path that does not exist.
    """
    if location.startswith("s3://") or Path(location).is_file():
        return iter(list_log_files(location, s3_client))
    root = Path(location)
    if not root.is_dir():
        raise FileNotFoundError(location)
    days: dict[str, list[str]] = {}
    loose: list[LogFile] = []
    for dirpath, _, names in os.walk(root):
        m = _DAY_DIR.search(Path(dirpath).as_posix())
        if m:
            days.setdefault("".join(m.groups()), []).append(dirpath)
        else:
            loose += [_local(Path(dirpath, n)) for n in names if _is_log(Path(dirpath, n).as_posix())]
    return _by_day(_sorted(iter(loose)), days)


def _by_day(loose: list[LogFile], days: dict[str, list[str]]) -> Iterator[LogFile]:
    yield from (f for f in loose if f.stamp is None)

    def dated() -> Iterator[LogFile]:
        for day in sorted(days):
            files = [_local(Path(d, e.name)) for d in days[day] for e in os.scandir(d)
                     if e.is_file() and _is_log(Path(d, e.name).as_posix())]
            yield from _sorted(iter(files))

    yield from heapq.merge((f for f in loose if f.stamp is not None), dated(), key=_order)


def _local(path: Path) -> LogFile:
    return LogFile(str(path), path.read_bytes, **_meta(path.name))


def _list_s3(location: str, client: Any) -> Iterator[LogFile]:
    parts = urlsplit(location)
    bucket, prefix = parts.netloc, parts.path.lstrip("/")
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if _is_log(key):
                yield s3_log_file(client, bucket, key)


def s3_log_file(client: Any, bucket: str, key: str) -> LogFile:
    def read() -> bytes:
        return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())

    return LogFile(f"s3://{bucket}/{key}", read, **_meta(key.rsplit("/", 1)[-1]))


def _order(f: LogFile) -> tuple[bool, str, str]:
    # files without a CloudTrail name sort first: they are opened up front
    return (f.stamp is not None, f.stamp or "", f.name)


def _sorted(files: Iterator[LogFile] | Any) -> list[LogFile]:
    return sorted(files, key=_order)


def read_log_file(f: LogFile) -> list[Any]:
    """The raw records of one file; `BadInput` (with the reason) when it cannot be read."""
    try:
        data = f.read()
    except OSError as exc:
        raise BadInput(f"cannot read ({exc.strerror or type(exc).__name__})", "unreadable") from None
    except Exception as exc:  # botocore errors: name the code, never the body
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        raise BadInput(f"cannot read ({code})", "unreadable") from None
    return parse_records(data)
