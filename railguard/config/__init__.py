"""User configuration (`railguard.yaml` or `--config FILE`), validated before any API call."""

from railguard.config.load import ConfigError, find_config, load_config
from railguard.config.schema import BaselineSettings, Config

__all__ = ["BaselineSettings", "Config", "ConfigError", "find_config", "load_config"]
