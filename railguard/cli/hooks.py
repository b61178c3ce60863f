"""`railguard hooks install`: a git pre-commit hook that blocks commits carrying secrets."""

from __future__ import annotations

import os
import shlex
import stat
import sys
from pathlib import Path

import typer

from railguard.cli.exitcodes import UserError

hooks_app = typer.Typer(name="hooks", help="Install git hooks (secret scanning before each commit).", no_args_is_help=True)

MARKER = "# installed by railguard hooks install"


def register(app: typer.Typer) -> None:
    app.add_typer(hooks_app, name="hooks")


def hook_script(command: str) -> str:
    return f"""#!/bin/sh
{MARKER}
# Blocks a commit whose staged files contain credentials. Allow a false positive with a
# 'railguard:allow <reason>' comment on its line, or accept findings with
# 'railguard secrets baseline'. Bypass once (not recommended): git commit --no-verify
{command} secrets scan --staged --hook
status=$?
if [ $status -eq 1 ]; then
  echo "railguard: commit blocked (see above). Remove the secret, or allow it with a reason." >&2
fi
exit $status
"""


def _hooks_dir(repo: Path) -> Path:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--git-path", "hooks"], capture_output=True, check=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise UserError(f"not a git repository: {repo}") from None
    p = Path(out)
    return p if p.is_absolute() else repo / p


def _default_command() -> str:
    exe = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if exe is not None and exe.name == "railguard" and exe.is_file():
        return shlex.quote(str(exe))
    return f"{shlex.quote(sys.executable)} -m railguard.cli"


@hooks_app.command("install")
def install(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository (default: the current directory)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing pre-commit hook not written by railguard."),
    command: str = typer.Option(None, "--command", help="How the hook runs railguard (default: this installation)."),
) -> None:
    """Write .git/hooks/pre-commit to run `railguard secrets scan --staged`."""
    hooks = _hooks_dir(repo)
    hooks.mkdir(parents=True, exist_ok=True)
    target = hooks / "pre-commit"
    if target.exists() and MARKER not in target.read_text("utf-8", "replace") and not force:
        raise UserError(f"{target} exists and was not written by railguard; use --force to replace it")
    target.write_text(hook_script(command or _default_command()), "utf-8")
    mode = os.stat(target).st_mode
    os.chmod(target, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    typer.echo(f"railguard: installed pre-commit hook at {target}")
