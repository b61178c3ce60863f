"""A real git repository in a temp dir: the hook blocks a staged secret, history finds a removed
one, ranges, the CLI's formats and exit codes, and .pre-commit-hooks.yaml."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from railguard.cli.main import main
from railguard.secrets.samples import sample
from tests.secrets.conftest import git

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def rg(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """Run the CLI in-process (as `railguard ...` would, exit code included) from a directory."""

    def run(cwd: Path, *args: str) -> Ran:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["railguard", *args])
        capsys.readouterr()
        code: int | str | None = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return Ran(int(code or 0), out.out, out.err)

    return run


def rg_process(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "railguard.cli", *args], cwd=cwd, capture_output=True, text=True, env=env)


def commit(repo: Path, msg: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", msg)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def test_hook_blocks_staged_secret(repo: Path, rng: random.Random, rg: Callable[..., Ran]) -> None:
    (repo / "README.md").write_text("hello\n")
    commit(repo, "init")
    res = rg_process(repo, "hooks", "install", "--command", f"PYTHONPATH={ROOT} {sys.executable} -m railguard.cli")
    assert res.returncode == 0, res.stderr
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK)
    tok = sample("github-pat", rng).value
    (repo / "deploy.sh").write_text(f"#!/bin/sh\nexport GH={tok}\n")
    git(repo, "add", "deploy.sh")
    blocked = git(repo, "commit", "-m", "add deploy", check=False)
    assert blocked.returncode != 0
    assert "deploy.sh:2" in blocked.stderr and "github-pat" in blocked.stderr
    assert "railguard:allow" in blocked.stderr and tok not in blocked.stderr + blocked.stdout
    # allowed with a reason: the commit goes through
    (repo / "deploy.sh").write_text(f"#!/bin/sh\nexport GH={tok}  # railguard:allow revoked, used by the tutorial\n")
    git(repo, "add", "deploy.sh")
    assert git(repo, "commit", "-q", "-m", "add deploy", check=False).returncode == 0
    # a second install keeps our hook; a foreign hook needs --force
    assert rg(repo, "hooks", "install").returncode == 0
    hook.write_text("#!/bin/sh\nexit 0\n")
    assert rg(repo, "hooks", "install").returncode == 2


def test_staged_scan_only_looks_at_the_index(repo: Path, rng: random.Random, rg: Callable[..., Ran]) -> None:
    (repo / "a.txt").write_text("clean\n")
    commit(repo, "init")
    tok = sample("sendgrid-api-key", rng).value
    (repo / "a.txt").write_text(f"key={tok}\n")  # modified in the work tree, not staged
    assert rg(repo, "secrets", "scan", "--staged").returncode == 0
    git(repo, "add", "a.txt")
    res = rg(repo, "secrets", "scan", "--staged")
    assert res.returncode == 1 and "a.txt:1" in res.stderr


def test_history_finds_removed_secret_once_with_introducing_commit(repo: Path, rng: random.Random, rg: Callable[..., Ran]) -> None:
    key_id = sample("aws-access-key-id", rng).value
    (repo / "app.py").write_text("print('hi')\n")
    commit(repo, "init")
    (repo / "app.py").write_text(f"print('hi')\nKEY = '{key_id}'\n")
    introduced = commit(repo, "add key")
    (repo / "app.py").write_text(f"print('hello')\nKEY = '{key_id}'\n")  # a new blob, same secret
    commit(repo, "edit")
    (repo / "app.py").write_text("print('hello')\n")
    removed = commit(repo, "remove key")
    assert rg(repo, "secrets", "scan").returncode == 0  # the work tree is clean
    res = rg(repo, "secrets", "scan", "--history", "--format", "json")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert [(f["rule_id"], f["path"], f["line"], f["commit"]) for f in doc["findings"]] == [
        ("aws-access-key-id", "app.py", 2, introduced)
    ]
    assert key_id not in res.stdout
    assert doc["summary"]["commits"] == 4
    # ranges: after the key was introduced there is nothing new
    assert rg(repo, "secrets", "scan", "--since", introduced).returncode == 0
    assert rg(repo, "secrets", "scan", "--range", f"{introduced}~1..{removed}").returncode == 1


def test_history_on_other_branch(repo: Path, rng: random.Random, rg: Callable[..., Ran]) -> None:
    (repo / "a").write_text("a\n")
    commit(repo, "init")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "b.env").write_text(f"TOKEN={sample('gitlab-pat', rng).value}\n")
    commit(repo, "feature")
    git(repo, "checkout", "-q", "main")
    res = rg(repo, "secrets", "scan", "--history")
    assert res.returncode == 1 and "b.env:1" in res.stdout and "gitlab-pat" in res.stdout


def test_cli_formats_and_exit_codes(tmp_path: Path, rng: random.Random, rg: Callable[..., Ran]) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    assert rg(tmp_path, "secrets", "scan").returncode == 0
    (tmp_path / "k.py").write_text(f"k = '{sample('stripe-secret-key', rng).value}'\n")
    res = rg(tmp_path, "secrets", "scan", ".", "--format", "sarif", "--output", "out.sarif")
    assert res.returncode == 1
    from railguard.report.sarif import validate

    validate(json.loads((tmp_path / "out.sarif").read_text()))
    assert rg(tmp_path, "secrets", "scan", "--format", "xml").returncode == 2
    assert rg(tmp_path, "secrets", "scan", "missing-dir").returncode == 2
    assert rg(tmp_path, "secrets", "scan", "--history").returncode == 2  # not a git repository
    assert rg(tmp_path, "secrets", "scan", "--staged", "--history").returncode == 2
    assert rg(tmp_path, "secrets", "scan", "--disable", "nope").returncode == 2
    # baseline: accept, then clean; --no-baseline shows it again
    res = rg(tmp_path, "secrets", "baseline")
    assert res.returncode == 0 and (tmp_path / ".railguard-secrets-baseline.json").is_file()
    assert rg(tmp_path, "secrets", "scan").returncode == 0
    assert "SUPPRESSED" in rg(tmp_path, "secrets", "scan", "--show-suppressed").stdout
    assert rg(tmp_path, "secrets", "scan", "--no-baseline").returncode == 1
    (tmp_path / ".railguard.toml").write_text("[secrets]\nexclude = 3\n")
    assert rg(tmp_path, "secrets", "scan").returncode == 2


def test_pre_commit_hooks_yaml() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "railguard-secrets"]
    assert hook["entry"].startswith("railguard secrets scan")
    assert hook["pass_filenames"] is True and hook["language"] == "python"
