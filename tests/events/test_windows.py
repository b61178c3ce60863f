"""A restarted worker keeps its detection windows: they live in the store between runs."""

from __future__ import annotations

from pathlib import Path

from railguard.events.detector import Detector
from railguard.events.windows import StoredWindows
from railguard.store import open_store
from tests.events.records import console_login, iam_user


def failed_login(i: int) -> dict:
    return console_login(iam_user("alice"), ok=False, event_id=f"fail-{i}", time=f"2024-05-01T10:00:{i:02d}Z",
                         ip="203.0.113.9")


def test_burst_split_by_a_restart_still_fires(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'rg.db'}"
    first = Detector()
    stored = StoredWindows(open_store(db), first, "https://sqs/q")
    assert stored.restore() is False  # nothing saved yet
    assert [d for i in range(4) for d in first.process(failed_login(i))] == []  # 4 of 5
    stored.save({"records": 4})
    stored.save({"records": 4}, final=True)

    again = Detector()
    restarted = StoredWindows(open_store(db), again, "https://sqs/q")
    assert restarted.restore() is True
    found = again.process(failed_login(4))
    assert [d.rule for d in found] == ["signin.failed-login-burst"]
    assert set(found[0].event_ids) == {f"fail-{i}" for i in range(5)}


def test_other_queues_state_is_not_restored(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'rg.db'}"
    det = Detector()
    StoredWindows(open_store(db), det, "https://sqs/a").save({}, final=True)
    assert StoredWindows(open_store(db), Detector(), "https://sqs/b").restore() is False
