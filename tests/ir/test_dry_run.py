"""`--dry-run` on `ir resume` and `ir release`: the steps still to run, from what the case recorded; nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from railguard.cli.main import app
from railguard.ir import service
from railguard.store import Store
from railguard.store import cases as C
from tests.ir.scenario import build, client, eni_groups
from tests.ir.test_isolate import killed_after_snapshots


def db_of(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ir.db'}"  # the `store` fixture's file


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["ir", *args])


def test_resume_dry_run_lists_what_is_left_and_runs_nothing(store: Store, session: Any, tmp_path: Path) -> None:
    iid, case = killed_after_snapshots(store, session)
    res = cli("resume", case.id, "--dry-run", "--db", db_of(tmp_path))
    assert res.exit_code == 0, res.output
    lines = [x.strip() for x in res.stdout.splitlines() if x.strip()[:1].isdigit()]
    assert lines == ["1. stop: stop the instance"] and "nothing was changed" in res.stdout
    inst = client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert inst["State"]["Name"] == "running"
    assert [s.name for s in store.cases.steps(case.id)][-1] == "snapshots"


def test_release_dry_run_says_what_it_would_undo_and_changes_nothing(store: Store, session: Any,
                                                                    tmp_path: Path) -> None:
    sc = build(1)
    s = sc.suspects[0]
    result = service.run(store, session, service.open_isolation(store, session, s["id"], "us-east-1", actor="t").id,
                         actor="t")
    assert result.status == C.DONE
    quarantined = eni_groups(s["eni1"])
    res = cli("release", result.case_id, "--dry-run", "--db", db_of(tmp_path))
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "1. start: start the instance if the case stopped it [nothing to undo (stop was not attempted)]" in out
    assert "network: restore each ENI's security groups\n" in out and out.rstrip().endswith("nothing was changed")
    assert eni_groups(s["eni1"]) == quarantined  # still isolated
    case = store.cases.get(result.case_id)
    assert case is not None and case.status == C.DONE and not store.cases.steps(result.case_id, "release")
    assert service.release(store, session, result.case_id, actor="t").status == C.RELEASED
    again = cli("release", result.case_id, "--dry-run", "--db", db_of(tmp_path))
    assert again.exit_code != 0 and "already released" in str(again.exception)  # as without --dry-run
