"""`railguard findings list|diff`: the findings store, and what is new or fixed since a run or a date."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer

from railguard.cli.exitcodes import UserError
from railguard.cli.options import split_csv
from railguard.cli.respond_opts import db_option, open_db

findings_app = typer.Typer(help="Findings recorded by `scan --db` and `guardrails run`.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(findings_app, name="findings")


def _row(r: Any) -> dict[str, Any]:
    return {"fingerprint": r.fingerprint, "control_id": r.control_id, "severity": r.severity, "status": r.status,
            "result": r.result, "resource_type": r.resource_type, "resource_id": r.resource_id,
            "resource_name": r.resource_name, "account": r.account, "region": r.region, "reason": r.reason,
            "first_seen": r.first_seen.isoformat(), "last_seen": r.last_seen.isoformat(),
            "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None, "times_seen": r.times_seen,
            "times_reopened": r.times_reopened, "last_principal": r.last_principal}


def _line(r: Any) -> str:
    where = "/".join(x for x in (r.account, r.region) if x)
    return f"{r.status:<10} {r.severity:<8} {r.control_id}  {r.resource_name or r.resource_id} ({where}): {r.reason}"


@findings_app.command("list")
def list_(
    status: list[str] = typer.Option(None, "--status", help="new, open, reopened, resolved, suppressed (comma list)."),
    control: str = typer.Option(None, "--control"),
    limit: int = typer.Option(None, "--limit"),
    db: str = db_option(),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Findings with their lifecycle (default: everything not resolved)."""
    statuses = split_csv(status) or ["new", "open", "reopened", "suppressed"]
    known = {"new", "open", "reopened", "resolved", "suppressed"}
    bad = [s for s in statuses if s not in known]
    if bad:
        raise UserError(f"--status: unknown status {', '.join(bad)}; choose from {', '.join(sorted(known))}")
    with open_db(db) as store:
        rows = store.findings.query(statuses=statuses, control=control, limit=limit)
        history = {r.fingerprint: store.findings.history(resource_id=r.resource_id, account=r.account,
                                                         fingerprint=r.fingerprint).line() for r in rows}
    if as_json:
        typer.echo(json.dumps([{**_row(r), "history": history[r.fingerprint]} for r in rows], indent=2))
        return
    for r in rows:
        typer.echo(_line(r))
        if history[r.fingerprint] != "first time seen":  # has this happened before?
            typer.echo(f"{'':<10} history: {history[r.fingerprint]}")
    typer.echo(f"{len(rows)} finding(s)")


def _since(store: Any, since: str) -> datetime:
    run = store.runs.get(since)
    if run is not None:
        return run.finished_at or run.started_at
    try:
        when = datetime.fromisoformat(since)
    except ValueError:
        raise UserError(f"--since: {since!r} is neither a run id in the store nor a date (YYYY-MM-DD[THH:MM])") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@findings_app.command("diff")
def diff(
    since: str = typer.Option(..., "--since", help="A run id (r-...) or a date/time (UTC)."),
    db: str = db_option(),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """What is new, reopened, fixed (and newly suppressed) since a run or a date."""
    with open_db(db) as store:
        when = _since(store, since)
        d = store.findings.diff(when)
    if as_json:
        typer.echo(json.dumps({"since": when.isoformat(), **{k: [_row(r) for r in v] for k, v in d.items()}}, indent=2))
        return
    typer.echo(f"since {when:%Y-%m-%d %H:%M:%S} UTC: " + ", ".join(f"{len(v)} {k}" for k, v in d.items()))
    for k, rows in d.items():
        for r in rows:
            typer.echo(f"{k:<10} {r.severity:<8} {r.control_id}  {r.resource_name or r.resource_id} "
                       f"({'/'.join(x for x in (r.account, r.region) if x)})")
