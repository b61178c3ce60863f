"""The catalogue of remediation actions, one module per service family.

`get(action_id)` and `all_actions()` import every module so that their `@action` decorators
register; the registry itself lives in `railguard.remediation.action`.
"""

from __future__ import annotations

import importlib
import pkgutil

from railguard.remediation.action import ActionSpec, registry

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    import railguard.remediation.actions as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"railguard.remediation.actions.{mod.name}")
    _loaded = True


def all_actions() -> list[ActionSpec]:
    load_all()
    return sorted(registry().values(), key=lambda a: a.id)


def get(action_id: str) -> ActionSpec:
    load_all()
    try:
        return registry()[action_id]
    except KeyError:
        raise KeyError(f"unknown action {action_id!r}") from None


def has(action_id: str) -> bool:
    load_all()
    return action_id in registry()


def for_control(control_id: str) -> list[ActionSpec]:
    """The actions that fix a control."""
    return [a for a in all_actions() if control_id in a.fixes]


__all__ = ["ActionSpec", "all_actions", "for_control", "get", "has", "load_all"]
