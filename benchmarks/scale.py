"""Organization-scale benchmark: the local executor vs Celery with 1, 2 and 4 `railguard worker`
processes (not part of `make test`).

One moto server in this process holds an organization of N emulated member accounts (default 200);
the lab's fault proxy in front adds a fixed delay per request (default 50 ms) and counts requests. A
real redis-server (Debian's package) is the broker, a SQLite file the store. Each configuration runs
`railguard scan --org` as a child process over the same accounts and controls, and reports wall time,
accounts per minute, API requests received by the proxy, the coordinator's peak RSS and each worker
child's peak RSS (VmHWM, read from /proc before the workers stop), and whether its findings equal
the local run's (fingerprint for fingerprint).

    .venv/bin/python benchmarks/scale.py                         # 200 accounts, 50 ms, local + 1/2/4 workers
    .venv/bin/python benchmarks/scale.py --accounts 40 --workers 1,2
    .venv/bin/python benchmarks/scale.py --accounts 50,100,200 --workers 1 --no-local   # memory vs accounts
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CONTROLS = "ec2.sg-admin-port-open-to-world,ec2.default-sg-restricts-all,s3.account-public-access-block"
REGION = "us-east-1"


def seed(url: str, n: int) -> list[str]:
    import boto3

    org = boto3.client("organizations", endpoint_url=url, region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    return [org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
            for i in range(n)]


def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_s(pid: int) -> float:
    """utime + stime of a live process, from /proc (clock ticks)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for t in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (t / "children").read_text().split()]
    except OSError:
        pass
    return out


def findings(out: Path) -> list[tuple[str, str]]:
    rep = json.loads((out / "railguard-report.json").read_text())
    return sorted((f["fingerprint"], f["result"]) for f in rep["findings"])


def run_scan(env: dict[str, str], cwd: Path, out: Path, extra: list[str]) -> tuple[float, float, int, str]:
    """wall seconds, coordinator peak RSS (MB), exit code, stderr tail (peak RSS and CPU via GNU time when
    present; the CPU seconds are left in cwd/cpu.txt)."""
    cmd = [sys.executable, "-m", "railguard.cli", "scan", "--org", "--regions", REGION, "--controls", CONTROLS,
           "--format", "json", "-q", "-o", str(out), *extra]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    rss_file = cwd / "rss.txt"
    if gnu_time:
        cmd = [gnu_time, "-f", "%M %U %S", "-o", str(rss_file), *cmd]
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.monotonic() - t
    rss = 0.0
    if gnu_time and rss_file.exists():
        kb, user, system = rss_file.read_text().split()[-3:]
        rss = int(kb) / 1024
        (cwd / "cpu.txt").write_text(str(float(user) + float(system)))
    return wall, rss, p.returncode, p.stderr[-1500:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", default="200", help="Member accounts (comma list: one organization each).")
    ap.add_argument("--delay-ms", type=float, default=50.0)
    ap.add_argument("--workers", default="1,2,4", help="Worker process counts to run.")
    ap.add_argument("--concurrency", type=int, default=8, help="Children per worker (and --workers of the local run).")
    ap.add_argument("--no-local", action="store_true")
    args = ap.parse_args()

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                       "MOTO_IAM_LOAD_MANAGED_POLICIES": "false", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})
    from railguard.demo.faultproxy import FaultProxy
    from railguard.demo.run import moto_server, reset_moto

    rows: list[dict[str, Any]] = []
    from tests.scale.redisserver import redis_server

    work = Path(tempfile.mkdtemp(prefix="railguard-scale-"))
    try:
        with redis_server(work) as broker, moto_server() as moto:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "false"  # 200 accounts: not 1,500 managed policies each
            for n in [int(x) for x in args.accounts.split(",")]:
                reset_moto(moto)
                seed(moto, n)
                proxy = FaultProxy(moto, delay_s=args.delay_ms / 1000)
                with proxy as url:
                    rows += bench(n, url, proxy, broker, work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(rows, indent=2))
    local = next((r for r in rows if r["executor"] == "local"), None)
    print(f"\n{'executor':<10} {'workers':>7} {'accounts':>8} {'wall s':>8} {'acct/min':>9} {'requests':>9} "
          f"{'coord MB':>9} {'child MB':>9} {'emu busy':>9} {'rg cpu s':>9} {'load':>5} {'same':>5}")
    for r in rows:
        print(f"{r['executor']:<10} {r['workers']:>7} {r['accounts']:>8} {r['wall_s']:>8.1f} {r['accounts_per_min']:>9.0f} "
              f"{r['requests']:>9} {r['coordinator_peak_mb']:>9.0f} {r['worker_child_peak_mb']:>9.0f} "
              f"{r['emulator_busy_pct']:>8}% {r['coordinator_cpu_s'] + r.get('workers_cpu_s', 0):>9.0f} "
              f"{r['load_avg_1m']:>5} {r.get('same_findings', '-')!s:>5}")
    if local:
        one = next((r for r in rows if r["executor"] == "celery" and r["workers"] == 1), None)
        if one:
            print(f"engine overhead (celery 1 worker vs local): {100 * (one['wall_s'] / local['wall_s'] - 1):+.0f}%")


def bench(n: int, url: str, proxy: Any, broker: str, work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAILGUARD_")}
    env.update({"AWS_ENDPOINT_URL": url, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "PYTHONPATH": str(ROOT)})
    baseline: list[tuple[str, str]] | None = None
    if not args.no_local:
        d = work / f"local-{n}"
        d.mkdir()
        before, cpu0 = _count(proxy), _cpu_s()
        wall, rss, rc, err = run_scan(env, d, d / "out", ["--executor", "local", "--workers", str(args.concurrency)])
        cpu = _cpu_s() - cpu0
        if rc not in (0, 1):
            sys.exit(f"local scan failed ({rc}): {err}")
        baseline = findings(d / "out")
        rows.append(_emu({"executor": "local", "workers": 0, "accounts": n, "wall_s": round(wall, 2),
                          "accounts_per_min": round(n / wall * 60, 1), "requests": _count(proxy) - before,
                          "coordinator_peak_mb": round(rss), "worker_child_peak_mb": 0, "findings": len(baseline),
                          "coordinator_cpu_s": _coord_cpu(d)}, cpu))
    for w in [int(x) for x in args.workers.split(",")]:
        d = work / f"celery-{n}-{w}"
        d.mkdir()
        import redis

        redis.Redis.from_url(broker).flushdb()
        db = d / "store.db"
        wenv = {**env, "RAILGUARD_BROKER_URL": broker, "RAILGUARD_DB": f"sqlite:///{db}"}
        procs = [subprocess.Popen([sys.executable, "-m", "railguard.cli", "worker", "--concurrency", str(args.concurrency),
                                   "--threads", "4"], env=wenv, cwd=d, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=open(d / f"worker-{i}.log", "wb"))  # noqa: SIM115
                 for i in range(w)]
        _wait_ready(broker, w)
        before, cpu0 = _count(proxy), _cpu_s()
        wall, rss, rc, err = run_scan(wenv, d, d / "out", ["--executor", "celery", "--db", str(db)])
        requests, cpu = _count(proxy) - before, _cpu_s() - cpu0
        peaks = [vm_hwm_mb(c) for p in procs for c in children(p.pid)]
        workers_cpu = sum(cpu_s(c) for p in procs for c in children(p.pid)) + sum(cpu_s(p.pid) for p in procs)
        mains = [vm_hwm_mb(p.pid) for p in procs]
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        if rc not in (0, 1):
            sys.exit(f"celery scan with {w} worker(s) failed ({rc}): {err}")
        got = findings(d / "out")
        rows.append(_emu({"executor": "celery", "workers": w, "accounts": n, "wall_s": round(wall, 2),
                     "accounts_per_min": round(n / wall * 60, 1), "requests": requests,
                     "coordinator_peak_mb": round(rss), "worker_child_peak_mb": round(max(peaks or [0])),
                     "worker_main_peak_mb": round(max(mains or [0])), "worker_total_mb": round(sum(peaks) / max(w, 1) + max(mains or [0])),
                     "findings": len(got), "same_findings": (got == baseline) if baseline is not None else None,
                     "workers_cpu_s": round(workers_cpu, 1), "coordinator_cpu_s": _coord_cpu(d)}, cpu))
    return rows


def _wait_ready(broker: str, n: int, timeout: float = 120) -> None:
    """Until the n workers answer a ping (their start-up is not the engine's overhead)."""
    from railguard.executor.app import make_app

    app = make_app(broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0) or []) >= n:
            return
    sys.exit(f"{n} worker(s) did not answer within {timeout:g} s")


def _count(proxy: Any) -> int:
    return int(proxy.state.total)


def _cpu_s() -> float:
    """CPU seconds of this process: moto and the fault proxy run in its threads (one GIL)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _coord_cpu(d: Path) -> float:
    try:
        return round(float((d / "cpu.txt").read_text()), 1)
    except (OSError, ValueError):
        return 0.0


def _emu(row: dict[str, Any], cpu: float) -> dict[str, Any]:
    """The emulator's CPU over the run: near 100% of one core means moto is the bottleneck."""
    return {**row, "emulator_cpu_s": round(cpu, 1), "emulator_busy_pct": round(100 * cpu / max(row["wall_s"], 1e-9)),
            "load_avg_1m": round(os.getloadavg()[0], 1)}


if __name__ == "__main__":
    main()
