"""CloudTrail sources: log files (layout, gzip, bad input), the merge, queue messages."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from railguard.sources.cloudtrail import (
    BadMessage,
    Problem,
    TestMessage,
    iter_log_files,
    list_log_files,
    merged_records,
    records_from_message,
)
from railguard.sources.cloudtrail.records import BadInput, parse_records
from tests.events.records import ACCOUNT, ct, eventbridge


def log_name(account: str, region: str, stamp: str, n: int = 0) -> str:
    """`AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<stamp>_<id>.json.gz`"""
    y, m, d = stamp[0:4], stamp[4:6], stamp[6:8]
    return (f"AWSLogs/{account}/CloudTrail/{region}/{y}/{m}/{d}/"
            f"{account}_CloudTrail_{region}_{stamp}_Ab{n:04d}CdEf.json.gz")


def write_log(root: Path, name: str, records: list[dict[str, Any]], *, gz: bool = True) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"Records": records}).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def at(minute: int, sec: int = 0) -> str:
    return f"2024-05-01T10:{minute:02d}:{sec:02d}Z"


def test_parse_forms() -> None:
    rec = ct("ListBuckets", "s3")
    assert parse_records(gzip.compress(json.dumps({"Records": [rec]}).encode())) == [rec]
    assert parse_records(json.dumps([rec]).encode()) == [rec]
    assert parse_records(json.dumps(rec).encode()) == [rec]
    assert parse_records((json.dumps(rec) + "\n" + json.dumps(rec) + "\n").encode()) == [rec, rec]


def test_bad_input_reasons_never_quote_content() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    with pytest.raises(BadInput) as exc:
        parse_records(f'{{"Records": [{{"x": "{secret}"'.encode())
    assert exc.value.kind == "malformed" and secret not in exc.value.reason
    full = gzip.compress(json.dumps({"Records": [ct("ListBuckets", "s3")]}).encode())
    with pytest.raises(BadInput) as exc:
        parse_records(full[: len(full) // 2])
    assert exc.value.kind == "truncated"
    with pytest.raises(BadInput) as exc:
        parse_records(b'{"hello": "world"}')
    assert exc.value.kind == "not-cloudtrail"


def test_merge_is_event_time_order_across_accounts_regions_and_unsorted_files(tmp_path: Path) -> None:
    rng = random.Random(7)
    expected = []
    for account in (ACCOUNT, "777788889999"):  # an organization trail: several accounts under one prefix
        for region in ("us-east-1", "eu-west-1"):
            for window in range(0, 60, 5):  # one file per 5 minutes, records from the 5 minutes before
                recs = [ct("DescribeInstances", "ec2", time=at(window, rng.randrange(60)), region=region,
                           account=account, read_only=True) for _ in range(rng.randrange(1, 6))]
                rng.shuffle(recs)  # records inside a file are not sorted
                expected += recs
                stamp = f"20240501T10{window + 5 if window < 55 else 59:02d}Z"
                write_log(tmp_path, f"AWSLogs/o-exampleorg/{log_name(account, region, stamp, window)}", recs)
    write_log(tmp_path, "AWSLogs/x/CloudTrail-Digest/us-east-1/digest.json.gz", [])  # digests are skipped
    files = list_log_files(str(tmp_path))
    assert len(files) == 48 and files[0].account in (ACCOUNT, "777788889999") and files[0].region
    problems: list[Problem] = []
    out = list(merged_records(files, problems.append))
    assert problems == []
    assert [r["eventTime"] for r in out] == sorted(r["eventTime"] for r in expected)
    assert sorted(r["eventID"] for r in out) == sorted(r["eventID"] for r in expected)


def test_merge_opens_files_lazily(tmp_path: Path) -> None:
    """Only the files of the current window are open: memory does not grow with the stream."""
    for hour in range(10, 14):
        for window in range(0, 60, 5):
            recs = [ct("ListBuckets", "s3", time=f"2024-05-01T{hour}:{window:02d}:30Z", read_only=True)]
            write_log(tmp_path, log_name(ACCOUNT, "us-east-1", f"20240501T{hour}{window:02d}Z", window), recs)
    opened: list[str] = []
    files = list_log_files(str(tmp_path))
    wrapped = [type(f)(f.name, (lambda f=f: (opened.append(f.name), f.read())[1]), f.stamp, f.account, f.region)
               for f in files]
    it = merged_records(wrapped, lambda p: None)
    next(it)
    assert len(opened) <= 6  # 20 minutes of slack: 5-minute files


def test_listing_streams_a_day_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A week of an organization's logs is too many names to hold: a day's directories are listed
    only when the merge reaches that day, in the same order as the whole listing."""
    import railguard.sources.cloudtrail.logfile as logfile

    for day in ("01", "02", "03"):
        for account in (ACCOUNT, "777788889999"):
            for n, hour in enumerate(("09", "17")):
                recs = [ct("ListBuckets", "s3", time=f"2024-05-{day}T{hour}:02:00Z", account=account, read_only=True)]
                write_log(tmp_path, log_name(account, "us-east-1", f"202405{day}T{hour}05Z", n), recs)
    write_log(tmp_path, "exports/loose.json", [ct("ListBuckets", "s3", time="2024-05-02T12:00:00Z")], gz=False)
    scanned: list[str] = []
    real = logfile.os.scandir

    def scandir(path: Any) -> Any:
        scanned.append(Path(path).as_posix())
        return real(path)

    monkeypatch.setattr(logfile.os, "scandir", scandir)
    it = iter_log_files(str(tmp_path))
    scanned.clear()  # the walk for directories is done: from here on, files are listed per day
    first = next(it)
    assert first.name.endswith("loose.json")  # files without a CloudTrail name come first
    assert next(it).stamp == "2024-05-01T09:05:00Z"
    assert scanned and all(p.endswith("/2024/05/01") for p in scanned)
    whole = [f.name for f in list_log_files(str(tmp_path))]
    assert [f.name for f in it] == whole[2:]
    out = list(merged_records(iter_log_files(str(tmp_path)), lambda p: None))
    assert [r["eventTime"] for r in out] == sorted(r["eventTime"] for r in out) and len(out) == 13
    with pytest.raises(FileNotFoundError):
        iter_log_files(str(tmp_path / "missing"))


def test_bad_files_are_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    good = write_log(tmp_path, log_name(ACCOUNT, "us-east-1", "20240501T1005Z", 1), [ct("ListBuckets", "s3")])
    (tmp_path / "broken.json").write_text('{"Records": [ {"eventName": ')
    trunc = gzip.compress(json.dumps({"Records": [ct("ListBuckets", "s3")] * 50}).encode())
    (tmp_path / "truncated.json.gz").write_bytes(trunc[:200])
    write_log(tmp_path, "mixed.json", [ct("ListBuckets", "s3"), {"eventName": "X", "eventSource": "made-up",
                                                                 "eventTime": at(1)}, "junk"], gz=False)
    problems: list[Problem] = []
    out = list(merged_records(list_log_files(str(tmp_path)), problems.append))
    assert len(out) == 2
    kinds = {(Path(p.source).name, p.kind) for p in problems}
    assert ("broken.json", "malformed") in kinds and ("truncated.json.gz", "truncated") in kinds
    assert ("mixed.json", "bad-record") in kinds
    assert any("unknown service" in p.reason for p in problems)
    assert good.exists()


def test_missing_path() -> None:
    with pytest.raises(FileNotFoundError):
        list_log_files("/nonexistent/cloudtrail")


@mock_aws
def test_s3_prefix_layout() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail-logs")
    for n, stamp in enumerate(["20240501T1010Z", "20240501T1005Z"]):
        body = gzip.compress(json.dumps({"Records": [ct("ListBuckets", "s3", time=at(n * 5 + 1))]}).encode())
        s3.put_object(Bucket="trail-logs", Key=log_name(ACCOUNT, "us-east-1", stamp, n), Body=body)
    s3.put_object(Bucket="trail-logs", Key="AWSLogs/111122223333/CloudTrail-Digest/x.json.gz", Body=b"{}")
    files = list_log_files("s3://trail-logs/AWSLogs/", lambda: s3)
    assert [f.stamp for f in files] == ["2024-05-01T10:05:00Z", "2024-05-01T10:10:00Z"]
    out = list(merged_records(files, lambda p: None))
    assert [r["eventTime"] for r in out] == [at(1), at(6)]


def test_eventbridge_message() -> None:
    rec = ct("AuthorizeSecurityGroupIngress", "ec2", request={"groupId": "sg-1"})
    assert records_from_message(json.dumps(eventbridge(rec))) == [rec]
    sns = {"Type": "Notification", "MessageId": "m", "Message": json.dumps(eventbridge(rec))}
    assert records_from_message(json.dumps(sns)) == [rec]


def test_non_cloudtrail_and_malformed_messages() -> None:
    state_change = {"version": "0", "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
                    "detail": {"instance-id": "i-1", "state": "running"}}
    with pytest.raises(BadMessage) as exc:
        records_from_message(json.dumps(state_change))
    assert exc.value.kind == "not-cloudtrail"
    with pytest.raises(BadMessage) as exc:
        records_from_message('{"detail-type": ')
    assert exc.value.kind == "malformed"
    bad = eventbridge({"eventName": "X", "eventSource": "nope", "eventTime": at(0)})
    with pytest.raises(BadMessage) as exc:
        records_from_message(json.dumps(bad))
    assert exc.value.kind == "bad-record"
    with pytest.raises(TestMessage):
        records_from_message(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}))


@mock_aws
def test_s3_notification_reads_the_new_log_file() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail-logs")
    key = log_name(ACCOUNT, "us-east-1", "20240501T1005Z")
    recs = [ct("StopLogging", "cloudtrail", request={"name": "main"}), ct("ListBuckets", "s3")]
    s3.put_object(Bucket="trail-logs", Key=key, Body=gzip.compress(json.dumps({"Records": recs}).encode()))
    note = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": "trail-logs"}, "object": {"key": key.replace(":", "%3A")}}}]}
    assert records_from_message(json.dumps(note), lambda: s3) == recs
    cloudtrail_sns = {"s3Bucket": "trail-logs", "s3ObjectKey": [key]}
    assert records_from_message(json.dumps(cloudtrail_sns), lambda: s3) == recs
    eb = {"detail-type": "Object Created", "source": "aws.s3",
          "detail": {"bucket": {"name": "trail-logs"}, "object": {"key": key}}}
    assert records_from_message(json.dumps(eb), lambda: s3) == recs
    missing = {"s3Bucket": "trail-logs", "s3ObjectKey": ["AWSLogs/nope.json.gz"]}
    with pytest.raises(BadMessage) as exc:
        records_from_message(json.dumps(missing), lambda: s3)
    assert exc.value.kind == "unreadable" and "NoSuchKey" in exc.value.reason
