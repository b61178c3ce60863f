"""`railguard demo`: scan a deliberately misconfigured emulated account and write the reports."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    output_dir: Path = typer.Option(Path("railguard-demo"), "--output-dir", "-o", help="Where reports go."),
    framework: str = typer.Option(
        None, "--framework", "-f", help="Framework id(s), comma-separated (default: CIS 3.0 and railguard-baseline)."
    ),
) -> None:
    """Start moto on 127.0.0.1, seed a multi-region lab account, scan it, write reports, stop."""
    from railguard.demo.run import DEMO_FRAMEWORKS, run_demo

    html = run_demo(output_dir, framework or DEMO_FRAMEWORKS)
    typer.echo(f"HTML report: {html.resolve()}")
