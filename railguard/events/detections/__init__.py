"""The detection rules, one module per theme; `load_all` imports them so their decorators register."""

from __future__ import annotations

import importlib
import pkgutil

from railguard.events.detections.registry import (
    EventsConfig,
    Hit,
    Rule,
    RuleContext,
    all_rules,
    get_rule,
    rule,
)

__all__ = ["EventsConfig", "Hit", "Rule", "RuleContext", "all_rules", "get_rule", "load_all", "rule"]

_NOT_RULES = {"registry", "policy"}
_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for mod in pkgutil.iter_modules(__path__):
        if mod.name not in _NOT_RULES and not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    _loaded = True
