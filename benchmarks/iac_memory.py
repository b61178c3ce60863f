"""IaC scan memory and time on large inputs (issue 13, point 6), before and after.

1. One CloudFormation template of about 1.8 MB with 50,000 resources (bare topics, queues and
   buckets, and open security groups), scanned with `--format json -o FILE`.
2. 2,000 templates of 25 resources each in one directory (a large mono-repo), same flags.

Each scan runs as its own process under GNU time (peak RSS) and wall-clock time is measured
around it. `--tree DIR` runs another checkout's code (e.g. `git worktree add /tmp/before main~N`)
to compare before and after on the same inputs.

    .venv/bin/python benchmarks/iac_memory.py [--tree /tmp/before] [--resources 50000] [--files 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def template(n: int, seed: int = 0) -> str:
    """`n` resources in about 36 bytes each: bare topics, queues and buckets (each fails some
    control), and every 50th a security group open to the world on port 22."""
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Resources:"]
    kinds = ("AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::S3::Bucket")
    for i in range(n):
        if (i + seed) % 50 == 0:
            lines.append(f"  G{i}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: g, "
                         "SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]}}")
        else:
            lines.append(f"  R{i}: {{Type: {kinds[(i + seed) % 3]}}}")
    return "\n".join(lines) + "\n"


def run(tree: Path, args: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS MB, exit code) of `railguard iac scan ARGS` from `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "RSS_KB=%M", sys.executable, "-m", "railguard.cli", "iac", "scan",
                        *args], env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    rss = next((int(ln.split("=")[1]) for ln in p.stderr.splitlines() if ln.startswith("RSS_KB=")), 0)
    return wall, rss // 1024, p.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", type=Path, default=REPO, help="checkout whose railguard to run")
    ap.add_argument("--resources", type=int, default=50_000)
    ap.add_argument("--files", type=int, default=2_000)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.yaml"
        big.write_text(template(opts.resources))
        out = Path(tmp) / "big.json"
        wall, rss, code = run(opts.tree, [str(big), "--format", "json", "-o", str(out)])
        print(f"one template: {big.stat().st_size / 1e6:.1f} MB, {opts.resources} resources: "
              f"{wall:.1f} s, peak RSS {rss} MB, JSON report {out.stat().st_size / 1e6:.1f} MB, exit {code}")
        repo = Path(tmp) / "repo"
        repo.mkdir()
        for i in range(opts.files):
            (repo / f"stack{i:04d}.yaml").write_text(template(25, seed=i))
        out = Path(tmp) / "repo.json"
        wall, rss, code = run(opts.tree, [str(repo), "--format", "json", "-o", str(out)])
        print(f"{opts.files} templates of 25 resources: {wall:.1f} s, peak RSS {rss} MB, "
              f"JSON report {out.stat().st_size / 1e6:.1f} MB, exit {code}")


if __name__ == "__main__":
    main()
