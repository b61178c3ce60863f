"""SQS as the broker: `executor: {broker: sqs://HOST:PORT}` on real `railguard worker` processes, with
kombu's SQS transport (and its pycurl client in the workers) talking to moto's SQS over HTTP. No
Redis: without a caps URL there are no cross-worker caps, only botocore's adaptive retries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from tests.scale.conftest import CONTROLS, REGION, Workers, base_env, railguard
from tests.scale.test_distributed import essence, report

pytestmark = pytest.mark.e2e


def sqs_config(tmp: Path, queue: str, port: int) -> str:
    broker = f"sqs://127.0.0.1:{port}"
    (tmp / "railguard.yaml").write_text(json.dumps({"executor": {
        "name": "celery", "broker": broker, "queue": queue, "heartbeat_stale": 15, "poll": 0.2,
        "broker_options": {"is_secure": False, "wait_time_seconds": 1, "polling_interval": 0.2}}}))
    return broker


@pytest.fixture
def sqs_workers(tmp_path: Path, moto_org: dict[str, Any]) -> Iterator[tuple[Workers, str]]:
    queue = f"t{uuid.uuid4().hex[:10]}"  # a fresh SQS queue: no message of another test is left in it
    port = int(urlsplit(moto_org["url"]).port or 0)
    broker = sqs_config(tmp_path, queue, port)
    env = base_env(moto_org["url"], broker, tmp_path / "store.db")
    w = Workers(env, tmp_path)
    try:
        yield w, queue
    finally:
        w.stop()


def test_scan_with_sqs_as_broker_equals_local(sqs_workers: tuple[Workers, str], moto_org: dict[str, Any],
                                              tmp_path: Path) -> None:
    workers, queue = sqs_workers
    members = moto_org["members"]
    accounts = ",".join([members[0], members[1], members[5], members[6], members[10]])  # 0, 5, 10: ssh open
    scan = ("scan", "--accounts", accounts, "--regions", REGION, "--controls", CONTROLS, "--format", "json", "-q")
    local = railguard(*scan, "--executor", "local", "-o", str(tmp_path / "local"), env=workers.env, cwd=tmp_path)
    assert local.returncode in (0, 1), local.stderr
    assert any(f["result"] == "FAIL" for f in report(tmp_path / "local")["findings"])

    workers.start(2)
    p = railguard(*scan, "--executor", "celery", "--db", str(tmp_path / "store.db"), "-o", str(tmp_path / "out"),
                  env=workers.env, cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr + workers.logs()
    rep = report(tmp_path / "out")
    assert essence(rep) == essence(report(tmp_path / "local"))
    fps = [f["fingerprint"] for f in rep["findings"]]
    assert len(fps) == len(set(fps))
    # the tasks went through the SQS queue kombu created (prefix railguard-), now drained
    sqs = boto3.client("sqs", endpoint_url=moto_org["url"], region_name=REGION)
    url = sqs.get_queue_url(QueueName=f"railguard-{queue}")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert float(attrs["VisibilityTimeout"]) >= 3600  # acks_late: above any task's time limit
    from railguard.store import open_store
    from railguard.store.tasks import TaskRepo

    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        states = TaskRepo(store).states(rep["meta"]["run_id"])
    assert {s.status for s in states} == {"done"} and sum(s.kind == "discover" for s in states) == 5
