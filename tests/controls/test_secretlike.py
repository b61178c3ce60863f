"""The pure helpers that decide whether a name/value looks like a hard-coded secret."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.controls.secretlike import (
    deploy_input,
    is_placeholder,
    known_credential,
    looks_secret_name,
    redact,
    secret_reason,
)
from railguard.model import Unknown


@pytest.mark.parametrize("name", [
    "password", "DB_PASSWORD", "dbPassword", "MasterUserPassword", "db-passwd", "SMTP_PASS", "api_key", "apiKey",
    "API-KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "authToken", "client_secret", "PRIVATE_KEY",
    "SSH_PRIVATE_KEY", "SECRET_KEY_BASE", "Passphrase", "DB_CREDENTIALS", "ConnectionString",
])
def test_secret_names(name: str) -> None:
    assert looks_secret_name(name)


@pytest.mark.parametrize("name", [
    "", "NODE_ENV", "SECRET_ARN", "PASSWORD_FILE", "TOKEN_URL", "SECRET_NAME", "API_KEY_ID", "KMS_KEY_ID",
    "PUBLIC_KEY", "PASSWORD_MIN_LENGTH", "AWS_ACCESS_KEY_ID", "BYPASS_CACHE", "TokenExpiry", "MasterUsername",
    "DbPasswordSecretArn", "Passenger",
])
def test_not_secret_names(name: str) -> None:
    assert not looks_secret_name(name)


@pytest.mark.parametrize("value", [
    None, "", "  ", "${DB_PASSWORD}", "$DB_PASSWORD", "$(cat /run/secrets/x)", "{{resolve:secretsmanager:db}}",
    "{{resolve:ssm-secure:/x:1}}", "<your-password>", "changeme", "CHANGEME", "xxxxxx", "****", "your-api-key",
    Unknown("Ref"), True, {"Ref": "X"},
])
def test_placeholders(value: Any) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["hunter2", "Sup3rS3cretPassw0rd", "a", 48213579])
def test_literals(value: Any) -> None:
    assert not is_placeholder(value)


def test_known_credentials() -> None:
    assert known_credential("AKIA" + "Q3ZL7XW2RBN4TYPK") == "aws-access-key-id"
    assert known_credential("AKIAIOSFODNN7EXAMPLE") is None  # AWS's documented example key
    assert known_credential("postgres://app:" + "Xk92mPq7Lr@db:5432/app") is not None
    assert known_credential("postgres://db:5432/app") is None
    assert known_credential("hello world") is None


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("DB_PASSWORD", "hunter2", True),
    ("DB_PASSWORD", "${X}", False),
    ("DB_PASSWORD", "true", False),
    ("TOKEN", "3600", False),
    ("DB_PASSWORD", "/run/secrets/db", False),
    ("API_KEY", "arn:aws:secretsmanager:us-east-1:1:secret:k", False),
    ("API_KEY", "https://vault.internal/v1/k", False),
    ("ANYTHING", "AKIA" + "Q3ZL7XW2RBN4TYPK", True),
    ("NODE_ENV", "production", False),
    ("STRIPE_KEY", "k9F2mQ7xL4pR8vT1wZ3n", True),
    ("CACHE_KEY", "users-by-email", False),
    ("PARTITION_KEY", "tenant_id", False),
    ("MAPS_KEY", "aaaaaaaaaaaaaaaaaaaa", False),
    ("LambdaCodeS3Key", "5121d3c7a8d7e1f0b2a3c4d5e6f70812", False),
    ("WEBHOOK_SIG", "0123456789abcdef0123456789abcdef", False),  # a hex digest, not a key
])
def test_secret_reason(name: str, value: Any, secret: bool) -> None:
    assert (secret_reason(name, value) is not None) is secret


def test_redact_keeps_only_a_short_prefix() -> None:
    assert redact("Sup3rS3cretPassw0rd") == "Sup3****"
    assert redact("hunter2") == "h****"
    assert redact("abc") == "****"
    assert redact(None) == "****"


def test_deploy_input() -> None:
    assert deploy_input(Unknown("parameter DbPassword has no Default (set --param DbPassword=...)")) == ("parameter", "DbPassword")
    assert deploy_input(Unknown("parameter P is read from SSM Parameter Store at deployment")) == ("ssm-parameter", "P")
    assert deploy_input(Unknown("var.db_password has no value")) == ("variable", "db_password")
    assert deploy_input(Unknown("GetAtt X.Y is only known after deployment")) is None


def test_entropy_and_token_shape() -> None:
    from railguard.controls.secretlike import looks_random_token, shannon_entropy

    assert shannon_entropy("") == 0.0 and shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("k9F2mQ7xL4pR8vT1wZ3n") > 4
    assert looks_random_token("k9F2mQ7xL4pR8vT1wZ3n")
    assert not looks_random_token("this-is-not-random-at-all")
    assert not looks_random_token("short1A")
