"""`railguard controls list|show` and `railguard frameworks list|show`."""

from __future__ import annotations

import json

import typer

from railguard.cli.exitcodes import UserError

controls_app = typer.Typer(help="The control catalogue.", no_args_is_help=True)
frameworks_app = typer.Typer(help="Frameworks (CIS AWS Foundations, ...) and their items.", no_args_is_help=True)


def _frameworks_using(control_id: str) -> list[str]:
    from railguard import frameworks

    out = []
    for fid in frameworks.available():
        fw = frameworks.load(fid)
        out += [f"{fid} {i.id}" for i in fw.items if control_id in i.controls]
    return out


@controls_app.command("list")
def controls_list(
    service: str = typer.Option(None, help="Only controls of this service (iam, s3, ec2, ...)."),
    iac: bool = typer.Option(False, "--iac", help="Only controls that also run on templates."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List every control: id, severity, resource type, where it runs."""
    from rich.console import Console
    from rich.table import Table

    from railguard.controls import IAC, all_controls

    services = sorted({c.service for c in all_controls()})
    if service and service.lower() not in services:
        from railguard.cli.options import suggest

        raise UserError(f"--service: no service {service!r}{suggest(service, services)} "
                        f"(services: {', '.join(services)})")
    service = service.lower() if service else service
    rows = [c for c in all_controls() if (not service or c.service == service) and (not iac or IAC in c.places)]
    if as_json:
        typer.echo(json.dumps([_control_dict(c) for c in rows], indent=2))
        return
    console = Console()
    if not console.is_terminal:  # piped: one plain line per control, easy to grep
        for c in rows:
            typer.echo(f"{c.id:45} {c.severity.value:8} {','.join(sorted(c.places)):9} {c.title}")
        return
    table = Table(title=f"{len(rows)} controls")
    for col in ("id", "severity", "resource", "places", "title"):
        table.add_column(col)
    for c in rows:
        table.add_row(c.id, c.severity.value, ", ".join(c.resource), ",".join(sorted(c.places)), c.title)
    console.print(table)


def _control_dict(c: object) -> dict[str, object]:
    from railguard.controls import Control

    assert isinstance(c, Control)
    return {
        "id": c.id, "title": c.title, "severity": c.severity.value, "resource": list(c.resource),
        "reads": list(c.reads), "params": dict(c.params), "places": sorted(c.places), "fix": c.fix,
        "remediation": c.remediation, "description": c.description,
    }


@controls_app.command("show")
def controls_show(control_id: str = typer.Argument(..., help="Control id, e.g. s3.deny-http")) -> None:
    """Everything about one control, and the framework items it serves."""
    from railguard.controls import get_control

    try:
        c = get_control(control_id)
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None
    d = _control_dict(c)
    d["frameworks"] = _frameworks_using(c.id)
    if c.remediation:
        d["remediation"] = _action_line(c.remediation)
    for k, v in d.items():
        if v in ("", [], {}, None):
            continue
        typer.echo(f"{k:12} {', '.join(map(str, v)) if isinstance(v, list) else v}")


def _action_line(action_id: str) -> str:
    """`id: title (railguard actions show id)`, or the bare id when no such action is registered."""
    from railguard.remediation.actions import get

    try:
        a = get(action_id)
    except KeyError:
        return action_id
    return f"{a.id}: {a.title} (railguard actions show {a.id})"


@frameworks_app.command("list")
def frameworks_list() -> None:
    """The frameworks railguard ships."""
    from railguard import frameworks

    for fid in frameworks.available():
        fw = frameworks.load(fid)
        auto = sum(1 for i in fw.items if not i.is_manual)
        typer.echo(f"{fid:28} {len(fw.items):3} items ({auto} automated)  {fw.title}")


@frameworks_app.command("show")
def frameworks_show(
    framework_id: str = typer.Argument(..., help="Framework id, e.g. cis-aws-foundations-3.0"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every item of a framework with the controls that implement it, or MANUAL."""
    from railguard import frameworks

    try:
        fw = frameworks.resolve(framework_id)[0]
    except frameworks.FrameworkError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        typer.echo(fw.model_dump_json(indent=2))
        return
    typer.echo(f"{fw.title} ({fw.id})")
    section = None
    for i in fw.items:
        if i.section != section:
            section = i.section
            typer.echo(f"\n{section}")
        how = (f"NOT IMPLEMENTED: {i.not_implemented}" if i.not_implemented
               else "MANUAL" if i.is_manual else ", ".join(i.controls))
        typer.echo(f"  {i.id:7} {i.title}\n          -> {how}")
