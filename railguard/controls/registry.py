"""The control catalogue: each control is a pure function registered with its metadata.

A control reads one resource (and, when it declares `reads`, related resources from the
inventory) and returns a `Verdict`, or None when the resource is out of its scope (a
non-default security group for a default-group control). It never does I/O.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from railguard.model import Inventory, Resource, Severity, Verdict

LIVE = "live"
IAC = "iac"


@dataclass(frozen=True)
class Context:
    """What a control may consult beyond its resource: the inventory, its parameters, the clock."""

    inventory: Inventory
    params: Mapping[str, Any] = field(default_factory=dict)
    place: str = LIVE
    now: datetime = field(default_factory=lambda: datetime.now().astimezone())


ControlFn = Callable[..., Verdict | None]


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    resource: tuple[str, ...]
    severity: Severity
    fn: ControlFn = field(repr=False)
    fix: str = ""
    remediation: str | None = None  # id of the remediation action that can fix it
    description: str = ""
    reads: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    places: frozenset[str] = frozenset({LIVE, IAC})
    wants_context: bool = False

    @property
    def types(self) -> tuple[str, ...]:
        """Every resource type the control needs collected: its target and what it reads."""
        return self.resource + tuple(t for t in self.reads if t not in self.resource)

    @property
    def service(self) -> str:
        return self.id.split(".", 1)[0]

    def __call__(self, resource: Resource, ctx: Context) -> Verdict | None:
        if self.wants_context:
            return self.fn(resource, ctx)
        return self.fn(resource)


_REGISTRY: dict[str, Control] = {}


def control(
    id: str,
    *,
    title: str,
    resource: str | Sequence[str],
    severity: Severity,
    fix: str = "",
    remediation: str | None = None,
    description: str = "",
    reads: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    places: Sequence[str] = (LIVE, IAC),
) -> Callable[[ControlFn], ControlFn]:
    """Register a control. The function takes `(resource)` or `(resource, ctx)`."""

    def register(fn: ControlFn) -> ControlFn:
        if id in _REGISTRY and _REGISTRY[id].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"control id {id!r} is registered twice")
        wants_context = len(inspect.signature(fn).parameters) >= 2
        _REGISTRY[id] = Control(
            id=id,
            title=title,
            resource=(resource,) if isinstance(resource, str) else tuple(resource),
            severity=severity,
            fn=fn,
            fix=fix,
            remediation=remediation,
            description=description or (inspect.getdoc(fn) or ""),
            reads=tuple(reads),
            params=dict(params or {}),
            places=frozenset(places),
            wants_context=wants_context,
        )
        return fn

    return register


_loaded = False


def load_all() -> None:
    """Import every module of the catalogue so that their decorators register."""
    global _loaded
    if _loaded:
        return
    import railguard.controls as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in {"registry", "helpers"} and not mod.name.startswith("_"):
            importlib.import_module(f"railguard.controls.{mod.name}")
    _loaded = True


def all_controls() -> list[Control]:
    load_all()
    return sorted(_REGISTRY.values(), key=lambda c: c.id)


def get_control(control_id: str) -> Control:
    load_all()
    try:
        return _REGISTRY[control_id]
    except KeyError:
        raise KeyError(f"unknown control {control_id!r}") from None


def has_control(control_id: str) -> bool:
    load_all()
    return control_id in _REGISTRY
