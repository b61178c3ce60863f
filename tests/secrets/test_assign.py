"""One judgement of `NAME = literal` for `secrets scan` and the IaC controls: they agree."""

from __future__ import annotations

import pytest

from railguard.controls.secretlike import secret_reason
from railguard.secrets.assign import NAMED, NONE, STRONG, WEAK, assignment_secret, name_strength
from railguard.secrets.engine import Engine


@pytest.mark.parametrize(("name", "strength"), [
    ("DB_PASSWORD", STRONG), ("smtpPass", STRONG), ("passphrase", STRONG), ("adminPassword", STRONG),
    ("client_secret", NAMED), ("GITHUB_TOKEN", NAMED), ("API_KEY", NAMED), ("AWS_SECRET_ACCESS_KEY", NAMED),
    ("STRIPE_KEY", WEAK), ("CACHE_KEY", NONE), ("SECRET_ARN", NONE), ("PASSWORD_FILE", NONE), ("TOKEN_URL", NONE),
    ("password_confirmation", NONE), ("Passenger", NONE), ("bypass", NONE), ("example_token", NONE),
])
def test_name_strength(name: str, strength: int) -> None:
    assert name_strength(name) == strength


# (name, value, is a secret): the same verdict from both scanners
AGREEMENT = [
    ("password", "hunter2hunter2", True),
    ("db_password", "Tr0ub4dor&3x", True),
    ("SMTP_PASSWORD", "correct-h0rse-battery", True),
    ("client_secret", "q8Zr2LmX4vN7pW1k", True),
    ("api_key", "k_9f8e7d6c5b4a3928", True),
    ("password", "password_confirmation", False),
    ("password", "changeme", False),
    ("password", "${DB_PASSWORD}", False),
    ("password", "hunterhunter", False),
    ("secret_name", "prod/app/credentials", False),
    ("token", "access_token", False),
    ("api_key", "xxxxxxxxxxxxxxxx", False),
    ("client_secret", "my-client-secret", False),
    ("password", "/run/secrets/db_password", False),
]


@pytest.mark.parametrize(("name", "value", "secret"), AGREEMENT)
def test_secrets_scan_and_iac_agree(engine: Engine, name: str, value: str, secret: bool) -> None:
    tf = f'resource "aws_db_instance" "db" {{\n  {name} = "{value}"\n}}\n'
    found = [m.rule.id for m in engine.scan_bytes(tf.encode())]
    assert ("generic-secret-assignment" in found) is secret, found
    assert (secret_reason(name, value) is not None) is secret
    assert assignment_secret(name, value) is secret


def test_unquoted_identifier_is_code_not_a_password(engine: Engine) -> None:
    assert engine.scan_bytes(b"password = hunter2hunter2\n")  # two digits: a literal
    assert not engine.scan_bytes(b"password = form_password\n")
    assert not engine.scan_bytes(b"password: PasswordField\n")
