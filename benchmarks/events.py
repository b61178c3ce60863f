"""Events benchmark (issue 14): replay throughput, decision latency, memory, recall and false positives.

    .venv/bin/python benchmarks/events.py [--records 1000000] [--watch-records 20000]

1. Generates a CloudTrail stream (`events_stream.py`: benign traffic with CI bursts, three rounds
   of planted incidents, one or more per detection) and writes it as CloudTrail does: gzip files
   per account, region and 5 minutes under `AWSLogs/o-example/<account>/CloudTrail/<region>/...`.
2. Replays it in a child process pinned to one core (`taskset -c 0` when available) through the
   same code as `railguard events replay`: records/s end to end (listing, gunzip, parse, merge,
   detections), p50/p99 of the detector's decision per record (no I/O, no AWS calls), peak RSS.
   Memory flatness: the same at a quarter of the stream.
3. Scores the detections: an incident is found when a detection of its rule names at least one of
   its event ids; a false positive is a detection that names no planted event id.
4. Puts `--watch-records` EventBridge-shaped events on an SQS queue of a moto server and runs
   `railguard watch` on it (when the worker is available), reporting the same figures.

Writes `benchmarks/results/events.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# RAILGUARD_SRC: replay with another checkout's railguard package (the before/after comparison)
sys.path.insert(0, os.environ.get("RAILGUARD_SRC") or str(HERE.parent))

from events_stream import CONFIG, generate, write_files  # noqa: E402


def _replay_child(location: str, config: str, out: str) -> None:
    """Runs in the child: replay, time each decision, write figures and detections."""
    from railguard.config import load_config
    from railguard.events.detector import Detector, events_config
    from railguard.events.replay import replay

    settings = load_config(Path(config))
    cfg, overrides = events_config(settings.events, settings.baseline.owned_accounts)
    det = Detector(cfg, overrides)
    # decision latency as a histogram of 0.1 µs bins up to 50 ms (last bin: above): constant memory,
    # so peak RSS measures the replay and not the benchmark's own bookkeeping
    bins = 500_000
    hist = array("L", bytes(8 * bins)) if array("L").itemsize == 8 else array("Q", bytes(8 * bins))
    found: list[dict[str, Any]] = []
    process = det.process
    perf = time.perf_counter_ns

    def timed(rec: dict[str, Any]) -> list[Any]:
        t0 = perf()
        res = process(rec)
        hist[min((perf() - t0) // 100, bins - 1)] += 1
        return res

    det.process = timed  # type: ignore[method-assign]
    t0 = time.perf_counter()
    c0 = time.process_time()
    stats = replay(location, det, lambda d: found.append({"rule": d.rule, "event_ids": list(d.event_ids)}))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    n = sum(hist)

    def pct(q: float) -> float:
        """Upper edge of the bin holding the q-quantile, in µs."""
        target, seen = q * n, 0
        for i, c in enumerate(hist):
            seen += c
            if c and seen >= target:
                return (i + 1) / 10
        return 0.0

    top = max((i for i, c in enumerate(hist) if c), default=0)
    Path(out).write_text(json.dumps({
        "records": stats.records, "files": stats.files, "wall_s": wall, "records_per_s": stats.records / wall,
        "cpu_s": cpu, "records_per_cpu_s": stats.records / cpu, "load_avg": os.getloadavg()[0],
        "p50_us": pct(0.5), "p99_us": pct(0.99), "max_us": (top + 1) / 10, "late": stats.late,
        "problems": len(stats.problems),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "detections": found,
    }))


def run_replay(location: Path, config: Path, src: str | None = None) -> dict[str, Any]:
    out = location.parent / f"replay-{location.name}.json"
    cmd = [sys.executable, __file__, "--child", str(location), str(config), str(out)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    env = dict(os.environ, RAILGUARD_SRC=src) if src else None
    subprocess.run(cmd, check=True, env=env)
    return dict(json.loads(out.read_text()))


def score(detections: list[dict[str, Any]], planted: dict[str, list[list[str]]]) -> dict[str, Any]:
    planted_ids = {e for incs in planted.values() for inc in incs for e in inc}
    missed = []
    total = 0
    for rule, incs in planted.items():
        for inc in incs:
            total += 1
            ids = set(inc)
            if not any(d["rule"] == rule and ids & set(d["event_ids"]) for d in detections):
                missed.append(rule)
    fps = [d for d in detections if not planted_ids & set(d["event_ids"])]
    return {"incidents": total, "found": total - len(missed), "missed": missed,
            "false_positives": len(fps), "fp_rules": sorted({d["rule"] for d in fps}),
            "fp_examples": fps[:5]}


def build(records: int, work: Path, config: Path) -> tuple[Path, dict[str, list[list[str]]]]:
    planted: dict[str, list[list[str]]] = {}
    logs = work / f"logs-{records}"
    t0 = time.perf_counter()
    files = write_files(generate(records, planted), logs)
    print(f"generated {records:,} records in {files:,} files ({time.perf_counter() - t0:.0f}s)", flush=True)
    (work / f"planted-{records}.json").write_text(json.dumps(planted))
    return logs, planted


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--watch-records", type=int, default=20_000)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--baseline", default=None,
                    help="a directory holding an earlier railguard package: replayed on the same files, for a ratio")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="railguard-events-bench-"))
    config = work / "railguard.yaml"
    config.write_text(CONFIG)
    results: dict[str, Any] = {"records": args.records}
    for n in (args.records // 4, args.records):
        logs, planted = build(n, work, config)
        r = run_replay(logs, config)
        r["score"] = score(r.pop("detections"), planted)
        results[f"replay_{n}"] = r
        runs = [("", r)]
        if args.baseline:
            b = run_replay(logs, config, args.baseline)
            b["score"] = score(b.pop("detections"), planted)
            results[f"baseline_{n}"] = b
            runs.append(("baseline ", b))
        for label, x in runs:
            print(f"{label}replay {n:,}: {x['records_per_s']:,.0f} records/s wall, {x['records_per_cpu_s']:,.0f} per "
                  f"CPU-second (load average {x['load_avg']:.1f}), p50 {x['p50_us']:.1f} µs, "
                  f"p99 {x['p99_us']:.1f} µs, peak RSS {x['peak_rss_mb']:.0f} MB, "
                  f"found {x['score']['found']}/{x['score']['incidents']}, "
                  f"false positives {x['score']['false_positives']} {x['score']['fp_rules']}", flush=True)
        shutil.rmtree(logs)
    try:
        from watch_bench import run_watch  # type: ignore[import-not-found]
    except ImportError:
        run_watch = None
    if run_watch is not None and args.watch_records:
        results["watch"] = run_watch(args.watch_records, work, config)
    dest = HERE / "results" / "events.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(results, indent=2))
    print(f"wrote {dest}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        os.environ.setdefault("PYTHONHASHSEED", "0")
        _replay_child(*sys.argv[2:5])
    else:
        main()
