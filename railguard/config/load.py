"""Load and validate the configuration; every error names file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from railguard.config import params as params_check
from railguard.config import safeyaml
from railguard.config.schema import Config

DEFAULT_NAME = "railguard.yaml"


class ConfigError(ValueError):
    pass


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return explicit
    candidate = (cwd or Path.cwd()) / DEFAULT_NAME
    return candidate if candidate.is_file() else None


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Walk the composed YAML node tree along a pydantic error location; 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if nxt is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == str(part)), None)
                return key.start_mark.line + 1 if key is not None else line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def parse_config(text: str, source: str) -> Config:
    try:
        loaded = safeyaml.load(text, source)
    except safeyaml.YamlError as exc:
        raise ConfigError(str(exc)) from None
    data, node = loaded.data, loaded.node
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the configuration must be a mapping of settings")
    problems: list[tuple[tuple[Any, ...], str]] = []
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems += [(tuple(err["loc"]), err["msg"]) for err in exc.errors()]
    checked, bad_params = params_check.check(data.get("params", {}))
    problems += bad_params
    if problems or config is None:
        lines = []
        for loc, msg in problems:
            field = ".".join(str(p) for p in loc) or "(root)"
            lines.append(f"{source}:{_line_of(node, loc) or '?'}: field {field}: {msg}")
        raise ConfigError("\n".join(lines))
    config.params = checked
    return config


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        if path.stat().st_size > safeyaml.MAX_BYTES:
            raise ConfigError(f"{path}: file is larger than {safeyaml.MAX_BYTES // 1048576} MB: refused")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    return parse_config(text, str(path))
