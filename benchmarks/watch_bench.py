"""The `watch` half of `benchmarks/events.py`: events through an SQS queue and the worker.

Two runs of the same worker as `railguard watch` (long polling, batches of 10, claims in a
SQLite store), each in a child process pinned to one core:

- `moto`: a moto server on 127.0.0.1 holds the queue and its dead-letter queue. moto's SQS slows
  down as its queue grows (each call scans the queued messages), so a feeder thread in the child
  keeps at most `DEPTH` messages queued ahead of the worker (SendMessageBatch of 10) instead of
  filling the queue first. Wall time includes the feeder's calls and moto's own time.
- `local`: the same worker on an in-process queue (`LocalQueue`, the SQS calls the worker makes,
  over a deque): what the worker itself costs per record (message JSON, claims in SQLite, the
  detector), with no HTTP and no moto. Not SQS: said so beside its figures.

Both report records/s, the detector's decision latency per record (no AWS calls), peak RSS and
the detections (scored by `events.score`).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

DEPTH = 200  # messages queued ahead of the worker on moto


def bodies(records: int, planted: dict[str, list[list[str]]]) -> Iterator[str]:
    """The generated stream as EventBridge events of CloudTrail records (seed 2)."""
    from events_stream import generate  # type: ignore[import-not-found]

    for rec in generate(records, planted, seed=2):
        src = rec["eventSource"].split(".")[0]
        yield json.dumps({"version": "0", "id": rec["eventID"], "detail-type": "AWS API Call via CloudTrail",
                          "source": f"aws.{src}", "account": rec["recipientAccountId"], "time": rec["eventTime"],
                          "region": rec["awsRegion"], "resources": [], "detail": rec})


class LocalQueue:
    """The SQS calls `Worker` makes, over an in-process deque (no visibility timeout: nothing is retried)."""

    def __init__(self, messages: Iterator[str]) -> None:
        self.pending = deque(messages)
        self.dead: list[dict[str, Any]] = []
        self.n = 0

    def receive_message(self, MaxNumberOfMessages: int = 10, WaitTimeSeconds: int = 0,
                        **_: Any) -> dict[str, Any]:
        if not self.pending:
            time.sleep(WaitTimeSeconds)  # long polling on an empty queue
        out = []
        while self.pending and len(out) < MaxNumberOfMessages:
            self.n += 1
            out.append({"MessageId": f"m{self.n}", "ReceiptHandle": f"r{self.n}", "Body": self.pending.popleft(),
                        "Attributes": {"ApproximateReceiveCount": "1"}})
        return {"Messages": out} if out else {}

    def delete_message_batch(self, **_: Any) -> dict[str, Any]:
        return {}

    def change_message_visibility_batch(self, **_: Any) -> dict[str, Any]:
        return {}

    def send_message(self, **kw: Any) -> dict[str, Any]:
        self.dead.append(kw)
        return {}

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        return {"Attributes": {}}


def _child(mode: str, endpoint: str, queue: str, config: str, out: str, db: str, records: str) -> None:
    import boto3

    from railguard.config import load_config
    from railguard.events.detector import Detector, events_config
    from railguard.events.process import Processor
    from railguard.events.worker import Worker, WorkerOptions
    from railguard.store import open_store

    settings = load_config(Path(config))
    cfg, overrides = events_config(settings.events, settings.baseline.owned_accounts)
    found: list[dict[str, Any]] = []
    proc = Processor(Detector(cfg, overrides), lambda d: found.append({"rule": d.rule, "event_ids": list(d.event_ids)}),
                     keep_latency=True)
    store = open_store(f"sqlite:///{db}")
    planted: dict[str, list[list[str]]] = {}
    stream = bodies(int(records), planted)
    sqs: Any
    feeder = None
    if mode == "local":
        sqs = LocalQueue(stream)
    else:
        sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    w = Worker(sqs, queue, proc, claim=store.events.first_time, release=getattr(store.events, "forget", None),
               options=WorkerOptions(wait=1, visibility=60, heartbeat=3600, idle_exit=5.0))
    sent = [0]
    if mode == "moto":
        feed = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)

        def run_feeder() -> None:
            batch: list[dict[str, str]] = []
            for body in stream:
                batch.append({"Id": str(len(batch)), "MessageBody": body})
                if len(batch) == 10:
                    while sent[0] - w.messages > DEPTH:
                        time.sleep(0.02)
                    feed.send_message_batch(QueueUrl=queue, Entries=batch)
                    sent[0] += len(batch)
                    batch = []
            if batch:
                feed.send_message_batch(QueueUrl=queue, Entries=batch)
                sent[0] += len(batch)

        feeder = threading.Thread(target=run_feeder, daemon=True)
        feeder.start()
    t0, c0 = time.perf_counter(), time.process_time()
    w.run()
    wall, cpu = time.perf_counter() - t0 - 5.0, time.process_time() - c0  # minus the idle wait at the end
    if feeder is not None:
        feeder.join()
    lat = sorted(proc.counters.decision_ns)
    n = len(lat)
    Path(out).write_text(json.dumps({
        "mode": mode, "records": proc.counters.records, "messages": w.messages, "sent": sent[0] or w.messages,
        "duplicates": proc.counters.duplicates, "wall_s": wall, "records_per_s": proc.counters.records / wall,
        "cpu_s": cpu, "records_per_cpu_s": proc.counters.records / cpu, "claims": "store",
        "p50_us": lat[n // 2] / 1000 if n else 0, "p99_us": lat[int(n * 0.99)] / 1000 if n else 0,
        "max_us": lat[-1] / 1000 if n else 0, "load_avg": os.getloadavg()[0],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "detections": found,
        "planted": planted,
    }))


def _run_child(mode: str, endpoint: str, queue: str, work: Path, config: Path, records: int) -> dict[str, Any]:
    from events import score  # type: ignore[import-not-found]

    out, db = work / f"watch-{mode}.json", work / f"watch-{mode}.db"
    db.unlink(missing_ok=True)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", PYTHONHASHSEED="0")
    cmd = [sys.executable, __file__, mode, endpoint, queue, str(config), str(out), str(db), str(records)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    subprocess.run(cmd, check=True, env=env)
    r = dict(json.loads(out.read_text()))
    r["score"] = score(r.pop("detections"), r.pop("planted"))
    print(f"watch ({mode}) {r['records']:,}: {r['records_per_s']:,.0f} records/s wall, "
          f"{r['records_per_cpu_s']:,.0f} per CPU-second, p50 {r['p50_us']:.1f} µs, p99 {r['p99_us']:.1f} µs, "
          f"peak RSS {r['peak_rss_mb']:.0f} MB, found {r['score']['found']}/{r['score']['incidents']}, "
          f"false positives {r['score']['false_positives']} {r['score']['fp_rules']}", flush=True)
    return r


def run_watch(records: int, work: Path, config: Path, modes: tuple[str, ...] = ("local", "moto")) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "local" in modes:
        results["local"] = _run_child("local", "", "local-queue", work, config, records)
    if "moto" in modes:
        import boto3
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint,
                               aws_access_key_id="testing", aws_secret_access_key="testing")
            dlq = sqs.create_queue(QueueName="bench-dlq")["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            q = sqs.create_queue(QueueName="bench", Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})})["QueueUrl"]
            results["moto"] = _run_child("moto", endpoint, q, work, config, records)
        finally:
            server.stop()
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("moto", "local"):
        _child(*sys.argv[1:8])
    else:
        import argparse
        import tempfile

        from events_stream import CONFIG  # type: ignore[import-not-found]

        ap = argparse.ArgumentParser()
        ap.add_argument("--records", type=int, default=20_000)
        ap.add_argument("--modes", default="local,moto")
        args = ap.parse_args()
        work = Path(tempfile.mkdtemp(prefix="railguard-watch-bench-"))
        config = work / "railguard.yaml"
        config.write_text(CONFIG)
        res = run_watch(args.records, work, config, tuple(args.modes.split(",")))
        dest = HERE / "results" / "events-watch.json"
        dest.write_text(json.dumps(res, indent=2))
        print(f"wrote {dest}")
        shutil.rmtree(work, ignore_errors=True)
