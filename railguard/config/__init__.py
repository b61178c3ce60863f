"""User configuration (`railguard.yaml` or `--config FILE`), validated before any API call.

Names are imported on first use: `railguard.config.safeyaml` serves the template loaders too,
which must not pay for pydantic at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from railguard.config.load import ConfigError, find_config, load_config
    from railguard.config.schema import BaselineSettings, Config

__all__ = ["BaselineSettings", "Config", "ConfigError", "find_config", "load_config"]


def __getattr__(name: str) -> Any:
    if name in ("ConfigError", "find_config", "load_config"):
        from railguard.config import load

        return getattr(load, name)
    if name in ("BaselineSettings", "Config"):
        from railguard.config import schema

        return getattr(schema, name)
    raise AttributeError(name)
