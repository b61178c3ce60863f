"""`railguard secrets scan|baseline`: keep credentials out of git.

Exit codes (railguard/cli/exitcodes.py): 0 no open secret, 1 secrets found (suppressed ones do
not count), 2 usage or input error (bad flag, bad config or baseline, not a git repository).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from railguard.cli import exitcodes
from railguard.cli.exitcodes import UserError

if TYPE_CHECKING:
    from railguard.secrets.findings import ScanResult
    from railguard.secrets.scanner import SecretScanner

secrets_app = typer.Typer(
    name="secrets",
    help="Find credentials in files, staged changes and git history (pre-commit, CI).",
    no_args_is_help=True,
)

FORMATS = ("text", "json", "sarif")


def register(app: typer.Typer) -> None:
    app.add_typer(secrets_app, name="secrets")


def _scanner(root: Path, config: Path | None, baseline: Path | None, no_baseline: bool,
             show_suppressed: bool, disable: list[str]) -> SecretScanner:
    from railguard.secrets.allowlist import DEFAULT_BASELINE, load_baseline, load_config
    from railguard.secrets.engine import Engine
    from railguard.secrets.rules import RULES_BY_ID
    from railguard.secrets.scanner import SecretScanner

    cfg = load_config(root, config)
    off = [*cfg.disable, *disable]
    unknown = [r for r in off if r not in RULES_BY_ID]
    if unknown:
        raise UserError(f"unknown rule id(s): {', '.join(unknown)} (see 'railguard secrets rules')")
    bl = None
    if not no_baseline:
        if baseline is not None:
            bl = load_baseline(baseline)
        else:
            default = root / (cfg.baseline or DEFAULT_BASELINE)
            if default.is_file():
                bl = load_baseline(default)
            elif cfg.baseline:
                raise UserError(f"baseline named in {cfg.source} not found: {default}")
    return SecretScanner(Engine.shared(off), cfg, bl, show_suppressed)


def _root(paths: list[Path], git_mode: bool) -> Path:
    from railguard.secrets.git import repo_root

    start = Path.cwd()
    if git_mode:
        return repo_root(start)
    try:
        return repo_root(start)
    except UserError:
        return start


def run_scan(
    paths: list[Path],
    *,
    staged: bool = False,
    since: str | None = None,
    rev_range: str | None = None,
    history: bool = False,
    config: Path | None = None,
    baseline: Path | None = None,
    no_baseline: bool = False,
    show_suppressed: bool = False,
    disable: list[str] | None = None,
    jobs: int = 0,
) -> ScanResult:
    """The use case behind `railguard secrets scan` (also used by `baseline` and tests)."""
    from railguard.secrets import git

    modes = sum(bool(x) for x in (staged, since, rev_range, history))
    if modes > 1:
        raise UserError("use only one of --staged, --since, --range, --history")
    if modes and paths:
        raise UserError("PATH arguments cannot be combined with --staged/--since/--range/--history")
    root = _root(paths, bool(modes))
    scanner = _scanner(root, config, baseline, no_baseline, show_suppressed, disable or [])
    jobs = jobs if jobs > 0 else min(4, os.cpu_count() or 1)
    if staged:
        return git.scan_staged(scanner, root)
    if since:
        return git.scan_revs(scanner, root, [f"{since}..HEAD"], "range", jobs)
    if rev_range:
        if ".." not in rev_range:
            raise UserError(f"--range expects A..B, got {rev_range!r}")
        return git.scan_revs(scanner, root, [rev_range], "range", jobs)
    if history:
        return git.scan_revs(scanner, root, ["--all"], "history", jobs)
    targets = paths or [Path.cwd()]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        raise UserError(f"no such file or directory: {', '.join(missing)}")
    return scanner.scan_paths(targets, root, jobs=jobs)


@secrets_app.command("scan")
def scan(
    paths: list[Path] = typer.Argument(None, help="Files or directories (default: the current directory)."),
    staged: bool = typer.Option(False, "--staged", help="Scan the files staged in the git index (pre-commit)."),
    since: str = typer.Option(None, "--since", metavar="REV", help="Scan commits in REV..HEAD (CI)."),
    rev_range: str = typer.Option(None, "--range", metavar="A..B", help="Scan the commits of a range (CI)."),
    history: bool = typer.Option(
        False, "--history", help="Scan every commit of every ref; each secret once, with the commit that introduced it."
    ),
    output_format: str = typer.Option("text", "--format", "-f", help="text, json or sarif."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    show_suppressed: bool = typer.Option(
        False, "--show-suppressed", help="Also report allowed findings (inline, baseline, excluded paths) as SUPPRESSED."
    ),
    baseline: Path = typer.Option(None, "--baseline", help="Baseline file (default: .railguard-secrets-baseline.json)."),
    no_baseline: bool = typer.Option(False, "--no-baseline", help="Ignore the baseline file."),
    config: Path = typer.Option(None, "--config", help="Config file (default: .railguard.toml, else [tool.railguard.secrets] in pyproject.toml)."),
    disable: list[str] = typer.Option(None, "--disable", help="Rule ids to turn off (repeat or comma-separate)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0: one per CPU, up to 4)."),
    hook: bool = typer.Option(False, "--hook", hidden=True, help="Message style for the git hook."),
) -> None:
    """Scan for credentials. Exit 0 when clean, 1 when secrets are found, 2 on a usage error."""
    from railguard.cli.options import split_csv
    from railguard.secrets import output as out

    if output_format not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}")
    result = run_scan(
        list(paths or []),
        staged=staged,
        since=since,
        rev_range=rev_range,
        history=history,
        config=config,
        baseline=baseline,
        no_baseline=no_baseline,
        show_suppressed=show_suppressed,
        disable=split_csv(disable),
        jobs=jobs,
    )
    if output_format == "json":
        text = out.render_json(result)
    elif output_format == "sarif":
        text = out.render_sarif(result)
    else:
        text = _with_summary(out.render_text(result, hook=hook or staged), result)
    if output is not None:
        output.write_text(text, "utf-8")
        sys.stderr.write(f"{summary_line(result)}; report written to {output}\n")
    elif output_format == "text" and result.open and (hook or staged):
        sys.stderr.write(text)
    else:
        sys.stdout.write(text)
    raise typer.Exit(exitcodes.FINDINGS if result.open else exitcodes.OK)


def summary_line(result: ScanResult) -> str:
    """`2 secret(s) in 1 file; 6 files scanned (0.0 MB)`: files holding secrets and files read are
    two numbers (one line used to say "found in 6 files" for one file)."""
    st = result.stats
    holding = len({f.path for f in result.open})
    if result.mode in ("history", "range"):
        read = f"{st.blobs} blob(s) in {st.commits} commit(s) scanned"
        where = f"{holding} path(s)"
    else:
        read = f"{st.blobs if result.mode == 'staged' else st.files} {'staged ' if result.mode == 'staged' else ''}" \
               f"file(s) scanned"
        where = f"{holding} file(s)"
    line = f"railguard secrets: {len(result.open)} secret(s) in {where}; {read} ({st.bytes / 1e6:.1f} MB)"
    if result.suppressed:
        line += f", {len(result.suppressed)} suppressed"
    skipped = st.skipped_binary + st.skipped_vendored + st.skipped_excluded
    if skipped:
        line += f"; skipped {st.skipped_binary} binary, {st.skipped_vendored} vendored, {st.skipped_excluded} excluded"
    return line


def _with_summary(text: str, result: ScanResult) -> str:
    """The text report with its summary line counted as `summary_line` counts."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("railguard secrets: "):
            lines[i] = summary_line(result)
            break
    return "\n".join(lines)


@secrets_app.command("baseline")
def baseline_cmd(
    paths: list[Path] = typer.Argument(None, help="Files or directories (default: the current directory)."),
    output: Path = typer.Option(None, "--output", "-o", help="Baseline file (default: .railguard-secrets-baseline.json at the repo root)."),
    reason: str = typer.Option(None, "--reason", help="Reason recorded for new entries."),
    config: Path = typer.Option(None, "--config", help="Config file."),
) -> None:
    """Accept every current finding: write their fingerprints to the baseline file.

    Existing entries keep their reasons; findings allowed inline or by path are not added.
    """
    from railguard.secrets.allowlist import DEFAULT_BASELINE, load_baseline, load_config, write_baseline

    root = _root([], False)
    cfg = load_config(root, config)
    target = output or root / (cfg.baseline or DEFAULT_BASELINE)
    previous = load_baseline(target) if target.is_file() else None
    result = run_scan(list(paths or []), config=config, no_baseline=True, show_suppressed=False)
    n = write_baseline(target, result.findings, previous, reason)
    typer.echo(f"railguard: wrote {n} fingerprint(s) to {target}")
    raise typer.Exit(exitcodes.OK)


@secrets_app.command("rules")
def rules_cmd() -> None:
    """List the detection rules."""
    from railguard.secrets.rules import RULES

    for r in RULES:
        typer.echo(f"{r.id:34} {r.severity:8} {r.title}")
