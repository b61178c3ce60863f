"""The `railguard` command: a thin shell over the use cases. One module per command group.

Heavy imports (boto3, moto, report writers) happen inside commands so that start-up stays
fast for `railguard iac scan` and `railguard secrets scan` in pre-commit hooks.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer
import typer.main

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
    from railguard.cli import (
        actions,
        catalog,
        demo,
        events,
        exceptions,
        findings,
        guardrails,
        hooks,
        iac,
        ir,
        respond,
        runs,
        scan,
        secrets,
        worker,
    )

    app.add_typer(catalog.controls_app, name="controls")
    app.add_typer(catalog.frameworks_app, name="frameworks")
    scan.register(app)
    demo.register(app)
    for module in (iac, secrets, hooks, actions, events, guardrails, respond, exceptions, findings, ir, runs,
                   worker):
        module.register(app)


_register()


def _click_error(name: str) -> type[Exception]:
    """click's exception class `name`, from typer's own copy of click or from click itself."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


def command() -> Any:
    """The click command behind `railguard`, with metavars that say what each option takes."""
    from railguard.cli.options import apply_metavars

    cmd = typer.main.get_command(app)
    apply_metavars(cmd)
    return cmd


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line and an exit code, never a traceback."""
    try:
        rv = command().main(args=argv, prog_name="railguard", standalone_mode=False)
    except exitcodes.UserError as exc:
        _error(str(exc), exc.code)
    except _click_error("UsageError") as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # `railguard iac`: the help, as click would
            typer.echo(ctx.get_help() if ctx is not None else str(exc), err=True)
            sys.exit(exitcodes.USAGE)
        hint = f" (see '{ctx.command_path} -h')" if ctx is not None else ""
        _error(getattr(exc, "format_message", exc.__str__)() + hint, exitcodes.USAGE)
    except _click_error("ClickException") as exc:
        _error(getattr(exc, "format_message", exc.__str__)(), getattr(exc, "exit_code", 1))
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("railguard: interrupted", err=True)
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else exitcodes.OK)


def _error(message: str, code: int) -> NoReturn:
    for line in message.splitlines() or [""]:  # several problems (a config file): one line each
        typer.echo(f"railguard: error: {line}", err=True)
    sys.exit(code)
