"""What a new user trips over: bad flags are one-line usage errors (exit 2), checked before any
call; messages name the profile, the endpoint, the region they mean; help says what to write."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from railguard.cli import main as main_mod
from railguard.cli.main import command, main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 0), out, err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("railguard: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        yield url


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["scan", "--endpoint-url", "127.0.0.1:5000"], "http://127.0.0.1:5000"),
        (["scan", "--role-arn", "notanarn"], "not an IAM role ARN"),
        (["scan", "--nosuch"], "No such option: --nosuch"),
        (["scan", "--regions"], "requires an argument"),
        (["controls", "list", "--service", "s4"], "did you mean s3?"),
        (["iac", "scan", ".", "-c", "iam.root-mfa"], "does not run on templates"),
        (["scan", "--framework", "cis-aws-foundation-3.0", "--dry-run"], "did you mean cis-aws-foundations-3.0?"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], says: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert says in one_line_error(err)


def test_output_dir_that_is_a_file_is_refused_before_the_scan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    existing = tmp_path / "results.json"
    existing.write_text("keep me")
    # the endpoint is unreachable: getting past the check would exit 3, not 2
    code, _, err = run(capsys, "scan", "--endpoint-url", "http://127.0.0.1:9", "-o", str(existing))
    assert code == 2 and "exists and is not a directory" in one_line_error(err)
    assert existing.read_text() == "keep me"


def test_framework_ids_are_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", "--dry-run", "--framework", "CIS-AWS-Foundations-3.0,RAILGUARD-BASELINE")
    assert code == 0 and "controls over" in out
    code, out, _ = run(capsys, "frameworks", "show", "Railguard-Baseline")
    assert code == 0 and "railguard-baseline" in out


def test_controls_list_service_is_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "controls", "list", "--service", "S3", "--json")
    assert code == 0 and {c["id"].split(".")[0] for c in json.loads(out)} == {"s3"}


def test_region_typos_are_refused_with_a_suggestion(
    capsys: pytest.CaptureFixture[str], moto_url: str, tmp_path: Path
) -> None:
    base = ["scan", "--endpoint-url", moto_url, "-c", "s3.deny-http", "-q", "--format", "json", "-o", str(tmp_path)]
    code, _, err = run(capsys, *base, "--regions", "eu-wset-1")
    assert code == 2 and "eu-wset-1 (did you mean eu-west-1?)" in one_line_error(err)
    code, _, err = run(capsys, *base, "--regions", "us-east-1,mars-1")
    assert code == 2 and "mars-1" in one_line_error(err)
    code, _, err = run(capsys, *base, "--regions", "EU-West-1")
    assert code == 0, err
    assert json.loads((tmp_path / "railguard-report.json").read_text())["regions"] == ["eu-west-1"]


def test_unknown_profile_is_named(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    code, _, err = run(capsys, "scan", "-q")
    assert code == 3 and "'nosuch'" in one_line_error(err)


def test_unreachable_endpoint_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "scan", "--endpoint-url", "http://127.0.0.1:9", "-q", "-o", str(tmp_path))
    assert code == 3 and "http://127.0.0.1:9" in one_line_error(err)


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, _ = run(capsys, *args, "-h")
    assert code == 0
    return out


def test_help_shows_real_metavars(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    for args in (["scan"], ["iac", "scan"], ["secrets", "scan"], ["controls", "list"], ["hooks", "install"]):
        out = _help(capsys, *args)
        assert "<" not in out and "list[" not in out, out
    out = _help(capsys, "scan")
    for metavar in ("REGION[,REGION...]", "ARN", "URL", "LEVEL", "DIR"):
        assert metavar in out


def _shorts(cmd: object) -> dict[str, str]:
    return {o: max(p.opts, key=len) for p in cmd.params for o in p.opts  # type: ignore[attr-defined]
            if getattr(p, "param_type_name", "") == "option" and not o.startswith("--")}


def test_short_flags_mean_the_same_in_scan_and_iac_scan() -> None:
    root = command()
    scan = _shorts(root.commands["scan"])
    iac = _shorts(root.commands["iac"].commands["scan"])
    shared = set(scan) & set(iac)
    assert shared >= {"-c", "-o", "-q"}
    assert {s: scan[s] for s in shared} == {s: iac[s] for s in shared} or all(
        scan[s] == iac[s] or {scan[s], iac[s]} == {"--output-dir", "--output"} for s in shared
    )
    assert "-f" not in iac  # -f is --framework in `scan`


def test_main_registers_groups_with_plain_imports() -> None:
    source = inspect.getsource(main_mod)
    assert "__import__" not in source and "ModuleNotFoundError" not in source
    assert {"scan", "iac", "secrets", "hooks", "controls", "frameworks", "demo"} <= set(command().commands)


def test_console_script_usage_error_is_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "railguard.cli", "iac", "scan", "--format"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    one_line_error(proc.stderr)
