"""`railguard demo`: scan a deliberately misconfigured emulated account and write the reports."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    output_dir: Path = typer.Option(Path("railguard-demo"), "--output-dir", "-o", help="Where reports go."),
    framework: str = typer.Option(
        "cis-aws-foundations-3.0,railguard-baseline", "--framework", "-f", help="Framework id(s), comma-separated."
    ),
) -> None:
    """Start moto on 127.0.0.1, seed a multi-region lab account, scan it, write reports, stop."""
    from railguard.demo.run import run_demo

    html = run_demo(output_dir, framework)
    typer.echo(f"HTML report: {html.resolve()}")
