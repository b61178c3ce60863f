"""The summary table printed at the end of a scan: per section, per result; API calls; time."""

from __future__ import annotations

from collections import Counter

from railguard.model import Result, RunResult


def print_summary(run: RunResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    shown = (Result.PASS, Result.FAIL, Result.UNKNOWN, Result.MANUAL, Result.SUPPRESSED)
    for fw in run.frameworks:
        items = run.items_of(fw.id)
        table = Table(title=f"{fw.title}", title_justify="left")
        table.add_column("section")
        for r in shown:
            table.add_column(r.value, justify="right")
        per: dict[str, Counter[Result]] = {}
        for i in items:
            per.setdefault(i.section, Counter())[i.result] += 1
        total: Counter[Result] = Counter()
        for section, c in per.items():
            total.update(c)
            table.add_row(section, *(str(c[r]) for r in shown))
        table.add_row("[bold]total", *(f"[bold]{total[r]}" for r in shown))
        console.print(table)
    console.print(
        f"{len(run.accounts)} account(s), {len(run.regions)} region(s), "
        f"{run.meta.get('resources', 0)} resources, {run.api_call_total} API calls, {run.duration_s:.1f} s"
    )
    if run.gaps:
        from rich.markup import escape

        from railguard.report.gaps import group_gaps

        groups = group_gaps(run.gaps)
        console.print(f"[yellow]{len(run.gaps)} gap(s): some resources could not be read; affected items are UNKNOWN")
        for grp in groups[:20]:
            console.print(f"  [yellow]{escape(grp.line())}", soft_wrap=True)
        if len(groups) > 20:
            console.print(f"  [yellow]... and {len(groups) - 20} more (see the reports)")
