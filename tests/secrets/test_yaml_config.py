"""`railguard.yaml` (the file `railguard scan` reads) can hold the secrets settings too."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.cli.exitcodes import UserError
from railguard.secrets.allowlist import load_config


def test_secrets_section_of_railguard_yaml(tmp_path: Path) -> None:
    (tmp_path / "railguard.yaml").write_text(
        "baseline:\n  root_unused_days: 30\nsecrets:\n  exclude: ['tests/fixtures/**']\n  disable: [jwt]\n")
    cfg = load_config(tmp_path)
    assert cfg.exclude == ["tests/fixtures/**"] and cfg.disable == ["jwt"]
    assert cfg.excluded("tests/fixtures/a/b.py") == "tests/fixtures/**"
    assert cfg.source == str(tmp_path / "railguard.yaml")


def test_railguard_yaml_without_secrets_section_falls_through(tmp_path: Path) -> None:
    (tmp_path / "railguard.yaml").write_text("baseline:\n  root_unused_days: 30\n")
    assert load_config(tmp_path).exclude == []


def test_toml_still_wins_and_bad_yaml_names_file_line_field(tmp_path: Path) -> None:
    (tmp_path / "railguard.yaml").write_text("secrets:\n  exclude: nope\n")
    with pytest.raises(UserError, match=r"railguard.yaml:2: field secrets.exclude"):
        load_config(tmp_path)
    (tmp_path / ".railguard.toml").write_text('[secrets]\nexclude = ["x/**"]\n')
    assert load_config(tmp_path).exclude == ["x/**"]


def test_explicit_yaml_config(tmp_path: Path) -> None:
    cfg = tmp_path / "team.yaml"
    cfg.write_text("secrets:\n  exclude: ['vendor/**']\n")
    assert load_config(tmp_path, cfg).exclude == ["vendor/**"]
