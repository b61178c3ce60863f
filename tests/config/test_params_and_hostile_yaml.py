"""`params:` checked against each control's declared parameters; hostile YAML refused quickly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from railguard.config import ConfigError
from railguard.config.load import parse_config
from railguard.config.safeyaml import YamlError
from railguard.config.safeyaml import load as load_yaml
from railguard.frameworks import parse as parse_framework

BOMB = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("params:\n  iam.credentials-unused: {dayz: 60}\n", "c.yaml:2", "params.iam.credentials-unused.dayz"),
        ("params:\n  iam.credentials-unused:\n    days: forty\n", "c.yaml:3", "valid integer"),
        ("params:\n  iam.credentials-unused:\n    days: -5\n", "c.yaml:3", "greater than or equal to 1"),
        ("params:\n  s3.no-such-control: {days: 5}\n", "c.yaml:2", "unknown control 's3.no-such-control'"),
        ("params:\n  ec2.vpc-peering-unknown-account:\n    owned_accounts: ['12']\n", "c.yaml:3", "owned_accounts.0"),
        ("params:\n  s3.default-encryption: {require_kms: maybe}\n", "c.yaml:2", "require_kms"),
    ],
)
def test_bad_params_name_file_line_and_field(text: str, where: str, what: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "c.yaml")
    assert where in str(err.value) and what in str(err.value)


def test_good_params_are_coerced_and_kept() -> None:
    cfg = parse_config("params:\n  iam.credentials-unused: {days: '60'}\n", "c.yaml")
    assert cfg.params == {"iam.credentials-unused": {"days": 60}}
    assert cfg.overrides()["*"]["iam.credentials-unused"] == {"days": 60}


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    with pytest.raises(ConfigError, match=r"c.yaml:3: duplicate key 'root_unused_days' \(first at line 2\)"):
        parse_config("baseline:\n  root_unused_days: 10\n  root_unused_days: 20\n", "c.yaml")


def test_unquoted_account_id_is_an_account_id() -> None:
    cfg = parse_config("baseline:\n  owned_accounts: [123456789012, 012345678901]\n", "c.yaml")
    assert cfg.baseline.owned_accounts == ["123456789012", "012345678901"]


def test_alias_bomb_under_params_is_refused(tmp_path: Path) -> None:
    text = BOMB + "params:\n  iam.credentials-unused: {days: *i}\n"
    with pytest.raises(ConfigError, match="alias bomb"):
        parse_config(text, "c.yaml")


def test_deep_nesting_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "railguard.yaml"
    cfg.write_text("params: " + "[" * 100_000 + "]" * 100_000 + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "railguard.cli", "scan", "--config", str(cfg), "--dry-run"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "nesting" in proc.stderr and str(cfg) in proc.stderr


def test_moderate_nesting_past_the_limit_is_refused() -> None:
    with pytest.raises(YamlError, match="nesting deeper than"):
        load_yaml("a: " + "[" * 200 + "]" * 200, "x.yaml")


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"larger than|above the"):
        parse_config("a: '" + "x" * (2 * 1024 * 1024) + "'\n", "c.yaml")


def test_frameworks_use_the_same_safe_loader() -> None:
    with pytest.raises(Exception, match="duplicate key 'id'"):
        parse_framework("id: a\nid: b\ntitle: t\nversion: '1'\nitems: []\n", "fw.yaml")
