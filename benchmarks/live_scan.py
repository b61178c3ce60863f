"""Live-scan benchmark: railguard vs Prowler on the same emulated account (not part of `make test`).

For each scale (lab.scale 1 ~ 100 resources, 20 ~ 2,000) and each per-request delay, it starts
one moto server in this process, seeds the lab account (railguard/demo/seed_*.py), puts the
lab's fault proxy in front (to add latency and count the requests the server receives), then
runs each tool as a child process and prints wall time, requests, peak RSS (from wait4) and,
per CIS 3.0 item, whether each tool reported FAIL.

    .venv/bin/python benchmarks/live_scan.py                      # both scales, 0 and 50 ms
    .venv/bin/python benchmarks/live_scan.py --scales 1 --delays 0 --no-prowler
    .venv/bin/python benchmarks/live_scan.py --frameworks cis-aws-foundations-3.0,railguard-baseline

Prowler is installed into benchmarks/.work/prowler-venv (pip install prowler) on first use.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
PROWLER_VENV = WORK / "prowler-venv"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def ensure_prowler() -> Path | None:
    exe = PROWLER_VENV / "bin" / "prowler"
    if exe.exists():
        return exe
    print("installing prowler into", PROWLER_VENV, file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(PROWLER_VENV)], check=True)
    r = subprocess.run([str(PROWLER_VENV / "bin" / "pip"), "install", "-q", "prowler"])
    return exe if r.returncode == 0 and exe.exists() else None


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """wall seconds, peak RSS in MB, exit code, stderr tail.

    Peak RSS comes from GNU time, which execs the tool from a small process: measuring the
    child of this (large, moto-hosting) process directly would count pages of the fork.
    """
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "RAILGUARD_BENCH_RSS_KB=%M", *cmd], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    rss_kb = 0
    for line in p.stderr.splitlines():
        if line.startswith("RAILGUARD_BENCH_RSS_KB="):
            rss_kb = int(line.split("=", 1)[1])
    return wall, rss_kb // 1024, p.returncode, p.stderr[-800:]


def tool_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    return env


def railguard_fails(out: Path, framework: str) -> set[str]:
    report = json.loads((out / "railguard-report.json").read_text())
    return {i["id"] for i in report["items"] if i["framework"] == framework and i["result"] == "FAIL"}


def prowler_fails(out: Path) -> set[str]:
    fails: set[str] = set()
    for path in glob.glob(str(out / "**" / "*cis_3.0_aws*.csv"), recursive=True):
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                if row.get("STATUS") == "FAIL" and row.get("REQUIREMENTS_ID"):
                    fails.add(row["REQUIREMENTS_ID"])
    return fails


def planted_items(lab_expected: set[tuple[str, str]], framework: str) -> dict[str, set[str]]:
    """CIS item -> planted resources whose control serves it."""
    from railguard import frameworks

    fw = frameworks.load(framework)
    out: dict[str, set[str]] = {}
    for control_id, resource in lab_expected:
        for item in fw.items:
            if control_id in item.controls:
                out.setdefault(item.id, set()).add(resource)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,20")
    ap.add_argument("--delays", default="0,50", help="per-request delay in ms, comma-separated")
    ap.add_argument("--no-prowler", action="store_true")
    ap.add_argument("--frameworks", default="cis-aws-foundations-3.0",
                    help="railguard frameworks; a second run with only CIS 3.0 is added when several")
    args = ap.parse_args()
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    sys.path.insert(0, str(ROOT))
    from railguard.demo.faultproxy import FaultProxy
    from railguard.demo.lab import Lab
    from railguard.demo.run import moto_server, seed_lab

    prowler = None if args.no_prowler else ensure_prowler()
    railguard = str(ROOT / ".venv" / "bin" / "railguard")
    rows = []
    for scale in [int(s) for s in args.scales.split(",")]:
        with moto_server() as endpoint:
            lab = Lab(endpoint_url=endpoint, regions=REGIONS, scale=scale)
            t0 = time.monotonic()
            seed_lab(lab)
            print(f"scale {scale}: seeded in {time.monotonic() - t0:.1f}s", file=sys.stderr)
            resources = count_resources(endpoint)
            planted = planted_items(lab.expected_fail, "cis-aws-foundations-3.0")
            for delay in [int(d) for d in args.delays.split(",")]:
                runs = []
                fw_sets = [args.frameworks] + (["cis-aws-foundations-3.0"] if "," in args.frameworks else [])
                for fws in fw_sets:
                    runs.append((f"railguard [{fws}]", [railguard, "scan", "--framework", fws, "--regions",
                                                       ",".join(REGIONS), "--format", "json,failed", "--quiet"], "rg"))
                if prowler:
                    runs.append(("prowler 5 cis_3.0", [str(prowler), "aws", "-f", *REGIONS, "--compliance", "cis_3.0_aws",
                                                       "--scan-unused-services", "-M", "csv", "json-ocsf", "-b", "-z"], "pw"))
                for name, cmd, kind in runs:
                    out = WORK / f"out-{kind}-{scale}-{delay}-{len(rows)}"
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir(parents=True)
                    cmd = [*cmd, "-o", str(out)]
                    proxy = FaultProxy(endpoint, delay_s=delay / 1000)
                    with proxy as url:
                        wall, rss, code, err = run_child(cmd, tool_env(url))
                    requests = proxy.state.total
                    fails = railguard_fails(out, "cis-aws-foundations-3.0") if kind == "rg" else prowler_fails(out)
                    rows.append({"tool": name, "scale": scale, "resources": resources, "delay_ms": delay,
                                 "wall_s": round(wall, 1), "requests": requests, "peak_rss_mb": rss, "exit": code,
                                 "cis_fail_items": sorted(fails, key=_item_key),
                                 "planted_items_caught": sorted((i for i in planted if i in fails), key=_item_key),
                                 "planted_items": sorted(planted, key=_item_key)})
                    if code not in (0, 1, 3):
                        print(f"{name} exited {code}: {err}", file=sys.stderr)
                    print(json.dumps(rows[-1]), file=sys.stderr)
    print_table(rows)
    (WORK / "live_scan_results.json").write_text(json.dumps(rows, indent=2))


def count_resources(endpoint: str) -> int:
    """Rough count of seeded resources, via a railguard inventory over every collector."""
    from railguard.engine.plan import build_plan
    from railguard.engine.scan import ScanOptions, run_scan

    plan = build_plan([])
    run = run_scan(plan, ScanOptions(endpoint_url=endpoint, regions=REGIONS, region="us-east-1"))
    return int(run.meta.get("resources", 0))


def _item_key(item: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in item.split(".")]


def print_table(rows: list[dict]) -> None:  # type: ignore[type-arg]
    print(f"{'tool':42} {'scale':>5} {'res':>5} {'delay':>5} {'wall s':>7} {'requests':>8} {'RSS MB':>7} {'planted caught':>15}")
    for r in rows:
        caught = f"{len(r['planted_items_caught'])}/{len(r['planted_items'])}"
        print(f"{r['tool']:42} {r['scale']:>5} {r['resources']:>5} {r['delay_ms']:>5} {r['wall_s']:>7} "
              f"{r['requests']:>8} {r['peak_rss_mb']:>7} {caught:>15}")


if __name__ == "__main__":
    main()
