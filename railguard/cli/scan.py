"""`railguard scan`: benchmark a live account against frameworks and write reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from railguard.cli import options
from railguard.cli.exitcodes import UserError
from railguard.cli.options import severity, split_csv
from railguard.model import RunResult

if TYPE_CHECKING:
    from rich.console import Console

    from railguard.engine.plan import Plan
    from railguard.sources.aws.deadlines import Timeouts

DEFAULT_FORMATS = "json,failed,csv,html"


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)


def scan(
    framework: list[str] = typer.Option(
        None, "--framework", "-f", help="Framework id(s), comma-separated. Default: cis-aws-foundations-3.0."
    ),
    controls: list[str] = typer.Option(None, "--controls", "-c", help="Only these control ids."),
    min_severity: str = typer.Option(None, "--severity", help="Only controls at or above this severity."),
    regions: list[str] = typer.Option(None, "--regions", "-r", help="Regions to scan (default: all enabled)."),
    profile: str = typer.Option(None, "--profile", help="AWS profile from the shared config."),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", envvar="AWS_ENDPOINT_URL", callback=options.endpoint_url, help="AWS endpoint (moto, LocalStack)."
    ),
    role_arn: str = typer.Option(None, "--role-arn", callback=options.role_arn, help="Assume this role before scanning."),
    accounts: list[str] = typer.Option(None, "--accounts", help="Account ids to scan via --role-name."),
    org: bool = typer.Option(False, "--org", help="Scan every active account of the organization."),
    role_name: str = typer.Option("OrganizationAccountAccessRole", "--role-name", help="Role to assume in each account."),
    output_dir: Path = typer.Option(
        Path("railguard-output"), "--output-dir", "-o", callback=options.output_dir, help="Where reports go."
    ),
    formats: str = typer.Option(DEFAULT_FORMATS, "--format", help="Report formats, comma-separated."),
    fail_on: str = typer.Option(
        None, "--fail-on", help="Exit 1 when an item at or above this severity FAILs (CI gating); exit 5 when "
        "nothing FAILs but such items are UNKNOWN (could not be read)."
    ),
    fail_on_unknown: bool = typer.Option(
        False, "--fail-on-unknown", help="Count UNKNOWN items as failures for --fail-on (exit 1)."
    ),
    call_timeout: float = typer.Option(
        None, "--call-timeout", min=0.1, help="Seconds one AWS call may take, retries included (default 45)."
    ),
    collector_timeout: float = typer.Option(
        None, "--collector-timeout", min=0.1, help="Seconds one collector may take in one region (default 600)."
    ),
    workers: int = typer.Option(16, "--workers", help="Concurrent API tasks."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary table."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and IAM permissions; call nothing."),
    config: Path = typer.Option(
        None, "--config", help="Configuration file (default: ./railguard.yaml when present)."
    ),
    db: str = typer.Option(None, "--db", help="Record the run and the findings' lifecycle in this store "
                           "(URL or SQLite path; see `railguard findings`)."),
    executor: str = typer.Option(None, "--executor", help="local (a thread pool, default) or celery "
                                 "(`railguard worker` processes; see README, \"Organization scale\")."),
) -> None:
    """Scan live AWS accounts and report each framework item as PASS, FAIL, UNKNOWN or MANUAL."""
    from railguard import frameworks as fwmod
    from railguard.engine.plan import PlanError, build_plan
    from railguard.report import FORMATS

    fmts = split_csv(formats)
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise UserError(f"--format: unknown format {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    threshold = severity(fail_on, "--fail-on")
    min_sev = severity(min_severity, "--severity")
    fw_ids = split_csv(framework)
    only = split_csv(controls)
    from railguard.config import ConfigError, find_config, load_config

    try:
        settings = load_config(find_config(config))
        fws = fwmod.resolve(fw_ids or ([] if only else ["cis-aws-foundations-3.0"]))
        plan = build_plan(fws, only_controls=only or None, min_severity=min_sev, overrides=settings.overrides())
    except (fwmod.FrameworkError, PlanError, ConfigError) as exc:
        raise UserError(str(exc)) from None
    if dry_run:
        _print_plan(plan)
        return
    store = _open_store(db) if db else None  # a bad store URL fails before any API call
    timeouts = settings.timeouts.resolve(call=call_timeout, collector=collector_timeout)
    from railguard.executor.settings import EXECUTORS, resolve

    if executor and executor not in EXECUTORS:
        raise UserError(f"--executor: unknown executor {executor}; choose from {', '.join(EXECUTORS)}")
    exe = resolve(executor, settings.executor)
    run = _run(plan, regions, profile, endpoint_url, role_arn, accounts, org, role_name, workers, quiet, timeouts,
               exe, db)
    from railguard.report import write_reports

    paths = write_reports(run, fmts, output_dir)
    if store is not None:
        with store:
            typer.echo(_record(store, plan, run))
    if not quiet:
        from railguard.cli.summary import print_summary

        print_summary(run)
    for p in paths:
        typer.echo(f"wrote {p}")
    from railguard.cli.gate import explain, judge

    gate = judge(run, threshold, fail_on_unknown)
    explain(gate, fail_on_unknown)
    raise typer.Exit(gate.code)


def _run(
    plan: Plan, regions: list[str] | None, profile: str | None, endpoint_url: str | None,
    role_arn: str | None, accounts: list[str] | None, org: bool, role_name: str, workers: int, quiet: bool,
    timeouts: Timeouts | None = None, executor: Any = None, db: str | None = None,
) -> RunResult:
    from railguard.cli.respond_opts import run_errors
    from railguard.engine.scan import ScanOptions, run_scan
    from railguard.sources.aws.runner import RegionError

    opts = ScanOptions(
        profile=profile, endpoint_url=endpoint_url, regions=split_csv(regions), role_arn=role_arn,
        accounts=split_csv(accounts), org=org, role_name=role_name, max_workers=max(1, workers), timeouts=timeouts,
        executor=executor, store_url=db,
    )
    try:
        with run_errors():
            if quiet or not sys.stderr.isatty():
                return run_scan(plan, opts)
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(
                TextColumn("[bold]collect"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                TimeElapsedColumn(), transient=True, console=_stderr_console(),
            ) as bar:
                task = bar.add_task("", total=None)
                return run_scan(
                    plan, opts,
                    progress_total=lambda n: bar.update(task, total=n),
                    progress=lambda what: bar.update(task, advance=1, description=what),
                )
    except RegionError as exc:
        raise UserError(str(exc)) from None


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _print_plan(plan: Plan) -> None:
    from railguard.sources.aws.collector import collectors_for

    cols = collectors_for(plan.types)
    typer.echo(f"{len(plan.controls)} controls over {len(plan.types)} resource types")
    typer.echo("collectors: " + ", ".join(f"{c.name} ({c.scope})" for c in cols))
    typer.echo("IAM permissions needed:")
    for perm in sorted({p for c in cols for p in c.permissions} | {"ec2:DescribeRegions", "sts:GetCallerIdentity"}):
        typer.echo(f"  {perm}")


def _open_store(url: str) -> Any:
    from railguard.cli.respond_opts import open_db

    return open_db(url)


def _record(store: Any, plan: Plan, run: RunResult) -> str:
    """Record the scan as a run and its findings' lifecycle; one line saying what changed."""
    from collections import Counter
    from datetime import datetime

    from railguard.store.findings import Covered

    started = datetime.fromisoformat(run.started_at)
    meta = {"frameworks": [f.id for f in run.frameworks], "accounts": run.accounts,
            "regions": run.regions, "api_calls": run.api_call_total}
    row = store.runs.get(run.meta["run_id"]) if run.meta.get("run_id") else None  # made by a distributed run
    if row is None:
        row = store.runs.start("scan", trigger="scan", now=started, meta=meta)
    covered = Covered({pc.control.id for pc in plan.controls}, run.accounts, run.regions)
    seen = store.findings.record(row.id, run.findings, now=started, covered=covered)
    counts = Counter(s.status for s in seen.values())
    store.runs.finish(row.id, counts=dict(counts), meta=meta)
    summary = ", ".join(f"{counts[k]} {k}" for k in ("new", "reopened", "escalated", "open", "resolved", "suppressed")
                        if counts[k])
    return f"recorded run {row.id} in {store.url}: {summary or 'no findings'}"
