"""`railguard iac`: scan CloudFormation, Terraform and container definitions before they deploy.

Start-up matters here (pre-commit hooks run it on every commit): nothing heavy is imported at
module level, and the scan path never imports boto3 or moto.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from railguard.cli import exitcodes
from railguard.cli.exitcodes import UserError
from railguard.cli.options import severity, split_csv
from railguard.model import Result, Severity

NOT_EXPANDED_ID = "iac.not-expanded"  # railguard.engine.iac.NOT_EXPANDED_ID, without importing the engine here

if TYPE_CHECKING:
    from railguard.engine.iac import IacOptions
    from railguard.model import Finding, RunResult

EXIT_CODES_HELP = (
    "Exit codes: 0 nothing failed at or above --fail-on; 1 a finding FAILs at or above --fail-on; "
    "2 usage error (bad flag, missing path, unreadable baseline); 4 PARTIAL: nothing failed at or above "
    "--fail-on, but at least one file could not be parsed or read (its ERROR finding, control "
    "iac.parse-error, names the file and the line when known)."
)

iac_app = typer.Typer(
    help="Pre-deploy scanning of CloudFormation, Terraform and container definitions with the same "
    "controls as the live scan.",
    no_args_is_help=True,
)

MACHINE_FILES = {"json": "railguard-iac.json", "sarif": "railguard-iac.sarif", "junit": "railguard-iac.junit.xml"}


def register(app: typer.Typer) -> None:
    app.add_typer(iac_app, name="iac")


_PATHS = typer.Argument(..., help="Files and directories to scan (directories recursively).", show_default=False)
_EXCLUDE = typer.Option(None, "--exclude", "-x", help="Glob of paths to skip (repeatable), e.g. 'tests/**'.")
_PARAM = typer.Option(None, "--param", "-p", help="CloudFormation parameter KEY=VALUE (repeatable); "
                      "pseudo parameters too, e.g. AWS::Region=eu-west-1.")
_VAR = typer.Option(None, "--var", help="Terraform variable KEY=VALUE (repeatable).")
_VAR_FILE = typer.Option(None, "--var-file", help="Terraform *.tfvars file (repeatable).")
_CONTROLS = typer.Option(None, "--controls", "-c", help="Only these control ids (comma-separated).")
_SEVERITY = typer.Option(None, "--severity", help="Only controls at or above this severity.")
_NO_INLINE = typer.Option(False, "--no-inline-ignores", help="Disregard `railguard:ignore` comments and "
                          "Metadata ignores (for teams that forbid them).")


def _options(
    exclude: list[str] | None, param: list[str] | None, var: list[str] | None, var_file: list[Path] | None,
    controls: list[str] | None, min_severity: str | None, no_inline_ignores: bool, baseline: Path | None,
) -> IacOptions:
    from railguard.engine.iac import IacOptions

    if baseline is not None and not baseline.is_file():
        raise UserError(f"--baseline: {baseline}: no such file")
    for f in var_file or []:
        if not f.is_file():
            raise UserError(f"--var-file: {f}: no such file")
    return IacOptions(
        params=_pairs(param, "--param"),
        variables=_pairs(var, "--var"),
        var_files=list(var_file or []),
        excludes=split_csv(exclude),
        inline_ignores=not no_inline_ignores,
        baseline=baseline,
        only_controls=split_csv(controls) or None,
        min_severity=severity(min_severity, "--severity"),
    )


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in values or []:
        key, sep, value = raw.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag}: expected KEY=VALUE, got {raw!r}")
        out[key.strip()] = value
    return out


def _run(paths: list[Path], opts: IacOptions) -> RunResult:
    from railguard.engine.iac import IacInputError, run_iac
    from railguard.engine.plan import PlanError

    try:
        return run_iac(paths, opts)
    except (IacInputError, PlanError, ValueError) as exc:
        raise UserError(str(exc)) from None


@iac_app.command("scan", epilog=EXIT_CODES_HELP)
def scan(
    paths: list[Path] = _PATHS,
    exclude: list[str] = _EXCLUDE,
    param: list[str] = _PARAM,
    var: list[str] = _VAR,
    var_file: list[Path] = _VAR_FILE,
    controls: list[str] = _CONTROLS,
    min_severity: str = _SEVERITY,
    formats: str = typer.Option("text", "--format", help="Output formats, comma-separated: text, json, "
                                "sarif, junit (and any report format: csv, html)."),
    output: Path = typer.Option(None, "--output", "-o", help="A file (one machine format) or a directory "
                                "(several). Without it one machine format goes to stdout."),
    fail_on: str = typer.Option("low", "--fail-on", help="Exit 1 when a finding FAILs at or above this "
                                "severity (info, low, medium, high, critical; none: never)."),
    no_inline_ignores: bool = _NO_INLINE,
    baseline: Path = typer.Option(None, "--baseline", help="Baseline file from `railguard iac baseline`: "
                                  "its findings are reported as SUPPRESSED."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Text output: only failures, errors and the summary."),
    show_pass: bool = typer.Option(False, "--show-pass", help="List every PASS result in the reports (default: "
                                   "counted per control and file, which keeps large scans small)."),
    skip_non_templates: bool = typer.Option(False, "--skip-non-templates", help="Skip files given by name that "
                                            "are not templates, as in a directory (for pre-commit, which passes "
                                            "every changed YAML/JSON file)."),
) -> None:
    """Scan templates with the controls that can be decided before deployment.

    Findings carry the file and line; suppressed findings are shown as SUPPRESSED with the reason.
    """
    from railguard.report import FORMATS

    fmts = split_csv(formats) or ["text"]
    bad = [f for f in fmts if f != "text" and f not in FORMATS]
    if bad:
        raise UserError(f"--format: unknown format {', '.join(bad)}; choose from text, {', '.join(FORMATS)}")
    threshold = severity(fail_on, "--fail-on")
    opts = _options(exclude, param, var, var_file, controls, min_severity, no_inline_ignores, baseline)
    opts.explicit_files = not skip_non_templates
    opts.show_pass = show_pass
    run = _run(paths, opts)
    _emit(run, fmts, output, quiet)
    raise typer.Exit(exit_code(run, threshold))


@iac_app.command("baseline", epilog="Exit codes: 0 written; 2 usage error; 4 written, but some file could "
                 "not be parsed (its findings are missing from the baseline).")
def baseline_cmd(
    paths: list[Path] = _PATHS,
    output: Path = typer.Option(..., "--output", "-o", help="Baseline file to write (JSON)."),
    exclude: list[str] = _EXCLUDE,
    param: list[str] = _PARAM,
    var: list[str] = _VAR,
    var_file: list[Path] = _VAR_FILE,
    no_inline_ignores: bool = _NO_INLINE,
) -> None:
    """Record the current FAIL findings so that existing debt does not block new work.

    Pass the file to `railguard iac scan --baseline FILE`: findings it lists become SUPPRESSED.
    """
    import json

    from railguard.engine.iac import baseline_document

    opts = _options(exclude, param, var, var_file, None, None, no_inline_ignores, None)
    run = _run(paths, opts)
    doc = baseline_document(run)
    if output.parent and not output.parent.exists():
        output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    errors = sum(1 for f in run.findings if f.result == Result.ERROR)
    typer.echo(f"wrote {output}: {len(doc['findings'])} finding(s) baselined", err=True)
    if errors:
        typer.echo(f"warning: {errors} file error(s): those files are not in the baseline", err=True)
        raise typer.Exit(exitcodes.PARTIAL)


def exit_code(run: RunResult, threshold: Severity | None) -> int:
    if threshold is not None and run.fails_at(threshold):
        return exitcodes.FINDINGS
    if any(f.result == Result.ERROR or f.control_id == NOT_EXPANDED_ID for f in run.findings):
        return exitcodes.PARTIAL
    return exitcodes.OK


# --- output ----------------------------------------------------------------------------------


def _render(run: RunResult, fmt: str) -> str:
    from railguard.report import render

    return render(run, fmt)


def _console(run: RunResult, fmts: list[str], quiet: bool) -> None:
    """With files written: the text report on stdout when asked for, else one summary line."""
    if "text" in fmts:
        typer.echo(render_text(run, quiet=quiet, color=sys.stdout.isatty()), nl=False)
    else:
        typer.echo(summary_line(run), err=True)


def _emit(run: RunResult, fmts: list[str], output: Path | None, quiet: bool) -> None:
    machine = [f for f in fmts if f != "text"]
    if output is None:
        if "text" in fmts or not machine:
            typer.echo(render_text(run, quiet=quiet, color=sys.stdout.isatty()), nl=False)
        if len(machine) == 1 and "text" not in fmts:
            typer.echo(_render(run, machine[0]))
        elif machine:
            _write_dir(run, machine, Path("railguard-output"))
        return
    as_dir = output.is_dir() or str(output).endswith(("/", os.sep)) or len(machine) > 1
    if as_dir:
        _console(run, fmts, quiet)
        _write_dir(run, machine, output)
        return
    if output.parent and not output.parent.exists():
        output.parent.mkdir(parents=True, exist_ok=True)
    if machine:
        from railguard.report import write_to

        _console(run, fmts, quiet)
        write_to(run, machine[0], output)
    else:
        output.write_text(render_text(run, quiet=quiet, color=False), encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)


def _write_dir(run: RunResult, fmts: list[str], directory: Path) -> None:
    from railguard.report import FORMATS, write_to

    directory.mkdir(parents=True, exist_ok=True)
    for fmt in fmts:
        path = directory / MACHINE_FILES.get(fmt, FORMATS[fmt][1])
        write_to(run, fmt, path)
        typer.echo(f"wrote {path}", err=True)


_RESULT_STYLE: dict[Result, dict[str, Any]] = {
    Result.FAIL: {"fg": "red", "bold": True},
    Result.ERROR: {"fg": "magenta", "bold": True},
    Result.UNKNOWN: {"fg": "yellow"},
    Result.SUPPRESSED: {"fg": "cyan"},
}


def render_text(run: RunResult, *, quiet: bool = False, color: bool = False) -> str:
    """Findings grouped by file, in line order, each with its control, severity, title and fix."""

    def style(text: str, result: Result) -> str:
        return typer.style(text, **_RESULT_STYLE.get(result, {})) if color else text

    shown = {Result.FAIL, Result.ERROR} if quiet else {Result.FAIL, Result.ERROR, Result.UNKNOWN, Result.SUPPRESSED}
    by_file: dict[str, list[Finding]] = {}
    for f in run.findings:
        if f.result in shown or f.control_id == NOT_EXPANDED_ID:
            by_file.setdefault(f.origin.file or "(no file)", []).append(f)
    lines: list[str] = []
    for file in sorted(by_file):
        lines.append(typer.style(file, bold=True) if color else file)
        for f in sorted(by_file[file], key=lambda f: (f.origin.line or 0, f.result.rank * -1, f.control_id)):
            line = str(f.origin.line) if f.origin.line else "-"
            head = f"  {line:>5}  {style(f'{f.result.value:<10}', f.result)} {f.severity.value.upper():<8} {f.control_id}"
            what = f.title if f.control_id != "iac.parse-error" else "could not be read"
            res = f" [{f.resource_id}]" if f.resource_type != "File" else ""
            lines.append(f"{head}  {what}{res}")
            if f.reason:
                lines.append(f"         {f.reason}")
            if f.result == Result.SUPPRESSED and f.suppressed_by:
                lines.append(f"         suppressed: {f.suppressed_by}")
            if (f.result in (Result.FAIL, Result.ERROR) or f.control_id == NOT_EXPANDED_ID) and f.remediation:
                lines.append(f"         fix: {f.remediation}")
        lines.append("")
    lines.append(summary_line(run))
    for note in run.errors:
        lines.append(f"note: {note}")
    reasons = run.meta.get("skipped_reasons") or {}
    for path in list(reasons)[:SKIPPED_SHOWN]:
        lines.append(f"skipped: {path}: {reasons[path]}")
    if len(reasons) > SKIPPED_SHOWN:
        lines.append(f"skipped: {len(reasons) - SKIPPED_SHOWN} more (the JSON report lists each in meta.skipped_reasons)")
    return "\n".join(lines) + "\n"


SKIPPED_SHOWN = 20  # skipped files listed with their reason in the text report


def summary_line(run: RunResult) -> str:
    counts = {r: 0 for r in Result}
    for f in run.findings:
        counts[f.result] += 1
    error_files = len({f.origin.file for f in run.findings if f.result == Result.ERROR})
    meta = run.meta
    inputs = ", ".join(f"{n} {k}" for k, n in sorted(meta.get("inputs", {}).items())) or "no inputs"
    parts = [
        f"{meta.get('files', 0)} file(s) ({inputs}), {meta.get('resources', 0)} resource(s), "
        f"{meta.get('controls', 0)} control(s)",
        f"{counts[Result.FAIL]} failed, {counts[Result.PASS] + meta.get('passed', {}).get('total', 0)} passed, {counts[Result.UNKNOWN]} unknown, "
        f"{counts[Result.SUPPRESSED]} suppressed, {counts[Result.ERROR]} error(s) in {error_files} file(s)",
    ]
    skipped = len(meta.get("skipped", []))
    if skipped:
        parts.append(f"{skipped} data file(s) skipped (not templates)")
    return "; ".join(parts) + f" [{run.duration_s:.2f}s]"
