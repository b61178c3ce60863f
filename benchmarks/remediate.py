"""Remediation benchmark: railguard vs Cloud Custodian 0.9 on the same emulated account (not in `make test`).

Part 1, security groups: one moto server in this process, the lab's fault proxy in front (it
counts every request the server receives and can add a fixed delay per request to model AWS
latency), N world-open security groups (tcp/22 from 0.0.0.0/0, plus tcp/443 from 10.0.0.0/8 that
must be kept). Each tool runs as a child process against the proxy and fixes every group:

- railguard: a guardrail `mode: remediate` with `ec2.revoke-world-ingress`, run with apply (plan
  from the scan, record prior state, apply, re-read and re-evaluate, journal into SQLite). A
  dry run first measures what the collection alone costs, so requests per action are
  (apply-run requests - dry-run requests) / actions.
- Cloud Custodian: `custodian run` of an `aws.security-group` policy, `ingress` filter on
  0.0.0.0/0, action `remove-permissions` with `ingress: matched` (no prior state, no verify).

Afterwards the benchmark re-reads every group: the world rule must be gone, the 10.0.0.0/8 rule kept.

Part 2, assess mode: M world-open groups -> M findings through a `mode: assess` guardrail into a
fresh SQLite store, against the same collection and evaluation without the store (a plain scan).

    .venv/bin/python benchmarks/remediate.py                       # 500 groups at 0 and 50 ms, 5,000 findings
    .venv/bin/python benchmarks/remediate.py --groups 50 --findings 500 --delays 0 --repeats 1
    .venv/bin/python benchmarks/remediate.py --no-custodian

Cloud Custodian is installed into benchmarks/.work/custodian-venv (pip install 'c7n>=0.9,<0.10')
on first use. Results: benchmarks/results/remediate.{json,txt}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "remediate"
C7N_VENV = ROOT / "benchmarks" / ".work" / "custodian-venv"
RESULTS = ROOT / "benchmarks" / "results"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
CONTROL = "ec2.sg-admin-port-open-to-world"
ACTION = "ec2.revoke-world-ingress"

GUARDRAIL = """\
guardrails:
  - name: bench-world-ssh
    controls: [{control}]
    scope: {{regions: [{region}]}}
    mode: {mode}
    action: {{id: {action}}}
    safeguards: {{max_actions: {max_actions}, window: 1h}}
"""

CUSTODIAN_POLICY = """\
policies:
  - name: bench-world-ssh
    resource: aws.security-group
    filters:
      - type: ingress
        Ports: [22]
        Cidr: {value: "0.0.0.0/0"}
    actions:
      - type: remove-permissions
        ingress: matched
"""


# ---------------------------------------------------------------- the emulated account


def ensure_custodian() -> tuple[Path | None, str]:
    """The `custodian` executable in its own venv, or None and why not."""
    exe = C7N_VENV / "bin" / "custodian"
    if not exe.exists():
        print("installing Cloud Custodian into", C7N_VENV, file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(C7N_VENV)], check=True)
        r = subprocess.run([str(C7N_VENV / "bin" / "pip"), "install", "-q", "c7n>=0.9,<0.10"],
                           capture_output=True, text=True)
        if r.returncode != 0 or not exe.exists():
            return None, f"pip install c7n failed ({r.returncode}): {r.stderr.strip()[-600:]}"
    r = subprocess.run([str(exe), "version"], capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"custodian version failed ({r.returncode}): {r.stderr.strip()[-600:]}"
    return exe, r.stdout.strip()


def tool_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true", PYTHONPATH=str(ROOT))
    return env


def _ec2(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("ec2", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(max_pool_connections=16))


def seed_groups(endpoint: str, n: int) -> list[str]:
    """`n` world-open groups in one VPC. Seeding is not measured: the groups go straight into the
    in-process moto backend the server serves (the same rules as through the API, read back through
    the API by both tools), because seeding thousands over HTTP on a loaded machine takes most of an hour."""
    from moto.ec2.models import ec2_backends

    vpc = _ec2(endpoint).create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    backend = ec2_backends[ACCOUNT][REGION]
    out = []
    for i in range(n):
        gid = backend.create_security_group(f"bench-open-{i:05d}", "world ssh", vpc).id
        backend.authorize_security_group_ingress(gid, "tcp", "22", "22", [{"CidrIp": "0.0.0.0/0"}], vpc_id=vpc)
        backend.authorize_security_group_ingress(gid, "tcp", "443", "443", [{"CidrIp": "10.0.0.0/8"}], vpc_id=vpc)
        out.append(str(gid))
    return out


def check_groups(endpoint: str, ids: list[str]) -> dict[str, int]:
    """How many groups lost their world rule, and how many kept the 10.0.0.0/8 one."""
    ec2 = _ec2(endpoint)
    wanted, fixed, kept = set(ids), 0, 0
    for page in ec2.get_paginator("describe_security_groups").paginate():
        for g in page["SecurityGroups"]:
            if g["GroupId"] not in wanted:
                continue
            cidrs = {(p.get("FromPort"), r["CidrIp"]) for p in g["IpPermissions"] for r in p.get("IpRanges", [])}
            fixed += (22, "0.0.0.0/0") not in cidrs
            kept += (443, "10.0.0.0/8") in cidrs
    return {"groups": len(ids), "fixed": fixed, "kept_internal_rule": kept}


@contextmanager
def account(delay_ms: int) -> Iterator[tuple[str, Any]]:
    """moto on 127.0.0.1 and the counting proxy in front: (moto url, proxy). Starting the server
    resets moto's backends; on a loaded machine that can time out, so it is tried three times."""
    from railguard.demo.faultproxy import FaultProxy
    from railguard.demo.run import moto_server

    for attempt in range(3):
        server = moto_server()
        try:
            url = server.__enter__()
            break
        except OSError:  # the reset timed out
            if attempt == 2:
                raise
            time.sleep(5)
    try:
        proxy = FaultProxy(url, delay_s=delay_ms / 1000)
        with proxy:
            yield url, proxy
    finally:
        server.__exit__(None, None, None)


def _requests(proxy: Any) -> dict[str, int]:
    with proxy.state.lock:
        return dict(proxy.state.counts)


def _reset_counts(proxy: Any) -> None:
    with proxy.state.lock:
        proxy.state.counts.clear()


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.monotonic()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    return time.monotonic() - start, p


# ---------------------------------------------------------------- railguard, in a child process


def child(args: argparse.Namespace) -> None:
    """Run one railguard pass and print its phases as JSON (the parent times the whole process)."""
    from railguard.engine.scan import ScanOptions
    from railguard.guardrails.load import load_guardrails
    from railguard.guardrails.run import observe
    from railguard.remediation.pipeline import Context, run_pipeline
    from railguard.store import open_store

    t0 = time.monotonic()
    rules = load_guardrails([Path(args.guardrail)])
    from railguard.sources.aws.deadlines import Timeouts

    # moto renders thousands of groups slowly on a loaded host: the benchmark allows the read time
    # botocore gives Custodian by default (60 s) and more tries, so a slow page is not a gap here
    opts = ScanOptions(endpoint_url=os.environ["AWS_ENDPOINT_URL"], regions=[REGION],
                       timeouts=Timeouts(read=120.0, call=600.0))
    seen = observe(rules, opts)
    t1 = time.monotonic()
    out: dict[str, Any] = {"observe_s": t1 - t0, "findings": sum(f.result.value == "FAIL" for f in seen.findings)}
    if args.child != "scan":
        store = open_store(args.db)
        t2 = time.monotonic()
        result = run_pipeline(rules, seen.findings, seen.inventory, seen.sessions, store, now=seen.now,
                              apply=args.apply, context=Context(trigger="manual"), covered=seen.covered)
        t3 = time.monotonic()
        rows = store.journal.query(run_id=result.run_id)
        out.update(pipeline_s=t3 - t2, open_store_s=t2 - t1, counts=result.counts,
                   journal=len(rows), journal_with_prior=sum(bool(r.prior) for r in rows),
                   findings_stored=len(store.findings.query()))
    print(json.dumps(out))


def railguard_pass(endpoint: str, guardrail: Path, db: Path | None, mode: str, apply: bool) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--guardrail", str(guardrail)]
    if db is not None:
        db.unlink(missing_ok=True)
        cmd += ["--db", f"sqlite:///{db}"]
    if apply:
        cmd.append("--apply")
    wall, p = _timed(cmd, tool_env(endpoint), WORK)
    if p.returncode != 0:
        raise SystemExit(f"railguard pass failed ({p.returncode}):\n{p.stderr[-3000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    if db is not None:
        out["db_bytes"] = db.stat().st_size
    return out


def write_guardrail(mode: str, max_actions: int) -> Path:
    path = WORK / f"guardrail-{mode}.yaml"
    path.write_text(GUARDRAIL.format(control=CONTROL, region=REGION, mode=mode, action=ACTION,
                                     max_actions=max_actions))
    return path


# ---------------------------------------------------------------- Cloud Custodian


def custodian_pass(exe: Path, endpoint: str) -> dict[str, Any]:
    policy = WORK / "custodian-policy.yml"
    policy.write_text(CUSTODIAN_POLICY)
    out_dir = WORK / "custodian-out"
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [str(exe), "run", "-s", str(out_dir), "--region", REGION, "--cache-period", "0", str(policy)]
    wall, p = _timed(cmd, tool_env(endpoint), WORK)
    meta_path = out_dir / "bench-world-ssh" / "metadata.json"
    if p.returncode != 0 or not meta_path.exists():
        return {"error": f"custodian run exited {p.returncode}: {p.stderr.strip()[-1500:]}", "wall_s": wall}
    meta = json.loads(meta_path.read_text())
    metrics = {m["MetricName"]: m["Value"] for m in meta.get("metrics", [])}
    return {"wall_s": wall, "resources": metrics.get("ResourceCount"), "describe_s": metrics.get("ResourceTime"),
            "action_s": metrics.get("ActionTime"), "api_stats": meta.get("api-stats", {}),
            "version": meta.get("version")}


# ---------------------------------------------------------------- the two parts


def part_groups(n: int, delay_ms: int, custodian: Path | None, repeats: int) -> dict[str, Any]:
    rows: dict[str, Any] = {"groups": n, "delay_ms": delay_ms, "railguard": [], "custodian": []}
    guard = write_guardrail("remediate", max_actions=n + 10)
    for rep in range(repeats):
        tools: list[tuple[str, Callable[[str, Any], dict[str, Any]]]] = [("railguard", _rg_groups(guard, rep))]
        if custodian is not None:
            tools.append(("custodian", lambda url, proxy: _c7n_groups(custodian, url, proxy)))
        if rep % 2:  # alternate who goes first, so a noisy neighbour hurts both alike
            tools.reverse()
        for name, run in tools:
            with account(delay_ms) as (url, proxy):
                ids = seed_groups(url, n)
                _reset_counts(proxy)
                row = run(url, proxy)
                row["check"] = check_groups(url, ids)
            rows[name].append(row)
            print(f"  {name:9} {n} groups, {delay_ms} ms, run {rep + 1}: {_brief(row)}", file=sys.stderr)
    return rows


def _rg_groups(guard: Path, rep: int) -> Callable[[str, Any], dict[str, Any]]:
    def run(url: str, proxy: Any) -> dict[str, Any]:
        dry = railguard_pass(proxy_url(proxy), guard, WORK / f"dry-{rep}.db", "remediate", apply=False)
        dry["requests"] = _requests(proxy)
        _reset_counts(proxy)
        applied = railguard_pass(proxy_url(proxy), guard, WORK / f"apply-{rep}.db", "remediate", apply=True)
        applied["requests"] = _requests(proxy)
        return {"dry_run": dry, "apply": applied}

    return run


def _c7n_groups(exe: Path, url: str, proxy: Any) -> dict[str, Any]:
    out = custodian_pass(exe, proxy_url(proxy))
    out["requests"] = _requests(proxy)
    return out


def proxy_url(proxy: Any) -> str:
    return str(proxy.url)


def _brief(row: dict[str, Any]) -> str:
    if "apply" in row:
        a, d = row["apply"], row["dry_run"]
        return (f"wall {a['wall_s']:.1f} s (observe {a['observe_s']:.1f}, pipeline {a['pipeline_s']:.1f}), "
                f"requests {a['requests']} (dry run: {d['requests']}), {a.get('counts')}, "
                f"prior recorded {a['journal_with_prior']}, {row['check']}")
    if "error" in row:
        return row["error"][:300]
    return (f"wall {row['wall_s']:.1f} s (describe {row.get('describe_s')}, actions {row.get('action_s')}), "
            f"requests {row['requests']}, {row['check']}")


def part_assess(m: int, repeats: int) -> dict[str, Any]:
    guard = write_guardrail("assess", max_actions=5)
    rows: dict[str, Any] = {"findings": m, "scan": [], "assess": []}
    with account(0) as (url, proxy):
        seed_groups(url, m)
        for rep in range(repeats):
            order = [("scan", "scan"), ("assess", "assess")]
            if rep % 2:
                order.reverse()
            for label, mode in order:
                _reset_counts(proxy)
                db = WORK / f"assess-{rep}.db" if mode == "assess" else None
                row = railguard_pass(proxy_url(proxy), guard, db, mode, apply=False)
                row["requests"] = _requests(proxy)
                rows[label].append(row)
                print(f"  {label:6} {m} findings, run {rep + 1}: wall {row['wall_s']:.1f} s, "
                      f"observe {row['observe_s']:.1f} s, pipeline {row.get('pipeline_s', 0):.1f} s", file=sys.stderr)
    return rows


# ---------------------------------------------------------------- summary


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize_groups(r: dict[str, Any]) -> dict[str, Any]:
    n = r["groups"]
    out: dict[str, Any] = {"groups": n, "delay_ms": r["delay_ms"]}
    rg = r["railguard"]
    if rg:
        applied = [x["apply"] for x in rg]
        acted = [x["counts"].get("applied", 0) for x in applied]
        extra = [sum(x["apply"]["requests"].values()) - sum(x["dry_run"]["requests"].values()) for x in rg]
        out["railguard"] = {
            "wall_s": _med([x["wall_s"] for x in applied]),
            "actions": min(acted),
            "actions_per_s_wall": _med([a / x["wall_s"] for a, x in zip(acted, applied, strict=True)]),
            "actions_per_s_pipeline": _med([a / x["pipeline_s"] for a, x in zip(acted, applied, strict=True)]),
            "requests_total": _med([sum(x["requests"].values()) for x in applied]),
            "requests_per_action": _med([e / a for e, a in zip(extra, acted, strict=True) if a]),
            "requests_by_call": applied[0]["requests"],
            "dry_run_requests": rg[0]["dry_run"]["requests"],
            "journal_with_prior": min(x["journal_with_prior"] for x in applied),
            "check": [x["check"] for x in rg],
        }
    c7 = [x for x in r["custodian"] if "error" not in x]
    if c7:
        out["custodian"] = {
            "wall_s": _med([x["wall_s"] for x in c7]),
            "actions": min(x["check"]["fixed"] for x in c7),
            "actions_per_s_wall": _med([n / x["wall_s"] for x in c7]),
            "actions_per_s_action_phase": _med([n / x["action_s"] for x in c7 if x.get("action_s")]),
            "requests_total": _med([sum(x["requests"].values()) for x in c7]),
            "requests_per_action": _med([x["requests"].get("ec2:RevokeSecurityGroupIngress", 0) / n for x in c7]),
            "requests_by_call": c7[0]["requests"],
            "check": [x["check"] for x in c7],
            "version": c7[0].get("version"),
        }
    elif r["custodian"]:
        out["custodian"] = {"error": r["custodian"][0]["error"]}
    return out


def summarize_assess(r: dict[str, Any]) -> dict[str, Any]:
    scan, assess = r["scan"], r["assess"]
    scan_wall, assess_wall = _med([x["wall_s"] for x in scan]), _med([x["wall_s"] for x in assess])
    return {
        "findings": _med([x["findings"] for x in assess]),
        "findings_stored": min(x["findings_stored"] for x in assess),
        "scan_wall_s": scan_wall, "assess_wall_s": assess_wall,
        "added_wall_pct": 100 * (assess_wall - scan_wall) / scan_wall,
        "pipeline_s": _med([x["pipeline_s"] for x in assess]),
        "findings_per_s_pipeline": _med([x["findings"] / x["pipeline_s"] for x in assess]),
        "pipeline_over_observe_pct": _med([100 * (x["pipeline_s"] + x["open_store_s"]) / x["observe_s"] for x in assess]),
        "db_mb": _med([x["db_bytes"] for x in assess]) / 1e6,
        "requests_scan": _med([sum(x["requests"].values()) for x in scan]),
        "requests_assess": _med([sum(x["requests"].values()) for x in assess]),
    }


def table(summary: dict[str, Any]) -> str:
    lines = [f"machine: {summary['machine']}", f"date: {summary['date']}", ""]
    lines.append("| tool | groups | delay | wall s | actions | actions/s (wall) | actions/s (action phase) "
                 "| requests | requests/action | prior state recorded | world rule gone / internal kept |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for g in summary["groups"]:
        for tool in ("railguard", "custodian"):
            t = g.get(tool)
            if not t:
                continue
            if "error" in t:
                lines.append(f"| {tool} | {g['groups']} | {g['delay_ms']} ms | error: {t['error'][:200]} |")
                continue
            phase = t.get("actions_per_s_pipeline", t.get("actions_per_s_action_phase"))
            checks = ", ".join(f"{c['fixed']}/{c['kept_internal_rule']}" for c in t["check"])
            prior = t.get("journal_with_prior", "no")
            lines.append(f"| {tool} | {g['groups']} | {g['delay_ms']} ms | {t['wall_s']:.1f} | {t['actions']} "
                         f"| {t['actions_per_s_wall']:.1f} | {phase:.1f} | {t['requests_total']:.0f} "
                         f"| {t['requests_per_action']:.2f} | {prior} | {checks} |")
    a = summary.get("assess")
    if a:
        lines += ["", "| findings | stored | plain scan wall s | assess wall s | added | pipeline s | findings/s "
                  "| DB MB | requests scan / assess |", "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
                  f"| {a['findings']:.0f} | {a['findings_stored']} | {a['scan_wall_s']:.1f} | {a['assess_wall_s']:.1f} "
                  f"| {a['added_wall_pct']:.1f}% | {a['pipeline_s']:.2f} | {a['findings_per_s_pipeline']:.0f} "
                  f"| {a['db_mb']:.1f} | {a['requests_scan']:.0f} / {a['requests_assess']:.0f} |"]
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, load average {load:.1f} at start"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=500)
    ap.add_argument("--findings", type=int, default=5000)
    ap.add_argument("--delays", default="0,50", help="per-request delay in ms for part 1, comma-separated")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-custodian", action="store_true")
    ap.add_argument("--skip-assess", action="store_true")
    ap.add_argument("--out", default=str(RESULTS / "remediate"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--guardrail", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--apply", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        child(args)
        return
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    WORK.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"machine": machine(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    exe: Path | None = None
    if not args.no_custodian:
        exe, version = ensure_custodian()
        summary["custodian"] = version if exe else f"not run: {version}"
        print("custodian:", summary["custodian"], file=sys.stderr)
    raw: dict[str, Any] = {"groups": [], "assess": None}
    summary["groups"] = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> str:  # after each part, so a long run that is stopped keeps what it measured
        text = table(summary)
        out.with_suffix(".json").write_text(json.dumps({"summary": summary, "raw": raw}, indent=1, default=str))
        out.with_suffix(".txt").write_text(text + "\n")
        return text

    for delay in [int(d) for d in args.delays.split(",") if d.strip()]:
        r = part_groups(args.groups, delay, exe, args.repeats)
        raw["groups"].append(r)
        summary["groups"].append(summarize_groups(r))
        save()
    if not args.skip_assess:
        raw["assess"] = part_assess(args.findings, args.repeats)
        summary["assess"] = summarize_assess(raw["assess"])
    print(save())


if __name__ == "__main__":
    main()
