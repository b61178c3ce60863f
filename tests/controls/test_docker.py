"""Dockerfile controls: pure verdicts on hand-built resources, and on the loaded fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.model import Resource, Result, Unknown
from railguard.sources.containers import DOCKERFILE_TYPE, load_dockerfile, parse_dockerfile
from tests.containers.helpers import FIXTURES, result_of, verdict_of

DOCKER_CONTROLS = ["docker.no-user", "docker.base-image-unpinned", "docker.add-from-url",
                   "docker.secret-in-env-or-arg", "docker.curl-pipe-shell"]


def _df(stages: list[dict[str, Any]] | None = None, user: Any = "app",
        instructions: list[dict[str, Any]] | None = None) -> Resource:
    stages = stages if stages is not None else [
        {"Name": None, "BaseImage": "alpine", "Tag": "3.20", "Digest": None, "FromStage": None, "Line": 1}
    ]
    return Resource(DOCKERFILE_TYPE, "Dockerfile", {"Stages": stages, "User": user, "Instructions": instructions or []})


def _ins(instr: str, args: str, line: int = 2, pairs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"Instruction": instr, "Arguments": args, "Line": line, "Stage": 0}
    if pairs is not None:
        d["Pairs"] = pairs
    return d


def _stage(image: Any, tag: Any = None, digest: Any = None, from_stage: str | None = None) -> dict[str, Any]:
    return {"Name": None, "BaseImage": image, "Tag": tag, "Digest": digest, "FromStage": from_stage, "Line": 1}


# --- docker.no-user ----------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "expect"), [
    (None, Result.FAIL), ("root", Result.FAIL), ("0", Result.FAIL), ("0:0", Result.FAIL), ("root:staff", Result.FAIL),
    ("app", Result.PASS), ("10001:10001", Result.PASS), ("nonroot", Result.PASS),
    (Unknown("build argument UID has no default"), Result.UNKNOWN),
])
def test_no_user(user: Any, expect: Result) -> None:
    assert result_of("docker.no-user", _df(user=user)) == expect


# --- docker.base-image-unpinned ------------------------------------------------------------------


@pytest.mark.parametrize(("stages", "expect"), [
    ([_stage("ubuntu", "latest")], Result.FAIL),
    ([_stage("ubuntu")], Result.FAIL),
    ([_stage("ubuntu", "LATEST")], Result.FAIL),
    ([_stage("ubuntu", "24.04")], Result.PASS),
    ([_stage("ubuntu", None, "sha256:ab")], Result.PASS),
    ([_stage("ubuntu", "latest", "sha256:ab")], Result.PASS),
    ([_stage("scratch")], Result.PASS),
    ([_stage("golang", "1.22"), _stage(None, from_stage="builder")], Result.PASS),
    ([_stage(Unknown("ARG REG has no default"), Unknown("x"), Unknown("x"))], Result.UNKNOWN),
    ([_stage(Unknown("ARG REG has no default"), Unknown("x"), Unknown("x")), _stage("node")], Result.FAIL),
])
def test_base_image_unpinned(stages: list[dict[str, Any]], expect: Result) -> None:
    assert result_of("docker.base-image-unpinned", _df(stages=stages)) == expect


def test_base_image_evidence_names_image_and_line() -> None:
    _, reason, ev = verdict_of("docker.base-image-unpinned", _df(stages=[_stage("ubuntu", "latest")]))
    assert ev["images"] == [{"image": "ubuntu:latest", "line": 1}] and "ubuntu:latest" in reason


# --- docker.add-from-url -----------------------------------------------------------------------


@pytest.mark.parametrize(("args", "expect"), [
    ("https://example.com/x.tgz /opt/", Result.FAIL),
    ("http://example.com/x.tgz /opt/", Result.FAIL),
    ('["https://example.com/x.tgz", "/opt/"]', Result.FAIL),
    ("--chown=app https://example.com/x.tgz /opt/", Result.FAIL),
    ("--checksum=sha256:abc https://example.com/x.tgz /opt/", Result.PASS),
    ("app.tgz /opt/", Result.PASS),
    ("https-config/ /etc/", Result.PASS),
])
def test_add_from_url(args: str, expect: Result) -> None:
    assert result_of("docker.add-from-url", _df(instructions=[_ins("ADD", args)])) == expect


def test_copy_is_not_add() -> None:
    assert result_of("docker.add-from-url", _df(instructions=[_ins("COPY", "https://x /y")])) == Result.PASS


# --- docker.secret-in-env-or-arg ---------------------------------------------------------------


@pytest.mark.parametrize(("instr", "name", "value", "expect"), [
    ("ENV", "DB_PASSWORD", "Sup3rS3cretPassw0rd", Result.FAIL),
    ("ARG", "API_TOKEN", "tok-9f8e7d6c5b4a39281706", Result.FAIL),
    ("ENV", "apiKey", "k-7Qm2Xr9Lp4Vt8Zw3", Result.FAIL),
    ("ENV", "SOME_VALUE", "AKIA" + "Q3ZL7XW2RBN4TYPK", Result.FAIL),  # a key id under any name
    ("ARG", "API_TOKEN", None, Result.PASS),  # passed with --build-arg
    ("ENV", "DB_PASSWORD", "${DB_PASSWORD}", Result.PASS),
    ("ENV", "DB_PASSWORD", "$DB_PASSWORD", Result.PASS),
    ("ENV", "DB_PASSWORD", "", Result.PASS),
    ("ENV", "DB_PASSWORD", "changeme", Result.PASS),
    ("ENV", "DB_PASSWORD", "<set-at-runtime>", Result.PASS),
    ("ENV", "DB_PASSWORD_FILE", "/run/secrets/db", Result.PASS),
    ("ENV", "SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:x", Result.PASS),
    ("ENV", "NODE_ENV", "production", Result.PASS),
    ("ENV", "TOKEN_TTL", "3600", Result.PASS),
])
def test_secret_in_env_or_arg(instr: str, name: str, value: Any, expect: Result) -> None:
    r = _df(instructions=[_ins(instr, f"{name}={value}", pairs=[{"Name": name, "Value": value}])])
    assert result_of("docker.secret-in-env-or-arg", r) == expect


def test_secret_evidence_is_redacted() -> None:
    r = _df(instructions=[_ins("ENV", "x", 7, pairs=[{"Name": "DB_PASSWORD", "Value": "Sup3rS3cretPassw0rd"}])])
    result, reason, ev = verdict_of("docker.secret-in-env-or-arg", r)
    assert result == Result.FAIL
    assert "Sup3rS3cret" not in repr(ev) + reason
    assert ev["variables"][0]["value"] == "Sup3****" and ev["variables"][0]["line"] == 7


# --- docker.curl-pipe-shell --------------------------------------------------------------------


@pytest.mark.parametrize(("args", "expect"), [
    ("curl -fsSL https://x.sh | sh", Result.FAIL),
    ("curl -fsSL https://x.sh | bash -s -- --yes", Result.FAIL),
    ("wget -qO- https://x.sh | sudo -E bash", Result.FAIL),
    ("apt-get update && curl https://x | /bin/sh", Result.FAIL),
    ('sh -c "$(curl -fsSL https://x.sh)"', Result.FAIL),
    ("bash <(curl -fsSL https://x.sh)", Result.FAIL),
    ("<<EOF\nset -e\ncurl -s https://x | zsh\n", Result.FAIL),
    ("curl -fsSLo /tmp/i.sh https://x.sh && sha256sum -c sums && sh /tmp/i.sh", Result.PASS),
    ("curl -s https://x | sha256sum", Result.PASS),
    ("curl -s https://x | tar xz -C /opt", Result.PASS),
    ("echo hi | sh", Result.PASS),
])
def test_curl_pipe_shell(args: str, expect: Result) -> None:
    assert result_of("docker.curl-pipe-shell", _df(instructions=[_ins("RUN", args)])) == expect


# --- on the loaded fixtures --------------------------------------------------------------------


@pytest.mark.parametrize("control_id", DOCKER_CONTROLS)
def test_fixture_fail_and_pass(control_id: str) -> None:
    (bad,) = load_dockerfile(FIXTURES / "Dockerfile.fail").resources
    (good,) = load_dockerfile(FIXTURES / "Dockerfile.pass").resources
    assert result_of(control_id, bad) == Result.FAIL
    assert result_of(control_id, good) == Result.PASS


def test_multistage_fixture() -> None:
    (r,) = load_dockerfile(FIXTURES / "Dockerfile.multistage").resources
    assert result_of("docker.no-user", r) == Result.PASS  # final stage inherits USER app
    assert result_of("docker.base-image-unpinned", r) == Result.PASS  # scratch + stage refs
    assert result_of("docker.curl-pipe-shell", r) == Result.FAIL  # in a heredoc


def test_from_build_arg_without_default_is_unknown() -> None:
    (r,) = parse_dockerfile("ARG BASE\nFROM $BASE\nUSER 1\n", "Dockerfile").resources
    assert result_of("docker.base-image-unpinned", r) == Result.UNKNOWN


def test_final_stage_only_for_user() -> None:
    (r,) = parse_dockerfile("FROM alpine:3.20 AS a\nUSER app\nFROM alpine:3.20\nRUN id\n", "Dockerfile").resources
    assert result_of("docker.no-user", r) == Result.FAIL
    (r,) = parse_dockerfile("FROM alpine:3.20\nUSER app\nRUN x\nUSER root\n", "Dockerfile").resources
    assert result_of("docker.no-user", r) == Result.FAIL


def test_distroless_nonroot_tag_counts_as_a_user() -> None:
    (r,) = parse_dockerfile("FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\n", "Dockerfile").resources
    assert result_of("docker.no-user", r) == Result.PASS
    (r,) = parse_dockerfile("FROM gcr.io/distroless/static-debian12:debug-nonroot\n", "Dockerfile").resources
    assert result_of("docker.no-user", r) == Result.PASS
    (r,) = parse_dockerfile("FROM gcr.io/distroless/static-debian12:nonroot\nUSER root\n", "Dockerfile").resources
    assert result_of("docker.no-user", r) == Result.FAIL
