"""`railguard worker`: a Celery worker with railguard's queue, concurrency, memory and time limits.

A thin wrapper: the options become Celery's own (`--concurrency`, `--max-memory-per-child`, time
limits) plus railguard's (the store the tasks write to, the per-task memory guard, the caps)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from railguard.cli.exitcodes import UserError
from railguard.cli.respond_opts import DB_HELP


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    broker: str = typer.Option(None, "--broker", envvar="RAILGUARD_BROKER_URL",
                               help="Broker URL: redis://HOST:6379/0 (Redis, Valkey) or sqs://."),
    db: str = typer.Option(None, "--db", envvar="RAILGUARD_DB", help=DB_HELP + " The same store as the coordinator's."),
    queue: str = typer.Option(None, "--queue", "-Q", help="Queue to consume (default: railguard)."),
    concurrency: int = typer.Option(2, "--concurrency", "-c", min=1, help="Child processes (one task each at a time)."),
    threads: int = typer.Option(8, "--threads", min=1, help="Collectors run at once inside one task."),
    max_memory_per_child: int = typer.Option(
        None, "--max-memory-per-child", min=16,
        help="MB: a child above this after a task is replaced (Celery's worker_max_memory_per_child)."),
    task_memory: int = typer.Option(
        None, "--task-memory", min=16, help="MB: a task whose child grows past this is stopped; its slice is a gap."),
    time_limit: float = typer.Option(None, "--time-limit", min=1, help="Seconds: a task is killed past this."),
    soft_time_limit: float = typer.Option(
        None, "--soft-time-limit", min=1, help="Seconds: a task is stopped past this and its slice is a gap."),
    heartbeat: float = typer.Option(2.0, "--heartbeat", min=0.1, help="Seconds between a task's heartbeats."),
    stale: float = typer.Option(None, "--stale-after", min=0.5,
                                help="Seconds without heartbeat after which a duplicate delivery may take a task over."),
    limits: str = typer.Option(None, "--limits", envvar="RAILGUARD_LIMITS_URL",
                               help="Redis URL of the concurrency caps shared by all workers (default: the broker)."),
    include: list[str] = typer.Option(None, "--include", "-I", help="Extra modules to import (custom collectors)."),
    loglevel: str = typer.Option("WARNING", "--loglevel", help="Celery log level."),
    config: Path = typer.Option(None, "--config", help="Configuration file (default: ./railguard.yaml when present)."),
) -> None:
    """Run a worker for `--executor celery` scans and guardrail runs (stops on SIGTERM, finishing its tasks)."""
    from railguard.config import ConfigError, find_config, load_config
    from railguard.executor.app import make_app
    from railguard.executor.settings import resolve
    from railguard.store import default_url

    try:
        settings = resolve("celery", load_config(find_config(config)).executor, broker=broker)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    url = settings.broker_url()
    if not url:
        raise UserError("railguard worker needs a broker: --broker redis://HOST:6379/0 (or RAILGUARD_BROKER_URL)")
    from railguard.cli.respond_opts import open_db

    open_db(db).close()  # a bad store fails here, not in every task; the schema is migrated once
    q = queue or settings.queue
    extra = {
        "railguard_db": db or default_url(),
        "railguard_limits": limits or settings.limits_url(),
        "railguard_account_cap": settings.account_concurrency,
        "railguard_service_cap": settings.service_concurrency,
        "railguard_task_memory_mb": task_memory or 0,
        "railguard_heartbeat_s": heartbeat,
        "railguard_stale_s": stale or settings.heartbeat_stale,
        "railguard_threads": threads,
        "task_time_limit": time_limit,
        "task_soft_time_limit": soft_time_limit,
        "worker_max_memory_per_child": max_memory_per_child * 1024 if max_memory_per_child else None,
        "imports": tuple(include or ()),
    }
    import shutil
    import tempfile

    # the children share assumed-role credentials here (0700, this user only; removed on exit)
    creds_dir = tempfile.mkdtemp(prefix="railguard-worker-")
    extra["railguard_creds_dir"] = creds_dir
    app = make_app(url, settings.result_backend, queue=q, extra=extra, transport_options=settings.broker_options)
    argv = ["worker", f"--concurrency={concurrency}", f"--queues={q}", f"--loglevel={loglevel}", "--pool=prefork",
            "--without-gossip", "--without-mingle", "--without-heartbeat", f"--hostname=railguard-{os.getpid()}@%h"]
    from railguard.executor.tasks import preload

    preload()
    try:
        app.worker_main(argv)
    finally:
        shutil.rmtree(creds_dir, ignore_errors=True)
