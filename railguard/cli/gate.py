"""The CI gate of `railguard scan`: the exit code from `--fail-on` and the items that decided it.

A gate must not go green blind: with `--fail-on`, an item that could not be assessed (UNKNOWN:
denied, throttled, failed or malformed answers, a deadline) at or above the threshold makes the
scan exit `UNASSESSED` (5) when nothing FAILs; `--fail-on-unknown` counts it as a failure (1).
Without `--fail-on` (and without `--fail-on-unknown`) a scan only reports: it exits 0.
The items that tripped the gate are printed on stderr, also with `-q`, so a red CI log says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from railguard.cli import exitcodes
from railguard.model import Finding, ItemResult, Result, RunResult, Severity

SHOWN = 25  # items listed on the terminal; the reports hold them all


@dataclass
class Gate:
    code: int
    threshold: Severity | None
    items: list[tuple[ItemResult, Result]] = field(default_factory=list)  # what tripped it, with the cause


def judge(run: RunResult, threshold: Severity | None, fail_on_unknown: bool = False) -> Gate:
    if threshold is None and not fail_on_unknown:
        return Gate(exitcodes.OK, None)
    level = threshold or Severity.INFO

    def trips(f: Finding, result: Result) -> bool:
        return f.result == result and f.severity >= level

    failing = [f for f in run.findings if trips(f, Result.FAIL)]
    unknown = [f for f in run.findings if trips(f, Result.UNKNOWN)]
    if failing or (fail_on_unknown and unknown):
        code = exitcodes.FINDINGS
        causes = [(f, Result.FAIL) for f in failing] + ([(f, Result.UNKNOWN) for f in unknown] if fail_on_unknown else [])
    elif unknown:
        code, causes = exitcodes.UNASSESSED, [(f, Result.UNKNOWN) for f in unknown]
    else:
        return Gate(exitcodes.OK, level)
    by_id = {id(f): result for f, result in causes}
    items = []
    for item in run.items:
        hits = {by_id[id(f)] for f in item.findings if id(f) in by_id}
        if hits:
            items.append((item, Result.FAIL if Result.FAIL in hits else Result.UNKNOWN))
    return Gate(code, level, items)


def explain(gate: Gate, fail_on_unknown: bool = False) -> None:
    """One line for the verdict, one per item that tripped the gate (stderr)."""
    if gate.code == exitcodes.OK or gate.threshold is None:
        return
    level = gate.threshold.value
    if gate.code == exitcodes.UNASSESSED:
        head = (f"gate --fail-on {level}: exit {gate.code}: nothing failed, but {len(gate.items)} item(s) at or "
                f"above {level} could not be assessed (UNKNOWN); --fail-on-unknown makes them failures")
    else:
        what = "FAIL or UNKNOWN" if fail_on_unknown else "FAIL"
        head = f"gate --fail-on {level}: exit {gate.code}: {len(gate.items)} item(s) {what} at or above {level}"
    typer.echo(head, err=True)
    for item, result in gate.items[:SHOWN]:
        reason = " ".join(item.reason.split())
        reason = reason if len(reason) <= 160 else reason[:159] + "…"
        typer.echo(f"  {result.value:<7} {item.framework} {item.id}: {item.title}" + (f" ({reason})" if reason else ""),
                   err=True)
    if len(gate.items) > SHOWN:
        typer.echo(f"  … and {len(gate.items) - SHOWN} more (see the reports)", err=True)
