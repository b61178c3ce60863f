"""`railguard hooks install`: a git pre-commit hook that blocks commits carrying secrets."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import typer

from railguard.cli.exitcodes import UserError

hooks_app = typer.Typer(name="hooks", help="Install git hooks (secret scanning before each commit).", no_args_is_help=True)

MARKER = "# installed by railguard hooks install"


def register(app: typer.Typer) -> None:
    app.add_typer(hooks_app, name="hooks")


# Found when the hook runs, not when it is installed: the repository's own virtualenv, then
# PATH, then the module of whichever python3 is first. A path fixed at install time breaks as
# soon as that virtualenv moves, and is wrong on every other clone of the repository.
FIND_RAILGUARD = """run_railguard() {
  top=$(git rev-parse --show-toplevel)
  if [ -x "$top/.venv/bin/railguard" ]; then "$top/.venv/bin/railguard" "$@"
  elif command -v railguard >/dev/null 2>&1; then railguard "$@"
  else python3 -m railguard.cli "$@"
  fi
}
"""


def hook_script(command: str | None = None) -> str:
    """The pre-commit hook; `command` pins how railguard runs (default: found at commit time)."""
    run = f"{command} secrets scan --staged --hook" if command else "run_railguard secrets scan --staged --hook"
    find = "" if command else FIND_RAILGUARD
    return f"""#!/bin/sh
{MARKER}
# Blocks a commit whose staged files contain credentials. Allow a false positive with a
# 'railguard:allow <reason>' comment on its line, or accept findings with
# 'railguard secrets baseline'. Bypass once (not recommended): git commit --no-verify
{find}{run}
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


@hooks_app.command("install")
def install(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository (default: the current directory)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing pre-commit hook not written by railguard."),
    command: str = typer.Option(None, "--command", help="How the hook runs railguard (default: the repository's "
                                ".venv, else `railguard` on PATH, else `python3 -m railguard.cli`, found at each commit)."),
) -> None:
    """Write .git/hooks/pre-commit to run `railguard secrets scan --staged`."""
    hooks = _hooks_dir(repo)
    hooks.mkdir(parents=True, exist_ok=True)
    target = hooks / "pre-commit"
    if target.exists() and MARKER not in target.read_text("utf-8", "replace") and not force:
        raise UserError(f"{target} exists and was not written by railguard; use --force to replace it")
    target.write_text(hook_script(command), "utf-8")
    mode = os.stat(target).st_mode
    os.chmod(target, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    typer.echo(f"railguard: installed pre-commit hook at {target}")
