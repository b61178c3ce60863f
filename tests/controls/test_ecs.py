"""ECS task definition controls: pure verdicts, and the task definition JSON fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.model import Resource, Result, Unknown
from railguard.sources.containers import load_task_definition
from tests.containers.helpers import FIXTURES, result_of, verdict_of

TD = "AWS::ECS::TaskDefinition"
ECS_CONTROLS = ["ecs.privileged-container", "ecs.host-network-mode", "ecs.writable-root-filesystem",
                "ecs.secrets-in-environment"]


def _td(*containers: dict[str, Any], network_mode: Any = "awsvpc") -> Resource:
    props: dict[str, Any] = {"ContainerDefinitions": list(containers)}
    if network_mode is not None:
        props["NetworkMode"] = network_mode
    return Resource(TD, "td", props)


def _c(**kw: Any) -> dict[str, Any]:
    return {"Name": "web", "Image": "nginx:1.27", "ReadonlyRootFilesystem": True, **kw}


@pytest.mark.parametrize(("value", "expect"), [
    (True, Result.FAIL), ("true", Result.FAIL), (False, Result.PASS), (None, Result.PASS),
    (Unknown("parameter Priv has no Default"), Result.UNKNOWN),
])
def test_privileged(value: Any, expect: Result) -> None:
    c = _c(Privileged=value) if value is not None else _c()
    assert result_of("ecs.privileged-container", _td(c)) == expect


def test_privileged_names_the_container_and_known_fail_wins_over_unknown() -> None:
    r = _td(_c(Name="a", Privileged=Unknown("x")), _c(Name="b", Privileged=True))
    result, _, ev = verdict_of("ecs.privileged-container", r)
    assert result == Result.FAIL and ev["containers"] == ["b"]


@pytest.mark.parametrize(("mode", "expect"), [
    ("host", Result.FAIL), ("HOST", Result.FAIL), ("awsvpc", Result.PASS), ("bridge", Result.PASS),
    (None, Result.PASS), (Unknown("parameter Mode has no Default"), Result.UNKNOWN),
])
def test_host_network(mode: Any, expect: Result) -> None:
    assert result_of("ecs.host-network-mode", _td(_c(), network_mode=mode)) == expect


@pytest.mark.parametrize(("value", "expect"), [
    (True, Result.PASS), ("true", Result.PASS), (False, Result.FAIL), (None, Result.FAIL),
    (Unknown("var.ro has no value"), Result.UNKNOWN),
])
def test_writable_root(value: Any, expect: Result) -> None:
    c = {"Name": "web", "Image": "x"} if value is None else {"Name": "web", "ReadonlyRootFilesystem": value}
    assert result_of("ecs.writable-root-filesystem", _td(c)) == expect


def test_unknown_container_list_is_unknown() -> None:
    r = Resource(TD, "td", {"ContainerDefinitions": Unknown("jsonencode of an unknown local")})
    for cid in ("ecs.privileged-container", "ecs.writable-root-filesystem", "ecs.secrets-in-environment"):
        assert result_of(cid, r) == Result.UNKNOWN


@pytest.mark.parametrize(("env", "expect"), [
    ([{"Name": "DB_PASSWORD", "Value": "Sup3rS3cretPassw0rd"}], Result.FAIL),
    ([{"Name": "STRIPE_API_KEY", "Value": "k_9f8e7d6c5b4a3928"}], Result.FAIL),
    ([{"Name": "X", "Value": "AKIA" + "Q3ZL7XW2RBN4TYPK"}], Result.FAIL),
    ([{"Name": "DB_PASSWORD", "Value": "{{resolve:secretsmanager:db:SecretString:password}}"}], Result.PASS),
    ([{"Name": "DB_PASSWORD", "Value": Unknown("parameter DbPassword has no Default (set --param DbPassword=...)")}], Result.PASS),
    ([{"Name": "DB_PASSWORD", "Value": Unknown("var.db_password has no value")}], Result.PASS),
    ([{"Name": "DB_PASSWORD", "Value": Unknown("GetAtt Db.Endpoint is only known after deployment")}], Result.UNKNOWN),
    ([{"Name": "LOG_LEVEL", "Value": Unknown("anything")}], Result.PASS),
    ([{"Name": "SECRET_ARN", "Value": "arn:aws:secretsmanager:us-east-1:1:secret:db"}], Result.PASS),
    ([], Result.PASS),
])
def test_secrets_in_environment(env: list[dict[str, Any]], expect: Result) -> None:
    assert result_of("ecs.secrets-in-environment", _td(_c(Environment=env))) == expect


def test_secrets_evidence_is_redacted() -> None:
    r = _td(_c(Environment=[{"Name": "DB_PASSWORD", "Value": "Sup3rS3cretPassw0rd"}]))
    result, reason, ev = verdict_of("ecs.secrets-in-environment", r)
    assert result == Result.FAIL and "Sup3rS3cret" not in repr(ev) + reason
    assert ev["variables"][0] == {"container": "web", "name": "DB_PASSWORD", "value": "Sup3****",
                                  "why": "name says it holds a secret and the value is a literal"}


@pytest.mark.parametrize("control_id", ECS_CONTROLS)
def test_task_definition_json_fixtures(control_id: str) -> None:
    (bad,) = load_task_definition(FIXTURES / "taskdef-fail.json").resources
    (good,) = load_task_definition(FIXTURES / "taskdef-pass.json").resources
    assert result_of(control_id, bad) == Result.FAIL
    assert result_of(control_id, good) == Result.PASS
