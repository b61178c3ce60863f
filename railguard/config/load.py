"""Load and validate the configuration; every error names file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

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


def read_yaml(text: str, source: str, error: type[ValueError] = ValueError) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree (for line numbers) and the data; a syntax error raises `error` naming the line."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise error(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None


def parse_config(text: str, source: str) -> Config:
    node, data = read_yaml(text, source, ConfigError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the configuration must be a mapping of settings")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc) or "(root)"
            line = _line_of(node, loc)
            lines.append(f"{source}:{line or '?'}: field {field}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    return parse_config(text, str(path))
