"""The `railguard` command: a thin shell over the use cases. One module per command group.

Heavy imports (boto3, moto, report writers) happen inside commands so that start-up stays
fast for `railguard iac scan` and `railguard secrets scan` in pre-commit hooks.
"""

from __future__ import annotations

import sys

import typer

from railguard.cli import exitcodes

app = typer.Typer(
    name="railguard",
    help="Cloud security automation for AWS: prevent, detect, respond, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from railguard import __version__

        typer.echo(f"railguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Cloud security automation for AWS: prevent, detect, respond, report."""


def _register() -> None:
    from railguard.cli import catalog, demo, scan

    app.add_typer(catalog.controls_app, name="controls")
    app.add_typer(catalog.frameworks_app, name="frameworks")
    scan.register(app)
    demo.register(app)
    for name in ("iac", "secrets", "hooks", "guardrails", "respond", "exceptions", "findings"):
        try:
            module = __import__(f"railguard.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"railguard.cli.{name}":
                raise
            continue
        module.register(app)


_register()


def main() -> None:
    """Entry point: user errors become a message and an exit code, never a traceback."""
    try:
        app(standalone_mode=True)
    except exitcodes.UserError as exc:
        typer.echo(f"railguard: error: {exc}", err=True)
        sys.exit(exc.code)
    except KeyboardInterrupt:
        typer.echo("railguard: interrupted", err=True)
        sys.exit(130)
