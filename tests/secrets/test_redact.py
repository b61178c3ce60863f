"""redact_text: every secret the scanner finds is masked in free text; other text is untouched."""

from __future__ import annotations

import random
import zlib

import pytest

from railguard.secrets import mask, redact_text
from railguard.secrets.rules import RULES
from railguard.secrets.samples import sample


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_every_rule_is_masked_in_free_text(rule_id: str) -> None:
    rng = random.Random(zlib.crc32(rule_id.encode()))
    s = sample(rule_id, rng)
    text = s.value if s.block else f'AccessDenied for request; body: {{"{s.key}": "{s.value}"}} (retry 3)'
    out = redact_text(text)
    assert "****" in out
    secret_part = s.value.split("://", 1)[-1] if not s.block else s.value
    assert secret_part not in out
    if not s.block:
        assert out.startswith("AccessDenied for request; body: ") and out.endswith("(retry 3)")


def test_prefix_kept_for_recognisable_kinds() -> None:
    key_id = "AKIA" + "Q3ZL7XW2RBN4TYPK"
    assert redact_text(f"the key {key_id} was used") == "the key AKIA**** was used"
    url = "postgres://app:" + "Xk92mPq7Lrw9@db:5432/app"
    assert redact_text(url) == "postgres://app:****@db:5432/app"


def test_private_key_keeps_its_header_only() -> None:
    s = sample("private-key-rsa", random.Random(3))
    escaped = s.value.replace("\n", "\\n")
    out = redact_text(f'{{"Description": "{escaped}"}}')
    assert out.startswith('{"Description": "-----BEGIN RSA PRIVATE KEY-----****')
    assert s.value.splitlines()[1] not in out


@pytest.mark.parametrize("text", [
    "",
    "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:ListAllMyBuckets",
    "AKIAIOSFODNN7EXAMPLE",  # AWS's documented example key
    "request id 8c5b7d2e-4f1a-4b7e-9c3d-2a6f8e1b0c9d, sha256 " + "ab" * 32,
    "password = ${DB_PASSWORD}",
    "Ünïcödé text \udcff with a lone surrogate",
])
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact_text(text) == text


def test_mask_forms() -> None:
    assert mask("ghp_" + "a" * 36) == "ghp_****"
    assert mask("short") == "s****"
    assert mask("hunter2hunter2", keep_prefix=False) == "****"
