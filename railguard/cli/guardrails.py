"""`railguard guardrails validate|run`: guardrail files checked, then run through the pipeline.

Exit codes: 0 done (nothing needs a person); 1 something needs a person (failed, rolled back,
held, awaiting approval); 2 invalid guardrail files (nothing was acted on); 3 no credentials or
no store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from railguard.cli import exitcodes
from railguard.cli import respond_opts as opts
from railguard.cli.exitcodes import UserError
from railguard.cli.respond_opts import chosen_executor, db_option, open_db, project_settings, run_errors

guardrails_app = typer.Typer(help="Guardrails: find, then (safely) fix.", no_args_is_help=True)
ATTENTION = ("failed", "rolled-back", "held", "pending")


def register(app: typer.Typer) -> None:
    app.add_typer(guardrails_app, name="guardrails")


def _load(paths: list[Path]) -> Any:
    from railguard.guardrails import GuardrailError, load_guardrails

    try:
        return load_guardrails(paths)
    except GuardrailError as exc:
        raise UserError(f"invalid guardrails, nothing acted on:\n{exc}") from None


@guardrails_app.command("validate")
def validate(paths: list[Path] = typer.Argument(..., help="Guardrail files or directories.")) -> None:
    """Check guardrail files (schema, control and action ids, params, references); call nothing."""
    gs = _load(paths)
    for rule in gs:
        g = rule.guardrail
        mode = g.mode if isinstance(g.mode, str) else ", ".join(f"{k}: {v}" for k, v in g.mode.items())
        action = g.action.id if g.action else "-"
        typer.echo(f"ok  {rule.name}  mode {mode}  action {action}  ({rule.source})")
    typer.echo(f"{len(gs)} guardrail(s) in {len(gs.files)} file(s) are valid")


@guardrails_app.command("run")
def run(
    paths: list[Path] = typer.Argument(..., help="Guardrail files or directories."),
    apply: bool = typer.Option(False, "--apply", help="Change things (only where mode is remediate). Default: dry run."),
    db: str = db_option(),
    regions: list[str] = typer.Option(None, "--regions", "-r", help="Regions to read (default: the guardrails' scope, else all)."),
    profile: opts.Profile = None,
    endpoint_url: opts.EndpointUrl = None,
    role_arn: opts.RoleArn = None,
    accounts: opts.Accounts = None,
    role_name: opts.RoleName = opts.ROLE_NAME,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable result on stdout."),
    workers: int = typer.Option(8, "--workers", help="Concurrent API tasks while collecting."),
    org: bool = typer.Option(False, "--org", help="Every active account of the organization."),
    executor: str = typer.Option(None, "--executor", help="local (default) or celery: one task per (account, "
                                 "guardrail) on `railguard worker` processes."),
) -> None:
    """Collect what the guardrails' controls read, then find -> scope -> exceptions -> safeguards ->
    prior state -> apply -> verify -> journal -> notify. Dry run unless --apply."""
    from railguard.cli.options import split_csv
    from railguard.engine.scan import ScanOptions
    from railguard.guardrails.run import run_guardrails

    gs = _load(paths)
    settings = project_settings()
    opts = ScanOptions(profile=profile, endpoint_url=endpoint_url, regions=split_csv(regions), role_arn=role_arn,
                       accounts=split_csv(accounts), role_name=role_name, max_workers=max(1, workers), org=org,
                       executor=chosen_executor(executor, settings), store_url=db,
                       timeouts=settings.timeouts.resolve())
    store = open_db(db)
    try:
        with run_errors():
            result, seen = run_guardrails(gs, opts, store, apply=apply)
    finally:
        store.close()
    calls = sum(seen.sessions[0].counter.snapshot().values()) if seen_sessions(seen) else sum(
        getattr(seen, "api_calls", {}).values())
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "apply": apply, "api_calls": calls}, indent=2, default=str))
    else:
        _print(result, apply, calls)
    raise typer.Exit(exitcodes.FINDINGS if any(i.status in ATTENTION for i in result.items) else exitcodes.OK)


def seen_sessions(seen: Any) -> bool:
    return bool(getattr(seen, "sessions", None))


def _print(result: Any, apply: bool, calls: int) -> None:
    shown = [i for i in result.items if i.status != "out-of-scope"]
    for i in shown:
        ref = f" [{i.journal_id}]" if i.journal_id else ""
        where = "/".join(x for x in (i.account, i.region) if x)
        typer.echo(f"{i.status:<12} {i.guardrail}  {i.resource_id} ({where}){ref}: {i.summary}")
        if i.history and i.history != "first time seen":
            typer.echo(f"{'':<12} history: {i.history}")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items()))
    typer.echo(f"run {result.run_id}: {counts or 'nothing found'}" + ("" if apply else " (dry run: nothing changed)")
               + f"; {calls} API request(s)")
    for g in result.needs_human:
        typer.echo(f"NEEDS A HUMAN: guardrail {g} hit its circuit breaker; held actions wait for a person")
    for name, d in result.deliveries.items():
        typer.echo(f"notified {name}: " + ("ok" if d.ok else f"NOT delivered after {d.attempts} attempt(s): {d.error}"))
