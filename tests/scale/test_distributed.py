"""Distributed scans on real `railguard worker` processes over a real Redis, against moto's organization
of 50 member accounts: the same report as the local executor, whatever happens to the workers."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.scale.conftest import CONTROLS, REGION, Workers, railguard

pytestmark = pytest.mark.e2e

SCAN = ("scan", "--org", "--regions", REGION, "--controls", CONTROLS, "--format", "json", "-q")


def config(tmp: Path, **executor: Any) -> None:
    settings = {"name": "celery", "heartbeat_stale": 15, "poll": 0.2, **executor}
    (tmp / "railguard.yaml").write_text(json.dumps({"executor": settings}))


def report(out: Path) -> dict[str, Any]:
    return json.loads((out / "railguard-report.json").read_text())


def essence(rep: dict[str, Any]) -> dict[str, Any]:
    """What must be equal: items with their assessment and offenders, and every finding by fingerprint."""
    items = {(i["framework"], i["id"]): (i["assessment"], i["checked"],
                                         sorted(o["fingerprint"] for o in i["offenders"])) for i in rep["items"]}
    findings = sorted((f["fingerprint"], f["result"], f["reason"]) for f in rep["findings"])
    return {"items": items, "findings": findings, "accounts": sorted(rep["accounts"])}


@pytest.fixture(scope="module")
def local_report(tmp_path_factory: pytest.TempPathFactory, moto_org: dict[str, Any], redis_url: str) -> dict[str, Any]:
    from tests.scale.conftest import base_env

    tmp = tmp_path_factory.mktemp("local")
    p = railguard(*SCAN, "--executor", "local", "-o", str(tmp / "out"), env=base_env(moto_org["url"], redis_url,
                  tmp / "store.db"), cwd=tmp)
    assert p.returncode in (0, 1), p.stderr
    rep = report(tmp / "out")
    assert len(rep["accounts"]) == 51 and any(f["result"] == "FAIL" for f in rep["findings"])
    return rep


def _run_id(db: Path, timeout: float = 60) -> str:
    from railguard.store import open_store

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            with open_store(f"sqlite:///{db}") as store:
                runs = store.runs.latest("scan", 1)
                if runs:
                    return runs[0].id
        time.sleep(0.2)
    raise AssertionError("no run was started")


def _tasks(db: Path, run_id: str) -> Any:
    from railguard.store import open_store
    from railguard.store.tasks import TaskRepo

    with open_store(f"sqlite:///{db}") as store:
        return TaskRepo(store).states(run_id)


def test_distributed_scan_equals_local(workers: Workers, local_report: dict[str, Any], tmp_path: Path) -> None:
    config(tmp_path)
    workers.start(2)
    p = railguard(*SCAN, "--db", str(tmp_path / "store.db"), "-o", str(tmp_path / "out"), env=workers.env,
                  cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr + workers.logs()
    rep = report(tmp_path / "out")
    assert essence(rep) == essence(local_report)
    fps = [f["fingerprint"] for f in rep["findings"]]
    assert len(fps) == len(set(fps))
    states = _tasks(tmp_path / "store.db", rep["meta"]["run_id"] if "run_id" in rep.get("meta", {}) else
                    _run_id(tmp_path / "store.db"))
    kinds = Counter(s.kind for s in states)
    assert kinds["discover"] == 51 and kinds["collect"] == 102  # (account, region, group) units
    assert {s.status for s in states} == {"done"}
    assert len({s.worker.split(":")[1] for s in states if s.worker}) >= 2  # the units were spread


def _worker_of(states: Any, procs: list[Any]) -> Any:
    """The `railguard worker` process whose child runs one of `states` (a task running now)."""
    for st in states:
        if st.status != "running" or not st.worker:
            continue
        pid = int(st.worker.rsplit(":", 1)[1])
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        for p in procs:
            if p.pid in (pid, ppid):
                return p
    return None


def _wait_for(cond: Any, timeout: float = 300, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkilled_worker_loses_nothing_and_doubles_nothing(workers: Workers, local_report: dict[str, Any],
                                                            tmp_path: Path) -> None:
    from tests.scale.conftest import start_railguard

    config(tmp_path)
    procs = workers.start(2, env={"RG_TEST_SLOW": "0.3"})
    db = tmp_path / "store.db"
    scan = start_railguard(*SCAN, "--db", str(db), "-o", str(tmp_path / "out"), env=workers.env, cwd=tmp_path)
    run_id = _run_id(db)
    victim = _wait_for(lambda: sum(s.status == "done" for s in _tasks(db, run_id)) >= 20
                       and _worker_of(_tasks(db, run_id), procs), what="a worker in the middle of a task")
    workers.kill(victim)  # SIGKILL to the worker and its children, mid-task
    _out, err = scan.communicate(timeout=900)
    assert scan.returncode in (0, 1), err + workers.logs()
    rep = report(tmp_path / "out")
    assert essence(rep) == essence(local_report)
    fps = [f["fingerprint"] for f in rep["findings"]]
    assert len(fps) == len(set(fps))
    states = _tasks(db, run_id)
    assert {s.status for s in states} == {"done"}
    assert any(s.attempt > 1 for s in states), "the killed worker's task was re-queued by the watchdog"


def test_a_task_over_its_memory_limit_and_a_stuck_task_become_gaps_the_rest_completes(
        workers: Workers, moto_org: dict[str, Any], local_report: dict[str, Any], tmp_path: Path) -> None:
    hog, stuck = moto_org["members"][3], moto_org["members"][7]
    config(tmp_path, task_deadline=30, max_attempts=1)  # generous: a loaded CI machine is slow, not stuck
    workers.start(2, "--task-memory", "500", env={"RG_TEST_HOG_ACCOUNT": hog, "RG_TEST_STUCK_ACCOUNT": stuck})
    db = tmp_path / "store.db"
    p = railguard(*SCAN, "--db", str(db), "-o", str(tmp_path / "out"), env=workers.env, cwd=tmp_path)
    assert p.returncode in (0, 1, 5), p.stderr + workers.logs()
    rep = report(tmp_path / "out")
    gaps = {a: [g["reason"] for g in rep["gaps"] if g["account"] == a] for a in (hog, stuck)}
    assert gaps[hog] and all("memory limit" in r for r in gaps[hog]), gaps
    assert gaps[stuck] and all("stuck" in r for r in gaps[stuck]), gaps
    # those accounts are UNKNOWN, never PASS; every other account is exactly as in the local scan
    for acct in (hog, stuck):
        assert any(f["account"] == acct and f["result"] == "UNKNOWN" for f in rep["findings"])
    assert not any(f["account"] in (hog, stuck) and f["result"] == "PASS" for f in rep["findings"])

    def others(r: dict[str, Any]) -> list[Any]:
        return sorted((f["fingerprint"], f["result"]) for f in r["findings"] if f["account"] not in (hog, stuck))

    assert others(rep) == others(local_report)
    assert len(rep["accounts"]) == 51
    shown = json.loads(railguard("runs", "show", rep["meta"]["run_id"], "--db", str(db), "--json",
                                 env=workers.env, cwd=tmp_path).stdout)
    assert {t["account"] for t in shown["tasks_not_done"]} == {hog, stuck}
    assert all(t["status"] == "failed" for t in shown["tasks_not_done"])


def test_cancel_stops_a_run(workers: Workers, tmp_path: Path) -> None:
    from tests.scale.conftest import start_railguard

    config(tmp_path)
    workers.start(1, env={"RG_TEST_SLOW": "1"})
    db = tmp_path / "store.db"
    scan = start_railguard(*SCAN, "--db", str(db), "-o", str(tmp_path / "out"), env=workers.env, cwd=tmp_path)
    run_id = _run_id(db)
    _wait_for(lambda: any(s.kind == "collect" for s in _tasks(db, run_id)), what="collect tasks")
    p = railguard("runs", "cancel", run_id, "--db", str(db), env=workers.env, cwd=tmp_path)
    assert p.returncode == 0 and "cancelling" in p.stdout, p.stderr
    _out, err = scan.communicate(timeout=300)
    assert scan.returncode == 130 and "cancelled" in err, err
    assert not (tmp_path / "out" / "railguard-report.json").exists()
    shown = railguard("runs", "show", run_id, "--db", str(db), "--json", env=workers.env, cwd=tmp_path)
    got = json.loads(shown.stdout)
    assert got["status"] == "cancelled" and got["tasks"].get("cancelled", 0) > 0
    assert got["tasks"].get("done", 0) < len(_tasks(db, run_id))
    listed = railguard("runs", "list", "--db", str(db), env=workers.env, cwd=tmp_path)
    assert run_id in listed.stdout and "cancelled" in listed.stdout
