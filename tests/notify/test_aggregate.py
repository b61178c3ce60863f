"""Aggregation: one notification per channel per run, with counts of all and the most urgent items."""

from __future__ import annotations

from collections import Counter

from pydantic import TypeAdapter

from railguard.model import Severity
from railguard.notify import ChannelConfig, NoteItem, aggregate, per_channel, title_for
from tests.notify.helpers import run_items


def test_a_thousand_items_make_one_message_with_counts_and_the_top_items() -> None:
    items = run_items(1000)
    note = aggregate(items, top=10, run_id="run-1")
    assert note is not None
    assert dict(note.counts) == dict(Counter(i.status for i in items))
    assert sum(note.counts.values()) == note.item_count == 1000
    assert len(note.items) == 10
    assert note.as_json()["more"] == 990
    assert all(i["severity"] == "critical" for i in note.items)  # the most severe come first
    # within one severity, what needs a human (failed, held) comes before what was fixed
    statuses = [i["status"] for i in note.items]
    assert statuses == sorted(statuses, key=["failed", "held", "reopened", "new", "applied", "dry-run"].index)
    assert note.needs_human and note.severity is Severity.CRITICAL
    assert note.title.startswith("railguard: 167 failed, 167 held (needs a human), ")
    assert all(i["history"].startswith("seen ") for i in note.items)


def test_title_orders_by_urgency_and_skips_zero() -> None:
    assert title_for({"applied": 3, "held": 2, "failed": 1, "new": 0}) == (
        "railguard: 1 failed, 2 held (needs a human), 3 fixed")
    assert title_for({}) == "railguard: nothing to report"
    assert title_for({"mystery": 2, "new": 1}) == "railguard: 1 new, 2 mystery"


def test_only_fixed_items_need_no_human() -> None:
    note = aggregate([NoteItem("s3.bucket-versioning", "bucket-a", "applied", Severity.LOW)])
    assert note is not None and not note.needs_human and note.title == "railguard: 1 fixed"
    assert note.items == [{"control": "s3.bucket-versioning", "resource": "bucket-a", "status": "applied",
                           "severity": "low"}]


def test_min_severity_filters_counts_and_items_and_an_empty_run_sends_nothing() -> None:
    items = run_items(40)
    note = aggregate(items, min_severity=Severity.HIGH)
    assert note is not None and note.item_count == 20
    assert {i["severity"] for i in note.items} <= {"high", "critical"}
    low_only = [NoteItem("c", "r", "new", Severity.LOW)]
    assert aggregate(low_only, min_severity=Severity.HIGH) is None
    assert aggregate([]) is None


def test_per_channel_applies_each_channels_settings() -> None:
    channels = TypeAdapter(dict[str, ChannelConfig]).validate_python({
        "all": {"stdout": True, "top": 3},
        "pager": {"sns_topic": "arn:aws:sns:us-east-1:111111111111:p", "min_severity": "critical"},
        "quiet": {"stdout": True, "min_severity": "critical"},
    })
    items = run_items(12)
    notes = per_channel({"all": items, "pager": items, "quiet": items[:2]}, channels, run_id="r9", link="https://x")
    assert set(notes) == {"all", "pager"}  # items[:2] hold no critical item: nothing for "quiet"
    assert len(notes["all"].items) == 3 and notes["all"].item_count == 12
    assert notes["pager"].item_count == 3 and notes["pager"].run_id == "r9" and notes["pager"].link == "https://x"
