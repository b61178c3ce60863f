"""The task rows distributed runs write: a slice is written once per attempt, a late duplicate cannot
overwrite it, cancel stops what has not started, and resources survive the store exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from railguard.executor.codec import CodecError, decode, encode, resource_from_json, resource_to_json
from railguard.model import Origin, Resource, Unknown
from railguard.store import open_store
from railguard.store.tasks import CANCELLED, DONE, QUEUED, RUNNING, TaskRepo, celery_id, task_id


@pytest.fixture
def repo(tmp_path: Path) -> TaskRepo:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    return TaskRepo(store)


def _run(repo: TaskRepo) -> str:
    return repo._store.runs.start("scan").id


def test_units_are_inserted_once(repo: TaskRepo) -> None:
    run = _run(repo)
    units = [{"account": "111111111111", "assume": True}, {"account": "222222222222", "assume": True}]
    first = repo.add(run, "discover", units)
    assert len(first) == 2 and first[0] == task_id(run, "discover", units[0])
    assert repo.add(run, "discover", units) == first  # still queued: to be sent, but no new rows
    assert len(repo.states(run)) == 2


def test_one_attempt_writes_and_a_duplicate_does_not(repo: TaskRepo) -> None:
    run = _run(repo)
    (tid,) = repo.add(run, "collect", [{"account": "1", "region": "us-east-1", "collectors": ["s3"]}])
    row = repo.begin(tid, 1, "w1:10", stale_after=30)
    assert row is not None and row.status == RUNNING
    assert repo.begin(tid, 1, "w2:20", stale_after=30) is None  # a duplicate delivery while it runs
    children = repo.finish(tid, 1, status=DONE, result={"resources": [1]}, api_calls={"s3:ListBuckets": 1},
                           children=[("collect", {"account": "1", "region": "eu-west-1", "collectors": ["x"]})])
    assert len(children) == 1
    assert repo.finish(tid, 1, status=DONE, result={"resources": [2]}) == []  # finished: no second write
    got = repo.get(tid)
    assert got is not None and got.result == {"resources": [1]} and got.api_calls == {"s3:ListBuckets": 1}
    assert repo.begin(tid, 1, "w3:30", stale_after=30) is None


def test_a_requeued_task_ignores_its_dead_attempt(repo: TaskRepo) -> None:
    run = _run(repo)
    (tid,) = repo.add(run, "collect", [{"account": "1", "region": "us-east-1", "collectors": ["s3"]}])
    assert repo.begin(tid, 1, "w1:10", stale_after=30) is not None
    assert repo.requeue(tid, "worker stopped beating") == 2
    assert repo.finish(tid, 1, status=DONE, result={"late": True}) == []  # the presumed-dead worker wakes up
    assert repo.begin(tid, 1, "w1:10", stale_after=30) is None
    assert repo.begin(tid, 2, "w2:20", stale_after=30) is not None
    repo.finish(tid, 2, status=DONE, result={"ok": True})
    got = repo.get(tid)
    assert got is not None and got.result == {"ok": True} and got.attempt == 2


def test_stale_heartbeat_lets_a_redelivery_take_over(repo: TaskRepo) -> None:
    run = _run(repo)
    (tid,) = repo.add(run, "collect", [{"account": "1", "region": "us-east-1", "collectors": ["s3"]}])
    assert repo.begin(tid, 1, "w1:10", stale_after=30) is not None
    assert repo.begin(tid, 1, "w2:20", stale_after=0) is not None  # its heartbeat is "stale" at once


def test_cancel_marks_the_run_and_the_queued_tasks(repo: TaskRepo) -> None:
    run = _run(repo)
    ids = repo.add(run, "discover", [{"account": str(i), "assume": True} for i in range(3)])
    assert repo.begin(ids[0], 1, "w1:10", stale_after=30) is not None
    revoked = repo.cancel(run)
    assert sorted(revoked) == sorted(celery_id(t, 1) for t in ids[1:])
    assert repo.run_status(run) == "cancelling"
    assert not repo.heartbeat(ids[0], 1)  # the running task is told to stop
    assert repo.counts(run) == {RUNNING: 1, CANCELLED: 2}
    assert QUEUED not in repo.counts(run)


def test_resources_survive_the_store_exactly() -> None:
    r = Resource(type="AWS::S3::Bucket", id="b", properties={"A": Unknown("denied"), "T": (1, 2), "S": {"x"},
                                                             "D": datetime(2026, 1, 2, tzinfo=UTC), "\x00": 1,
                                                             "N": {1: "int key"}, "B": b"\x00\x01"},
                 arn="arn:aws:s3:::b", account="1", region="global", tags={"k": "v"},
                 origin=Origin(account="1", region="global"), live={"F": frozenset({"a"}), "L": [None, 1.5]}, name="b")
    back = resource_from_json(decode(encode(resource_to_json(r))))
    assert back == r
    with pytest.raises(CodecError):
        encode(object())
