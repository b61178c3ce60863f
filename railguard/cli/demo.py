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
    keep: bool = typer.Option(
        False, "--keep", help="Leave the emulator running (until Ctrl-C) and print the endpoint and environment "
        "to try `railguard scan` by hand."
    ),
) -> None:
    """Start moto on 127.0.0.1, seed a multi-region lab account, scan it, write reports, stop."""
    from railguard.cli.options import output_dir as check_output_dir
    from railguard.demo.run import DEMO_FRAMEWORKS, run_demo, wait_for_interrupt

    check_output_dir(output_dir)
    fw = framework or DEMO_FRAMEWORKS

    def show_report_then_wait(endpoint: str) -> None:
        typer.echo(f"HTML report: {(output_dir / 'railguard-report.html').resolve()}")
        wait_for_interrupt()

    html = run_demo(output_dir, fw, keep=show_report_then_wait if keep else None)
    if not keep:
        typer.echo(f"HTML report: {html.resolve()}")
