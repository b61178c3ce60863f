"""`railguard events replay`, `railguard detections list` (and the event worker's commands)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from railguard.cli import exitcodes
from railguard.cli.exitcodes import UserError
from railguard.cli.options import severity

if TYPE_CHECKING:
    from railguard.events.detection import Detection
    from railguard.events.detector import Detector
    from railguard.events.replay import ReplayStats

events_app = typer.Typer(help="CloudTrail events: replay log files through the detections.", no_args_is_help=True)
detections_app = typer.Typer(help="The detection rules run over CloudTrail events.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
    app.add_typer(detections_app, name="detections")
    app.command("watch")(watch)
    app.command("deploy")(deploy)
    app.command("undeploy")(undeploy)


def build_detector(config: Path | None) -> Detector:
    """The detector configured by `railguard.yaml`'s `events:` block; config errors are user errors."""
    from railguard.config import ConfigError, find_config, load_config
    from railguard.events.detector import DetectionConfigError, Detector, events_config

    try:
        settings = load_config(find_config(config))
        cfg, overrides = events_config(settings.events, settings.baseline.owned_accounts)
        return Detector(cfg, overrides)
    except (ConfigError, DetectionConfigError) as exc:
        raise UserError(str(exc)) from None


def s3_client_factory(profile: str | None, endpoint_url: str | None, region: str | None) -> Any:
    def make() -> Any:
        import boto3

        session = boto3.Session(profile_name=profile, region_name=region or "us-east-1")
        return session.client("s3", endpoint_url=endpoint_url)

    return make


@events_app.command("replay")
def replay(
    location: str = typer.Argument(..., help="A log file, a directory of them, or s3://bucket/prefix."),
    fmt: str = typer.Option("text", "--format", help="text or json (one JSON object per detection, per line)."),
    config: Path = typer.Option(None, "--config", help="Configuration file (default: ./railguard.yaml)."),
    guardrails: Path = typer.Option(
        None, "--guardrails", help="Also run these guardrails, in assess mode, on the resources events touched."
    ),
    db: str = typer.Option(None, "--db", envvar="RAILGUARD_DB", help="Store URL (with --guardrails)."),
    fail_on: str = typer.Option(None, "--fail-on", help="Exit 1 when a detection at or above this severity fires."),
    slack: int = typer.Option(20, "--slack", min=1, help="Minutes a log file may lag its records (merge window)."),
    profile: str = typer.Option(None, "--profile", help="AWS profile, for s3:// locations."),
    endpoint_url: str = typer.Option(None, "--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS endpoint."),
    region: str = typer.Option(None, "--region", help="Region of the S3 client."),
) -> None:
    """Run the detections over CloudTrail log files in event-time order and print what they found."""
    from datetime import timedelta

    from railguard.events.replay import replay as run_replay

    if fmt not in ("text", "json"):
        raise UserError(f"--format: unknown format {fmt!r}; choose text or json")
    threshold = severity(fail_on, "--fail-on")
    if not location.startswith("s3://") and not Path(location).exists():
        raise UserError(f"{location}: no such file or directory")
    detector = build_detector(config)
    worst: list[Detection] = []
    emit = _json_line if fmt == "json" else _text_line

    def found(det: Detection) -> None:
        emit(det)
        if threshold is not None and det.severity >= threshold and not worst:
            worst.append(det)

    on_record = None
    if guardrails is not None:
        _, _, store = _claims(db)
        responder = _responder(guardrails, store, False, profile, endpoint_url, region, None)
        on_record = responder.handle
    try:
        stats = run_replay(location, detector, found, s3_client=s3_client_factory(profile, endpoint_url, region),
                           slack=timedelta(minutes=slack), on_record=on_record)
    except FileNotFoundError:
        raise UserError(f"{location}: no such file or directory") from None
    except Exception as exc:  # listing an S3 prefix failed: name the code, not a traceback
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code or type(exc).__module__.startswith("botocore"):
            raise UserError(f"{location}: cannot list ({code or type(exc).__name__})", exitcodes.ENVIRONMENT) from None
        raise
    _summary(stats)
    if worst:
        raise typer.Exit(exitcodes.FINDINGS)
    if stats.problems:
        raise typer.Exit(exitcodes.PARTIAL)


def _json_line(det: Detection) -> None:
    import orjson

    typer.echo(orjson.dumps(det.to_dict()).decode())


def _text_line(det: Detection) -> None:
    who = det.principal or "-"
    if det.access_key_id:
        who += f" ({det.access_key_id})"
    tech = f" [{det.technique}]" if det.technique else ""
    ids = ",".join(det.event_ids[:5]) + (f",+{len(det.event_ids) - 5}" if len(det.event_ids) > 5 else "")
    typer.echo(
        f"{det.time}  {det.severity.value.upper():8} {det.rule}{tech}  {det.account or '-'}/{det.region or '-'}  "
        f"{who} from {det.source_ip or '-'}: {det.summary}  events: {ids}"
    )


def _summary(stats: ReplayStats) -> None:
    typer.echo(
        f"replayed {stats.records} records from {stats.files} files "
        f"({stats.first or '-'} .. {stats.last or '-'}): {stats.detections} detections", err=True,
    )
    if stats.late:
        typer.echo(f"  {stats.late} records arrived later than the merge window (--slack) and were processed late",
                   err=True)
    for p in stats.problems:
        typer.echo(f"  skipped: {p.line()}", err=True)
    if stats.unmapped:
        top = ", ".join(f"{s} ({n})" for s, n in stats.unmapped.most_common(5))
        typer.echo(f"  {sum(stats.unmapped.values())} records of services no rule or table entry reads: {top}",
                   err=True)


@detections_app.command("list")
def detections_list(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every detection rule: id, severity, ATT&CK technique, the events it reads, its defaults."""
    import json

    from railguard.events.detections import all_rules

    rules = all_rules()
    if as_json:
        typer.echo(json.dumps([{
            "id": r.id, "title": r.title, "severity": r.severity.value, "technique": r.technique,
            "events": sorted(r.events) if r.events is not None else "*", "source": r.source,
            "params": dict(r.params), "ci_exempt": r.ci_exempt, "autoheal": list(r.autoheal),
            "description": r.description,
        } for r in rules], indent=2))
        return
    for r in rules:
        params = " ".join(f"{k}={v}" for k, v in r.params.items())
        heal = f"autoheal={','.join(r.autoheal)}" if r.autoheal else ""
        extra = " ".join(x for x in (params, heal) if x)
        typer.echo(f"{r.id:40} {r.severity.value:8} {r.technique or '-':10} {r.title}"
                   + (f"  ({extra})" if extra else ""))


def watch(
    queue: str = typer.Option(..., "--queue", help="URL of the SQS queue fed by EventBridge or S3 notifications."),
    config: Path = typer.Option(None, "--config", help="Configuration file (default: ./railguard.yaml)."),
    db: str = typer.Option(None, "--db", envvar="RAILGUARD_DB", help="Store URL (processed event ids, journal)."),
    guardrails: Path = typer.Option(None, "--guardrails", help="Guardrails to run on the resources events touch."),
    apply: bool = typer.Option(False, "--apply", help="Let guardrails in mode remediate change things (and open "
                                                       "the cases --open-cases names)."),
    open_cases: bool = typer.Option(False, "--open-cases", help="Incident response: a Tainted tag, instance "
                                    "credentials used outside AWS or a root key used opens a case (`railguard ir`); "
                                    "said only, unless --apply."),
    max_isolations: int = typer.Option(2, "--max-isolations", min=0,
                                       help="With --open-cases: isolations per window before one waits for approval."),
    role_name: str = typer.Option(None, "--role-name", help="Role to assume in other accounts of the organization."),
    metrics_port: int = typer.Option(None, "--metrics-port", help="Serve Prometheus /metrics on this port."),
    metrics_host: str = typer.Option("127.0.0.1", "--metrics-host", help="Address for /metrics."),
    batch: int = typer.Option(10, "--batch", min=1, max=10, help="Messages per receive."),
    wait: int = typer.Option(20, "--wait", min=0, max=20, help="Long-poll seconds."),
    visibility: int = typer.Option(60, "--visibility", min=0, help="Seconds a batch stays hidden (extended)."),
    max_receives: int = typer.Option(5, "--max-receives", min=1, help="Attempts before the dead-letter queue."),
    heartbeat: float = typer.Option(60.0, "--heartbeat", help="Seconds between heartbeat log lines."),
    idle_exit: float = typer.Option(None, "--idle-exit", hidden=True, help="Stop after this many idle seconds."),
    profile: str = typer.Option(None, "--profile", help="AWS profile."),
    endpoint_url: str = typer.Option(None, "--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS endpoint."),
    region: str = typer.Option(None, "--region", help="Region of the queue (default: from its URL)."),
) -> None:
    """Work a queue of CloudTrail events: detections, and guardrails on what each event touched."""
    import logging

    from railguard.events.process import Processor, print_detection
    from railguard.events.worker import Worker, WorkerOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    detector = build_detector(config)
    region = region or _queue_region(queue) or ""
    sqs = _client("sqs", profile, endpoint_url, region)
    claim, release, store = _claims(db)
    responder = _responder(guardrails, store, apply, profile, endpoint_url, region, role_name)
    cases = _case_opener(open_cases, store, apply, max_isolations, profile, endpoint_url, region, role_name)
    on_beat = None
    if store is not None:  # the detector's windows survive a restart
        from railguard.events.windows import StoredWindows

        windows = StoredWindows(store, detector, queue)
        windows.restore()

        def on_beat(counters: dict[str, int | float], final: bool) -> None:
            windows.save(counters, final=final)

    w = Worker(
        sqs, queue, Processor(detector, print_detection, responder, cases=cases), claim=claim, release=release,
        s3_client=s3_client_factory(profile, endpoint_url, region),
        options=WorkerOptions(batch=batch, wait=wait, visibility=visibility, max_receives=max_receives,
                              heartbeat=heartbeat, idle_exit=idle_exit),
        on_beat=on_beat,
    )
    server = None
    if metrics_port is not None:
        from railguard.events.metrics import MetricsServer

        try:
            server = MetricsServer(w.snapshot, metrics_port, metrics_host)
        except OSError as exc:
            raise UserError(f"--metrics-port {metrics_port}: cannot listen ({exc.strerror})") from None
        typer.echo(f"metrics on http://{metrics_host}:{server.port}/metrics", err=True)
    w.install_signal_handlers()
    try:
        w.run()
    finally:
        if server is not None:
            server.close()


def _queue_region(url: str) -> str | None:
    """`https://sqs.eu-west-1.amazonaws.com/...` -> eu-west-1."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    parts = host.split(".")
    return parts[1] if len(parts) > 3 and parts[0] == "sqs" else None


def _client(service: str, profile: str | None, endpoint_url: str | None, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.Session(profile_name=profile, region_name=region or "us-east-1")
    return session.client(service, endpoint_url=endpoint_url,
                          config=Config(retries={"mode": "adaptive", "max_attempts": 5}, read_timeout=30))


def _claims(db: str | None) -> tuple[Any, Any, Any]:
    """Claim/release of processed event ids (and the store): in the store when it is available, else in memory."""
    try:
        from railguard.store import open_store
    except ImportError:
        import threading

        seen: set[str] = set()
        lock = threading.Lock()

        def claim(eid: str) -> bool:
            with lock:
                if eid in seen:
                    return False
                seen.add(eid)
                return True

        def release(eid: str) -> None:
            with lock:
                seen.discard(eid)

        return claim, release, None
    try:
        store = open_store(db)
    except Exception as exc:
        raise UserError(f"--db: cannot open the store ({type(exc).__name__}: {exc})") from None
    return store.events.first_time, store.events.forget, store


def _responder(guardrails: Path | None, store: Any, apply: bool, profile: str | None, endpoint_url: str | None,
               region: str | None, role_name: str | None) -> Any:
    if guardrails is None:
        return None
    if store is None:
        raise UserError("--guardrails needs the store (railguard.store), which this installation lacks")
    from railguard.events.respond import EventResponder, SessionPool, load_guardrails_file

    try:
        rules = load_guardrails_file(guardrails)
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    pool = SessionPool(profile=profile, endpoint_url=endpoint_url, region=region, role_name=role_name)
    return EventResponder(rules, pool, store, apply=apply)


def _case_opener(on: bool, store: Any, apply: bool, max_isolations: int, profile: str | None,
                 endpoint_url: str | None, region: str | None, role_name: str | None) -> Any:
    if not on:
        return None
    if store is None:
        raise UserError("--open-cases needs the store (railguard.store), which this installation lacks")
    from railguard.events.cases import CaseOpener
    from railguard.events.respond import SessionPool

    pool = SessionPool(profile=profile, endpoint_url=endpoint_url, region=region, role_name=role_name)
    return CaseOpener(pool, store, apply=apply, options={"max_isolations": max_isolations})


def deploy(
    name: str = typer.Option("railguard", "--name", help="Deployment name: prefix and tag of what is created."),
    region: str = typer.Option(None, "--region", help="Region to deploy in (IAM and sign-in events: us-east-1)."),
    with_lambda: bool = typer.Option(False, "--lambda", help="Also deploy the handler as a Lambda function."),
    layer_arn: list[str] = typer.Option(None, "--layer-arn", help="Lambda layer(s) with railguard's dependencies."),
    guardrails: Path = typer.Option(None, "--guardrails", help="Guardrails file: subscribe to what they need."),
    open_cases: bool = typer.Option(False, "--open-cases", help="Also feed `railguard watch --open-cases`: the "
                                    "CreateTags events (Tainted) and the incident-response permissions."),
    config: Path = typer.Option(None, "--config", help="Configuration file (default: ./railguard.yaml)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and the IAM permissions; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    profile: str = typer.Option(None, "--profile", help="AWS profile."),
    endpoint_url: str = typer.Option(None, "--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS endpoint."),
) -> None:
    """Create the EventBridge rule set, the SQS queue and dead-letter queue (and optionally the function)."""
    from railguard.deploy import apply_plan, build_plan
    from railguard.deploy.resources import DeployError

    detector = build_detector(config)
    clients = _clients(profile, endpoint_url, region)
    types, action_perms, read_perms = _guardrail_needs(guardrails)
    if open_cases:  # the Tainted tag is a CreateTags on an instance; the cases' calls are the IR actions'
        from railguard.remediation.actions import get as get_action

        types = sorted({*(types or ()), "AWS::EC2::Instance"})
        action_perms = sorted({*action_perms, *get_action("ir.isolate").permissions,
                               *get_action("ir.contain-principal").permissions})
    try:
        account = clients("sts").get_caller_identity()["Account"]
    except Exception as exc:
        raise UserError(f"cannot identify the account: {type(exc).__name__}", exitcodes.ENVIRONMENT) from None
    plan = build_plan(detector, name=name, region=clients("sqs").meta.region_name, account=account,
                      touched_types=types, with_lambda=with_lambda, action_permissions=action_perms,
                      read_permissions=read_perms)
    if as_json or dry_run:
        import json

        if as_json:
            typer.echo(json.dumps(plan.to_dict(), indent=2))
        else:
            _print_plan(plan)
    try:
        steps = apply_plan(plan, clients, dry_run=dry_run, layers=list(layer_arn or []))
    except DeployError as exc:
        raise UserError(str(exc)) from None
    for s in steps:
        typer.echo(("would " if dry_run else "") + s.line(), err=as_json)
    if not dry_run:
        typer.echo(f"queue for `railguard watch --queue`: {plan.queue_name} in {plan.region}", err=as_json)


def undeploy(
    name: str = typer.Option("railguard", "--name", help="Deployment name given to `railguard deploy`."),
    region: str = typer.Option(None, "--region", help="Region it was deployed in."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be removed; remove nothing."),
    profile: str = typer.Option(None, "--profile", help="AWS profile."),
    endpoint_url: str = typer.Option(None, "--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS endpoint."),
) -> None:
    """Remove what `railguard deploy --name NAME` created (tagged railguard:deployment=NAME), nothing else."""
    from railguard.deploy import undeploy as run_undeploy

    steps = run_undeploy(name, _clients(profile, endpoint_url, region), dry_run=dry_run)
    for s in steps:
        typer.echo(("would " if dry_run else "") + s.line())
    if not steps:
        typer.echo(f"nothing deployed under the name {name!r}")


def _clients(profile: str | None, endpoint_url: str | None, region: str | None) -> Any:
    cache: dict[str, Any] = {}

    def get(service: str) -> Any:
        if service not in cache:
            cache[service] = _client(service, profile, endpoint_url, region)
        return cache[service]

    return get


def _print_plan(plan: Any) -> None:
    typer.echo(f"deployment {plan.name} in account {plan.account}, region {plan.region}")
    typer.echo(f"  queue {plan.queue_name} (dead-letter queue {plan.dlq_name}, after 5 receives)")
    for r in plan.rules:
        typer.echo(f"  rule {r.name}: {len(r.event_names)} event names from {r.service}.amazonaws.com")
    if plan.every_record_rules:
        typer.echo("  detections that need every record (not fed by these rules; run them on log files with "
                   "`events replay` or S3 notifications): " + ", ".join(plan.every_record_rules))
    typer.echo("IAM permissions to deploy:")
    for p in plan.deployer_permissions():
        typer.echo(f"  {p}")
    typer.echo("IAM permissions of the worker" + (" (the function's role)" if plan.with_lambda else "") + ":")
    for st in plan.worker_policy()["Statement"]:
        for a in st["Action"]:
            typer.echo(f"  {a}  on {st['Resource']}")


def _guardrail_needs(path: Path | None) -> tuple[list[str] | None, list[str], list[str]]:
    """Resource types the guardrails judge, the permissions of their actions, and of the re-reads."""
    if path is None:
        return None, [], []
    from railguard.events.respond import guardrail_needs

    try:
        return guardrail_needs(path)
    except ValueError as exc:
        raise UserError(str(exc)) from None
