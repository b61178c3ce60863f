"""The configuration file: defaults, validation, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.config import ConfigError, find_config, load_config
from railguard.config.load import parse_config


def test_defaults_come_from_the_framework_when_no_file() -> None:
    cfg = load_config(None)
    assert cfg.baseline.root_unused_days == 30
    assert cfg.overrides()["railguard-baseline"]["ec2.vpc-peering-unknown-account"] == {"owned_accounts": []}


def test_values_flow_into_control_params() -> None:
    cfg = parse_config("baseline:\n  owned_accounts: ['111111111111']\n  console_admins: [alice]\n", "x.yaml")
    o = cfg.overrides()["railguard-baseline"]
    assert o["ec2.vpc-peering-unknown-account"]["owned_accounts"] == ["111111111111"]
    assert o["iam.console-access-restricted"]["admins"] == ["alice"]


def test_error_names_file_line_and_field() -> None:
    text = "baseline:\n  owned_accounts:\n    - '111111111111'\n    - 'not-an-account'\n  root_unused_days: 30\n"
    with pytest.raises(ConfigError) as err:
        parse_config(text, "railguard.yaml")
    msg = str(err.value)
    assert "railguard.yaml:4" in msg and "baseline.owned_accounts.1" in msg


def test_unknown_key_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("baseline:\n  root_unsued_days: 10\n", "c.yaml")
    assert "c.yaml:2" in str(err.value) and "root_unsued_days" in str(err.value)


def test_wrong_type_and_bad_yaml() -> None:
    with pytest.raises(ConfigError, match=r"c.yaml:2: field baseline.root_unused_days"):
        parse_config("baseline:\n  root_unused_days: soon\n", "c.yaml")
    with pytest.raises(ConfigError, match=r"c.yaml:\d+: not valid YAML"):
        parse_config("baseline:\n  - [unclosed\n", "c.yaml")
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_config("- a\n- b\n", "c.yaml")


def test_find_config(tmp_path: Path) -> None:
    assert find_config(None, tmp_path) is None
    (tmp_path / "railguard.yaml").write_text("{}\n")
    assert find_config(None, tmp_path) == tmp_path / "railguard.yaml"
    with pytest.raises(ConfigError, match="not found"):
        find_config(tmp_path / "missing.yaml")
