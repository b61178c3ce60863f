"""lambda.secrets-in-environment on Lambda and SAM function shapes."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.model import Resource, Result, Unknown
from tests.containers.helpers import result_of, verdict_of


def _fn(variables: Any, type_: str = "AWS::Lambda::Function") -> Resource:
    props: dict[str, Any] = {"Runtime": "python3.12"}
    if variables is not None:
        props["Environment"] = {"Variables": variables}
    return Resource(type_, "fn", props)


@pytest.mark.parametrize("type_", ["AWS::Lambda::Function", "AWS::Serverless::Function"])
@pytest.mark.parametrize(("variables", "expect"), [
    ({"API_KEY": "k-7Qm2Xr9Lp4Vt8Zw3"}, Result.FAIL),
    ({"GITHUB": "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"}, Result.FAIL),
    ({"DATABASE_URL": "postgres://app:" + "Xk92mPq7Lr@db.internal:5432/app"}, Result.FAIL),
    ({"API_KEY": "{{resolve:ssm-secure:/app/api-key}}"}, Result.PASS),
    ({"API_KEY_PARAM": "/app/api-key", "TABLE": "orders"}, Result.PASS),
    ({"DATABASE_URL": "postgres://db.internal:5432/app"}, Result.PASS),
    ({"API_KEY": Unknown("parameter ApiKey has no Default")}, Result.PASS),
    ({"API_KEY": Unknown("Fn::ImportValue shared-key comes from another stack")}, Result.UNKNOWN),
    (None, Result.PASS),
])
def test_secrets_in_environment(type_: str, variables: Any, expect: Result) -> None:
    assert result_of("lambda.secrets-in-environment", _fn(variables, type_)) == expect


def test_unknown_environment_is_unknown() -> None:
    r = Resource("AWS::Lambda::Function", "fn", {"Environment": {"Variables": Unknown("Fn::If on an unknown condition")}})
    assert result_of("lambda.secrets-in-environment", r) == Result.UNKNOWN


def test_evidence_redacted() -> None:
    result, reason, ev = verdict_of("lambda.secrets-in-environment", _fn({"API_KEY": "k-7Qm2Xr9Lp4Vt8Zw3"}))
    assert result == Result.FAIL and "7Qm2Xr9Lp4" not in repr(ev) + reason
    assert ev["variables"][0]["value"] == "k-7Q****"
