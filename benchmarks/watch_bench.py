"""The `watch` half of `benchmarks/events.py`: events through a moto-backed SQS queue and the worker.

A moto server on 127.0.0.1 holds the queue and its dead-letter queue; the generated stream is
put on it as EventBridge events (10 per SendMessageBatch); a child process pinned to one core
runs the same worker as `railguard watch` (long polling, batches, claims in a SQLite store when
the store is installed, else in memory) until the queue is idle, and reports records/s, the
detector's decision latency per record (no AWS calls), peak RSS and the detections.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _child(endpoint: str, queue: str, config: str, out: str, db: str) -> None:
    import boto3

    from railguard.config import load_config
    from railguard.events.detector import Detector, events_config
    from railguard.events.process import Processor
    from railguard.events.worker import Worker, WorkerOptions

    settings = load_config(Path(config))
    cfg, overrides = events_config(settings.events, settings.baseline.owned_accounts)
    found: list[dict[str, Any]] = []
    proc = Processor(Detector(cfg, overrides), lambda d: found.append({"rule": d.rule, "event_ids": list(d.event_ids)}),
                     keep_latency=True)
    try:
        from railguard.store import open_store

        store = open_store(f"sqlite:///{db}")
        claim, release, claims = store.events.first_time, getattr(store.events, "forget", None), "store"
    except ImportError:
        seen: set[str] = set()

        def claim(eid: str) -> bool:
            if eid in seen:
                return False
            seen.add(eid)
            return True

        release, claims = None, "memory"
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    w = Worker(sqs, queue, proc, claim=claim, release=release,
               options=WorkerOptions(wait=1, visibility=60, heartbeat=3600, idle_exit=3.0))
    t0, c0 = time.perf_counter(), time.process_time()
    w.run()
    wall, cpu = time.perf_counter() - t0 - 3.0, time.process_time() - c0  # minus the idle wait at the end
    lat = sorted(proc.counters.decision_ns)
    n = len(lat)
    Path(out).write_text(json.dumps({
        "records": proc.counters.records, "messages": w.messages, "duplicates": proc.counters.duplicates,
        "wall_s": wall, "records_per_s": proc.counters.records / wall, "cpu_s": cpu, "claims": claims,
        "p50_us": lat[n // 2] / 1000 if n else 0, "p99_us": lat[int(n * 0.99)] / 1000 if n else 0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "detections": found,
    }))


def run_watch(records: int, work: Path, config: Path) -> dict[str, Any]:
    import boto3
    from events_stream import generate  # type: ignore[import-not-found]
    from moto.server import ThreadedMotoServer

    sys.path.insert(0, str(HERE))
    from events import score  # type: ignore[import-not-found]

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
        planted: dict[str, list[list[str]]] = {}
        batch: list[dict[str, Any]] = []
        sent = 0
        for rec in generate(records, planted, seed=2):
            src = rec["eventSource"].split(".")[0]
            body = {"version": "0", "id": rec["eventID"], "detail-type": "AWS API Call via CloudTrail",
                    "source": f"aws.{src}", "account": rec["recipientAccountId"], "time": rec["eventTime"],
                    "region": rec["awsRegion"], "resources": [], "detail": rec}
            batch.append({"Id": str(len(batch)), "MessageBody": json.dumps(body)})
            if len(batch) == 10:
                sqs.send_message_batch(QueueUrl=q, Entries=batch)
                sent += len(batch)
                batch = []
        if batch:
            sqs.send_message_batch(QueueUrl=q, Entries=batch)
            sent += len(batch)
        out = work / "watch.json"
        env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        cmd = [sys.executable, __file__, endpoint, q, str(config), str(out), str(work / "watch.db")]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "0", *cmd]
        subprocess.run(cmd, check=True, env=env)
        r = dict(json.loads(out.read_text()))
        r["sent"] = sent
        r["score"] = score(r.pop("detections"), planted)
        print(f"watch {r['records']:,}: {r['records_per_s']:,.0f} records/s (moto over HTTP), p50 {r['p50_us']:.1f} µs, "
              f"p99 {r['p99_us']:.1f} µs, peak RSS {r['peak_rss_mb']:.0f} MB, found {r['score']['found']}/"
              f"{r['score']['incidents']}, false positives {r['score']['false_positives']} {r['score']['fp_rules']}",
              flush=True)
        return r
    finally:
        server.stop()


if __name__ == "__main__":
    _child(*sys.argv[1:6])
