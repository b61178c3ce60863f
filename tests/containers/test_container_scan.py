"""`railguard iac scan` end to end on container inputs, and the CloudFormation/Terraform
fixtures of the ECS, Lambda, ELB and template-only controls: the same control id fires for the
same misconfiguration in a Dockerfile/task definition JSON, a template and a Terraform module."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.controls import IAC, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.iac import DOCKERFILE, ECS_TASK, PARSE_ERROR, IacOptions, run_iac
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Result, RunResult
from tests.containers.helpers import FIXTURES

CFN = FIXTURES / "cfn"
TF = FIXTURES / "tf"


def scan(*paths: Path, **kw: object) -> RunResult:
    return run_iac(list(paths), IacOptions(**{"show_pass": True, **kw}))  # type: ignore[arg-type]  # keep PASS findings


def _by(run: RunResult, control_id: str) -> list[Result]:
    return [f.result for f in run.findings if f.control_id == control_id]


def test_dockerfile_scan_fails_every_docker_control_with_file_and_line() -> None:
    run = scan(FIXTURES / "Dockerfile.fail")
    assert run.meta["inputs"] == {DOCKERFILE: 1}
    fails = {f.control_id for f in run.findings if f.result == Result.FAIL}
    assert {"docker.no-user", "docker.base-image-unpinned", "docker.add-from-url",
            "docker.secret-in-env-or-arg", "docker.curl-pipe-shell"} <= fails
    for f in run.findings:
        assert f.origin.file and f.origin.file.endswith("Dockerfile.fail") and f.origin.line
    secret = next(f for f in run.findings if f.control_id == "docker.secret-in-env-or-arg")
    assert "Sup3rS3cret" not in repr(secret.to_dict())


def test_dockerfile_scan_passes_the_good_file() -> None:
    run = scan(FIXTURES / "Dockerfile.pass")
    docker = [f for f in run.findings if f.control_id.startswith("docker.")]
    assert len(docker) == 5 and {f.result for f in docker} == {Result.PASS}


def test_inline_ignore_is_suppressed_not_dropped() -> None:
    run = scan(FIXTURES / "Dockerfile.ignored")
    (f,) = [f for f in run.findings if f.control_id == "docker.no-user"]
    assert f.result == Result.SUPPRESSED and f.suppressed_by and "SEC-12" in f.suppressed_by
    run = scan(FIXTURES / "Dockerfile.ignored", inline_ignores=False)
    assert _by(run, "docker.no-user") == [Result.FAIL]


def test_task_definition_json_scan() -> None:
    run = scan(FIXTURES / "taskdef-fail.json", FIXTURES / "taskdef-pass.json")
    assert run.meta["inputs"] == {ECS_TASK: 2}
    for cid in ("ecs.privileged-container", "ecs.host-network-mode", "ecs.writable-root-filesystem",
                "ecs.secrets-in-environment"):
        got = {f.resource_id: f.result for f in run.findings if f.control_id == cid}
        assert got == {"web-insecure": Result.FAIL, "web-secure": Result.PASS}, cid


@pytest.mark.parametrize("name", ["Dockerfile.empty", "Dockerfile.notdocker", "taskdef-malformed.json",
                                  "not-a-taskdef.json", "Dockerfile.ignore-without-reason"])
def test_bad_input_is_an_error_finding(name: str) -> None:
    run = scan(FIXTURES / name)
    errors = [f for f in run.findings if f.control_id == PARSE_ERROR]
    assert errors and all(f.result == Result.ERROR and f.origin.file.endswith(name) for f in errors)  # type: ignore[union-attr]


def test_binary_dockerfile_does_not_stop_the_scan(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"\x00\x01\x02\xff" * 64)
    (tmp_path / "app.Dockerfile").write_text("FROM alpine:3.20\nUSER 1\n")
    run = scan(tmp_path)
    errors = [f for f in run.findings if f.control_id == PARSE_ERROR]
    assert len(errors) == 1 and errors[0].origin.file and errors[0].origin.file.endswith("/Dockerfile")
    assert _by(run, "docker.no-user") == [Result.PASS]


# --- CloudFormation and Terraform fixtures -------------------------------------------------------


def _cfn_cases() -> list[tuple[str, str]]:
    """<control-id>/{fail,pass}[-variant].yaml"""
    return [(d.name, f.stem) for d in sorted(CFN.iterdir()) for f in sorted(d.glob("*.yaml"))
            if f.stem.split("-")[0] in ("fail", "pass")]


@pytest.mark.parametrize(("control_id", "case"), _cfn_cases())
def test_cloudformation_fixture(control_id: str, case: str) -> None:
    expect = case.split("-")[0]
    run = scan(CFN / control_id / f"{case}.yaml", only_controls=[control_id])
    assert not [f for f in run.findings if f.result == Result.ERROR], run.findings
    got = _by(run, control_id)
    if expect == "fail":
        assert Result.FAIL in got, [(f.result, f.reason) for f in run.findings]
        assert all(f.origin.line for f in run.findings if f.result == Result.FAIL)
        assert "Sup3rS3cret" not in repr([f.to_dict() for f in run.findings])
    else:
        assert got and set(got) == {Result.PASS}, [(f.result, f.reason) for f in run.findings]


def _tf_cases() -> list[tuple[str, str]]:
    return [(d.name, k) for d in sorted(TF.iterdir()) for k in ("fail", "pass") if (d / k / "main.tf").is_file()]


@pytest.mark.parametrize(("control_id", "expect"), _tf_cases())
def test_terraform_fixture(control_id: str, expect: str) -> None:
    terraform = pytest.importorskip("railguard.sources.terraform")
    loaded = terraform.load_directory(TF / control_id / expect)
    assert not loaded.errors, loaded.errors
    c = get_control(control_id)
    findings = evaluate([PlannedControl(c, dict(c.params))], Inventory(loaded.resources), place=IAC)
    got = [f.result for f in findings]
    if expect == "fail":
        assert Result.FAIL in got, [(f.result, f.reason) for f in findings]
    else:
        assert got and set(got) == {Result.PASS}, [(f.result, f.reason) for f in findings]


def test_every_non_docker_control_of_this_package_has_both_fixtures() -> None:
    ids = [d.name for d in CFN.iterdir()]
    assert len(ids) == 9
    for cid in ids:
        assert (CFN / cid / "fail.yaml").is_file() and (CFN / cid / "pass.yaml").is_file()
