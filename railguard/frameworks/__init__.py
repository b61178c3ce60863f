"""Framework mappings as data: each YAML file lists every item of a framework and the
control ids that implement it (or `manual: true`). One control may serve several frameworks.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field, ValidationError


class FrameworkError(ValueError):
    """A framework file or id that cannot be used; the message names file and field."""


class Item(BaseModel):
    id: str
    title: str
    section: str
    level: int | None = None
    assessment: str = "automated"
    controls: list[str] = Field(default_factory=list)
    manual: bool = False
    note: str = ""
    guidance: str = ""  # what a person checks, for manual items
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)  # per-item pins
    not_implemented: str = ""  # why railguard cannot check this item yet (it is still reported)

    @property
    def is_manual(self) -> bool:
        return self.manual or not self.controls or bool(self.not_implemented)


class Framework(BaseModel):
    id: str
    title: str
    version: str
    publisher: str = ""
    description: str = ""
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)  # control id -> pinned params
    items: list[Item]

    def params_for(self, control_id: str, item: Item | None = None) -> dict[str, Any]:
        """The control's parameters as this framework (and item) pins them."""
        out = dict(self.params.get(control_id, {}))
        if item is not None:
            out.update(item.params.get(control_id, {}))
        return out

    @property
    def sections(self) -> list[str]:
        seen: dict[str, None] = {}
        for i in self.items:
            seen.setdefault(i.section, None)
        return list(seen)


def _files() -> dict[str, Any]:
    pkg = resources.files("railguard.frameworks")
    return {p.name[: -len(".yaml")]: p for p in pkg.iterdir() if p.name.endswith(".yaml")}


def available() -> list[str]:
    return sorted(_files())


@cache
def load(framework_id: str) -> Framework:
    files = _files()
    if framework_id not in files:
        import difflib

        close = difflib.get_close_matches(framework_id.lower(), list(files) + list(ALIASES), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise FrameworkError(f"unknown framework {framework_id!r}; {hint}available: {', '.join(sorted(files))}")
    return parse(files[framework_id].read_text(encoding="utf-8"), f"{framework_id}.yaml")


def parse(text: str, source: str) -> Framework:
    from railguard.config import safeyaml

    try:
        data = safeyaml.load(text, source).data
    except safeyaml.YamlError as exc:
        raise FrameworkError(str(exc)) from None
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise FrameworkError(f"{source}: field {loc}: {first['msg']}") from None


def resolve(spec: str | list[str]) -> list[Framework]:
    """`cis-aws-foundations-3.0,railguard-baseline` -> frameworks; short aliases accepted."""
    ids = spec.split(",") if isinstance(spec, str) else spec
    out = []
    for raw in ids:
        name = raw.strip().lower()  # ids are lower case; CIS-AWS-Foundations-3.0 means the same
        fid = ALIASES.get(name, name)
        if fid:
            out.append(load(fid))
    return out


ALIASES: Mapping[str, str] = {
    "cis": "cis-aws-foundations-3.0",
    "cis-3.0": "cis-aws-foundations-3.0",
    "cis_3.0_aws": "cis-aws-foundations-3.0",
    "cis-5.0": "cis-aws-foundations-5.0",
    "cis_5.0_aws": "cis-aws-foundations-5.0",
    "fsbp": "aws-fsbp",
    "aws_foundational_security_best_practices": "aws-fsbp",
}
