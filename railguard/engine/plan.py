"""Plan: selected framework items -> controls (with pinned params) -> resource types.

Nothing is collected that no selected control reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from railguard.controls import Control, all_controls, get_control, has_control
from railguard.model import Severity

if TYPE_CHECKING:  # imported where used: pydantic costs ~0.15 s of `railguard iac scan` start-up
    from railguard.frameworks import Framework, Item


def params_key(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


@dataclass(frozen=True)
class PlannedControl:
    control: Control
    params: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.control.id, params_key(self.params))


Overrides = Mapping[str, Mapping[str, Mapping[str, Any]]]  # framework id or "*" -> control id -> params


@dataclass
class Plan:
    frameworks: list[Framework]
    controls: list[PlannedControl] = field(default_factory=list)
    overrides: Overrides = field(default_factory=dict)
    _index: dict[tuple[str, str], PlannedControl] = field(default_factory=dict, repr=False)

    def params(self, fw: Framework, item: Item, control: Control) -> dict[str, Any]:
        """Defaults < framework pin < item pin < config for every framework < config for this framework."""
        return {
            **control.params,
            **fw.params_for(control.id, item),
            **self.overrides.get("*", {}).get(control.id, {}),
            **self.overrides.get(fw.id, {}).get(control.id, {}),
        }

    @property
    def types(self) -> set[str]:
        return {t for pc in self.controls for t in pc.control.types}

    def item_controls(self, fw: Framework, item: Item) -> list[PlannedControl]:
        """The planned controls (with this item's params) that answer `item`."""
        keys = self._by_key()
        out = []
        for cid in item.controls:
            if not has_control(cid):
                continue
            key = (cid, params_key(self.params(fw, item, get_control(cid))))
            if key in keys:
                out.append(keys[key])
        return out

    def _by_key(self) -> dict[tuple[str, str], PlannedControl]:
        if len(self._index) != len(self.controls):  # controls are appended while the plan is built
            self._index = {pc.key: pc for pc in self.controls}
        return self._index


class PlanError(ValueError):
    pass


def controls_framework(controls: Iterable[Control], fid: str = "railguard-controls") -> Framework:
    """A framework with one item per control, for `--controls` without `--framework` and IaC scans."""
    from railguard.frameworks import Framework, Item

    items = [
        Item(id=c.id, title=c.title, section=c.service, controls=[c.id]) for c in controls
    ]
    return Framework(id=fid, title="railguard controls", version="1", items=items)


def build_plan(
    frameworks: list[Framework],
    *,
    only_controls: Iterable[str] | None = None,
    min_severity: Severity | None = None,
    place: str = "live",
    overrides: Overrides | None = None,
) -> Plan:
    only = set(only_controls or [])
    for cid in only:
        if not has_control(cid):
            raise PlanError(f"unknown control {cid!r} (see `railguard controls list`)")
    if not frameworks:
        pool = [c for c in all_controls() if place in c.places and (not only or c.id in only)]
        frameworks = [controls_framework(pool)]
    plan = Plan(frameworks, overrides=overrides or {})
    seen: set[tuple[str, str]] = set()
    for fw in frameworks:
        for item in fw.items:
            for cid in item.controls:
                if only and cid not in only:
                    continue
                if not has_control(cid):
                    continue
                c = get_control(cid)
                if place not in c.places:
                    continue
                if min_severity is not None and c.severity < min_severity:
                    continue
                pc = PlannedControl(c, plan.params(fw, item, c))
                if pc.key not in seen:
                    seen.add(pc.key)
                    plan.controls.append(pc)
    return plan
