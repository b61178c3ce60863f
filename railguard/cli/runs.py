"""`railguard runs list|show|cancel`: the runs in the store, their distributed tasks, and stopping one."""

from __future__ import annotations

import json
from typing import Any

import typer

from railguard.cli.exitcodes import UserError
from railguard.cli.respond_opts import db_option, open_db

runs_app = typer.Typer(help="Runs recorded in the store (scans, guardrail runs) and their tasks.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")


def _counts(store: Any, run_id: str) -> dict[str, int]:
    from railguard.store.tasks import TaskRepo

    return TaskRepo(store).counts(run_id)


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "-"


@runs_app.command("list")
def list_(
    kind: str = typer.Option(None, "--kind", help="scan, guardrails, event, ..."),
    limit: int = typer.Option(20, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json"),
    db: str = db_option(),
) -> None:
    """The latest runs, newest first, with their tasks' states."""
    with open_db(db) as store:
        rows = [(r, _counts(store, r.id)) for r in store.runs.latest(kind, limit)]
    if as_json:
        typer.echo(json.dumps([_run(r, c) for r, c in rows], indent=2))
        return
    for r, c in rows:
        typer.echo(f"{r.id}  {r.kind:<10} {r.status:<10} {r.started_at:%Y-%m-%d %H:%M:%S}  "
                   f"{r.meta.get('executor', 'local'):<6} tasks: {_fmt(c)}")


def _run(r: Any, counts: dict[str, int]) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "status": r.status, "trigger": r.trigger,
            "started_at": r.started_at.isoformat(), "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            "executor": r.meta.get("executor", "local"), "counts": r.counts, "tasks": counts}


@runs_app.command("show")
def show(
    run_id: str = typer.Argument(..., help="Run id (r-...)."),
    as_json: bool = typer.Option(False, "--json"),
    db: str = db_option(),
) -> None:
    """One run: its status, counts, and every task that did not finish cleanly (with why)."""
    from railguard.store.tasks import DONE, TaskRepo

    with open_db(db) as store:
        r = store.runs.get(run_id)
        if r is None:
            raise UserError(f"no run {run_id} in {store.url}")
        states = TaskRepo(store).states(run_id)
    counts: dict[str, int] = {}
    for s in states:
        counts[s.status] = counts.get(s.status, 0) + 1
    trouble = [s for s in states if s.status != DONE]
    if as_json:
        typer.echo(json.dumps({**_run(r, counts), "tasks_not_done": [
            {"id": s.id, "kind": s.kind, "account": s.account, "region": s.region, "status": s.status,
             "attempt": s.attempt, "worker": s.worker, "error": s.error} for s in trouble]}, indent=2))
        return
    typer.echo(f"run {r.id}: {r.kind}, {r.status}, started {r.started_at:%Y-%m-%d %H:%M:%S}"
               + (f", finished {r.finished_at:%H:%M:%S}" if r.finished_at else ""))
    typer.echo(f"counts: {_fmt(r.counts)}")
    typer.echo(f"tasks: {_fmt(counts)}")
    for s in trouble:
        where = "/".join(x for x in (s.account, s.region) if x)
        typer.echo(f"  {s.status:<9} {s.kind:<9} {where}  attempt {s.attempt}"
                   + (f" on {s.worker}" if s.worker else "") + (f": {s.error}" if s.error else ""))


@runs_app.command("cancel")
def cancel(
    run_id: str = typer.Argument(..., help="Run id (r-...)."),
    broker: str = typer.Option(None, "--broker", envvar="RAILGUARD_BROKER_URL",
                               help="Broker to revoke queued tasks through (else they are skipped when taken)."),
    db: str = db_option(),
) -> None:
    """Cancel a run: tasks not started are revoked, running ones stop at their next unit."""
    from railguard.store.tasks import TaskRepo

    with open_db(db) as store:
        r = store.runs.get(run_id)
        if r is None:
            raise UserError(f"no run {run_id} in {store.url}")
        if r.status not in ("running", "cancelling"):
            raise UserError(f"run {run_id} is {r.status}: nothing to cancel")
        ids = TaskRepo(store).cancel(run_id)
    if broker and ids:
        from railguard.executor.app import make_app
        from railguard.executor.distributed import revoke

        revoke(make_app(broker), ids)
    typer.echo(f"run {run_id}: cancelling; {len(ids)} queued task(s) cancelled, running tasks stop at their next unit")
