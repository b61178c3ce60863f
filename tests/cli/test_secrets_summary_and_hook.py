"""The secrets summary counts files holding secrets apart from files read; the git hook finds
railguard when it runs instead of naming one virtualenv's absolute path."""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from railguard.cli.main import main
from railguard.secrets.samples import sample
from tests.secrets.conftest import git

ROOT = Path(__file__).resolve().parents[2]


def _secret_line(seed: int) -> str:
    s = sample("aws-access-key-id", random.Random(seed))
    return f'{s.key} = "{s.value}"\n'


def _scan(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str) -> str:
    monkeypatch.chdir(cwd)
    with pytest.raises(SystemExit):
        main(["secrets", "scan", "--no-baseline", *args])
    out, err = capsys.readouterr()
    return out + err


def test_summary_counts_files_with_secrets_and_files_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        (tmp_path / f"clean{i}.py").write_text("x = 1\n")
    (tmp_path / "leak.py").write_text(_secret_line(1) + _secret_line(2))
    text = _scan(capsys, monkeypatch, tmp_path)
    assert "2 secret(s) in 1 file(s); 6 file(s) scanned" in text, text
    assert "found in 6 files" not in text
    text = _scan(capsys, monkeypatch, tmp_path, "-o", str(tmp_path / "out.txt"))
    assert "2 secret(s) in 1 file(s); 6 file(s) scanned" in text, text


def test_installed_hook_names_no_virtualenv_and_runs_the_repos_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.org")
    git(repo, "config", "user.name", "Dev")
    monkeypatch.chdir(repo)
    with pytest.raises(SystemExit) as done:
        main(["hooks", "install"])
    assert done.value.code == 0
    hook = (repo / ".git" / "hooks" / "pre-commit").read_text()
    assert sys.prefix not in hook and sys.executable not in hook and str(ROOT) not in hook
    # a clone with its own .venv: the hook runs that one, wherever the clone lives
    venv_bin = repo / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    shim = venv_bin / "railguard"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m railguard.cli "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    (repo / ".gitignore").write_text(".venv/\n")
    (repo / "app.py").write_text(_secret_line(3))
    git(repo, "add", ".gitignore", "app.py")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = "/usr/bin:/bin"  # no railguard on PATH: only the repository's .venv has one
    blocked = subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "leak"], capture_output=True,
                             text=True, env=env, timeout=120)
    assert blocked.returncode != 0, blocked.stderr
    assert "commit blocked" in blocked.stderr
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "app.py")
    ok = subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "clean"], capture_output=True,
                        text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
