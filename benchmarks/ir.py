"""Incident-response benchmark: isolating instances against moto (not in `make test`).

One moto server in this process on 127.0.0.1 with the lab's counting proxy in front (it counts every
request the server receives and adds a fixed delay per request to model AWS latency). The issue's
scenario is seeded (`tests/ir/scenario.py`: instances launched by an Auto Scaling group behind a
target group, each with two ENIs, the second sharing the `web` group with a web server, two
volumes, an Elastic IP and an instance role). Then:

- one isolation: wall time, requests (proxy count) in total and per step;
- N instances at once (default 20) on N threads, the breaker raised to N: wall time, isolations
  per second, requests per instance; every case must end `done`, every ENI quarantined;
- one instance tagged `Tainted` isolated by a guardrail (`ec2.instance-tainted` with `ir.isolate`,
  `guardrails run --apply` as a function): wall time and requests (collection, pipeline and case), then
  a second run while the case is active (it must open nothing).

Each delay (default 0 and 50 ms) runs on a fresh account. Isolation runs in-process through
`railguard.ir.service` (the CLI's use case, without interpreter start-up) into a fresh SQLite store.

    .venv/bin/python benchmarks/ir.py                     # 1 + 20 instances at 0 and 50 ms
    .venv/bin/python benchmarks/ir.py --instances 5 --delays 0

Results: benchmarks/results/ir.{json,txt}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def _isolate(store: Any, session: Any, iid: str, limit: int) -> Any:
    from railguard.ir import service

    case = service.open_isolation(store, session, iid, "us-east-1", actor="bench")
    return service.run(store, session, case.id, actor="bench", options={"max_isolations": limit})


def run_delay(delay_ms: int, instances: int) -> dict[str, Any]:
    from railguard.demo.faultproxy import FaultProxy
    from railguard.demo.run import moto_server, reset_moto
    from railguard.engine.scan import ScanOptions
    from railguard.guardrails.load import load_guardrails
    from railguard.guardrails.run import run_guardrails
    from railguard.sources.aws.session import open_sessions
    from railguard.store import open_store
    from tests.ir.scenario import build, eni_groups

    out: dict[str, Any] = {"delay_ms": delay_ms}
    with moto_server() as moto_url:
        os.environ["AWS_ENDPOINT_URL"] = moto_url
        # part 1: one instance, then a second one in the same process (clients made, quarantine group exists)
        sc = build(2)
        proxy = FaultProxy(moto_url, delay_s=delay_ms / 1000)
        with proxy as url, tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/ir.db") as store:
            (session,) = open_sessions(endpoint_url=url, region="us-east-1")
            for label, suspect in zip(("one", "second"), sc.suspects, strict=True):
                before, calls_before = proxy.state.total, Counter(session.counter.snapshot())
                t0 = time.perf_counter()
                result = _isolate(store, session, suspect["id"], 10)
                wall = time.perf_counter() - t0
                assert result.status == "done", result.message
                steps = {s.name: s.calls for s in store.cases.steps(result.case_id)}
                ops = Counter(session.counter.snapshot()) - calls_before
                out[label] = {"wall_s": round(wall, 3), "requests": proxy.state.total - before, "by_step": steps,
                              "by_operation": dict(ops.most_common())}
        # part 2: N instances at once, breaker raised to N
        reset_moto(moto_url)
        sc = build(instances)
        proxy = FaultProxy(moto_url, delay_s=delay_ms / 1000)
        with proxy as url, tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/ir.db") as store:
            (session,) = open_sessions(endpoint_url=url, region="us-east-1", max_pool=instances + 4)
            before = proxy.state.total
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=instances) as pool:
                results = list(pool.map(lambda s: _isolate(store, session, s["id"], instances), sc.suspects))
            wall = time.perf_counter() - t0
            requests = proxy.state.total - before
            statuses = Counter(r.status for r in results)
            groups = {g for s in sc.suspects for g in eni_groups(s["eni1"]) + eni_groups(s["eni2"])}
            out["many"] = {"instances": instances, "wall_s": round(wall, 3),
                           "isolations_per_s": round(instances / wall, 2), "requests": requests,
                           "requests_per_instance": round(requests / instances, 1), "statuses": dict(statuses),
                           "quarantine_groups_used": len(groups),
                           "web_server_untouched": eni_groups(sc.web_eni) == [sc.web_sg]}
        # part 3: the same isolation opened by a guardrail (ec2.instance-tainted -> ir.isolate), cold like part 1:
        # `guardrails run --apply` collects the region's instances, judges them, runs the pipeline and the case;
        # a second run finds the case active and opens nothing
        reset_moto(moto_url)
        sc = build(2)
        import boto3

        boto3.client("ec2", region_name="us-east-1", endpoint_url=moto_url).create_tags(
            Resources=[sc.suspects[0]["id"]], Tags=[{"Key": "Tainted", "Value": "bench"}])
        proxy = FaultProxy(moto_url, delay_s=delay_ms / 1000)
        with proxy as url, tempfile.TemporaryDirectory() as tmp:
            gfile = Path(tmp) / "g.yaml"
            gfile.write_text(GUARDRAIL)
            out["guardrail"] = {}
            for label in ("first", "again"):
                with open_store(f"sqlite:///{tmp}/ir.db") as store:
                    before = proxy.state.total
                    t0 = time.perf_counter()
                    result, _ = run_guardrails(load_guardrails([gfile]), ScanOptions(endpoint_url=url,
                                               regions=["us-east-1"]), store, apply=True)
                    wall = time.perf_counter() - t0
                    cases = store.cases.query()
                    case_calls = sum(st.calls for c in cases for st in store.cases.steps(c.id))
                out["guardrail"][label] = {"wall_s": round(wall, 3), "requests": proxy.state.total - before,
                                           "case_requests": case_calls if label == "first" else 0,
                                           "items": dict(Counter(i.status for i in result.items)),
                                           "cases": [c.status for c in cases]}
        os.environ.pop("AWS_ENDPOINT_URL", None)
    return out


GUARDRAIL = """
guardrails:
  - name: isolate-tainted
    controls: [ec2.instance-tainted]
    scope: {regions: [us-east-1]}
    mode: remediate
    action: {id: ir.isolate, params: {max_isolations: 10}}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=20)
    ap.add_argument("--delays", default="0,50", help="per-request delays in ms, comma-separated")
    args = ap.parse_args()
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(k, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    rows = [run_delay(int(d), args.instances) for d in args.delays.split(",")]
    load = os.getloadavg()
    meta = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
            "cpus": os.cpu_count(), "load": load}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ir.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [f"railguard ir benchmark {meta['when']} (load {', '.join(f'{x:.1f}' for x in load)})",
             "| delay/request | 1st instance: wall s | requests | 2nd instance: wall s | requests | N at once: N | "
             "wall s | isolations/s | requests/instance | done | quarantine groups | web server untouched |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        one, many = r["one"], r["many"]
        two = r["second"]
        lines.append(f"| {r['delay_ms']} ms | {one['wall_s']:.2f} | {one['requests']} | {two['wall_s']:.2f} | "
                     f"{two['requests']} | {many['instances']} | "
                     f"{many['wall_s']:.2f} | {many['isolations_per_s']:.2f} | {many['requests_per_instance']} | "
                     f"{many['statuses'].get('done', 0)}/{many['instances']} | {many['quarantine_groups_used']} | "
                     f"{many['web_server_untouched']} |")
    lines.append("")
    lines.append("| delay/request | direct, cold: wall s | requests | via guardrail, cold: wall s | requests | of which "
                 "the case | items | again (case active): wall s | requests | items |")
    lines.append("|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    for r in rows:
        g1, g2 = r["guardrail"]["first"], r["guardrail"]["again"]
        lines.append(f"| {r['delay_ms']} ms | {r['one']['wall_s']:.2f} | {r['one']['requests']} | {g1['wall_s']:.2f} | "
                     f"{g1['requests']} | {g1['case_requests']} | {g1['items']} | {g2['wall_s']:.2f} | "
                     f"{g2['requests']} | {g2['items']} |")
    lines.append("")
    lines.append("requests per step (1st instance): " + json.dumps(rows[0]["one"]["by_step"]))
    lines.append("requests per step (2nd instance): " + json.dumps(rows[0]["second"]["by_step"]))
    text = "\n".join(lines)
    (RESULTS / "ir.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
