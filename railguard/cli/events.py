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

    try:
        stats = run_replay(location, detector, found, s3_client=s3_client_factory(profile, endpoint_url, region),
                           slack=timedelta(minutes=slack))
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
            "params": dict(r.params), "ci_exempt": r.ci_exempt, "autoheal": r.autoheal,
            "description": r.description,
        } for r in rules], indent=2))
        return
    for r in rules:
        params = " ".join(f"{k}={v}" for k, v in r.params.items())
        heal = f"autoheal={r.autoheal}" if r.autoheal else ""
        extra = " ".join(x for x in (params, heal) if x)
        typer.echo(f"{r.id:40} {r.severity.value:8} {r.technique or '-':10} {r.title}"
                   + (f"  ({extra})" if extra else ""))
