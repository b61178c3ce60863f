"""Control parameters set in `params:` checked against what each control declares.

A control declares its parameters by their defaults (`params={"days": 90}`); the type comes
from the default and the range from the table below, so `{dayz: 60}`, `{days: "forty"}` and
`{days: -5}` are refused with the field that is wrong rather than silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints, TypeAdapter, ValidationError

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]

# parameter name -> its type when the default alone does not say enough (ranges, None defaults)
_KNOWN: dict[str, Any] = {
    "days": Annotated[int, Field(ge=1, le=3650)],
    "min_length": Annotated[int, Field(ge=6, le=128)],  # IAM accepts 6..128
    "min_reuse": Annotated[int, Field(ge=1, le=24)],  # IAM remembers at most 24
    "max_age_days": Annotated[int, Field(ge=1, le=1095)] | None,  # None: no expiry required
    "owned_accounts": list[AccountId],
    "admins": list[str],
}


def _type_of(name: str, default: Any) -> Any:
    if name in _KNOWN:
        return _KNOWN[name]
    if isinstance(default, bool):
        return StrictBool
    if isinstance(default, int):
        return Annotated[int, Field(ge=0)]
    if isinstance(default, float):
        return Annotated[float, Field(ge=0)]
    if isinstance(default, str):
        return str
    if isinstance(default, list):
        return list[str]
    return Any


def check(params: Any) -> tuple[dict[str, dict[str, Any]], list[tuple[tuple[Any, ...], str]]]:
    """Validated params (values coerced to their types) and the errors as (location, message)."""
    from railguard.controls import all_controls

    declared = {c.id: c.params for c in all_controls()}
    errors: list[tuple[tuple[Any, ...], str]] = []
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(params, dict):
        return out, errors  # the schema reports the shape
    for cid, values in params.items():
        loc: tuple[Any, ...] = ("params", cid)
        if cid not in declared:
            errors.append((loc, f"unknown control {cid!r} (see `railguard controls list`)"))
            continue
        if not isinstance(values, dict):
            continue  # the schema reports the shape
        names = declared[cid]
        for key, value in values.items():
            if key not in names:
                takes = ", ".join(sorted(names)) or "none"
                errors.append(((*loc, key), f"unknown parameter of {cid} (it takes: {takes})"))
                continue
            try:
                out.setdefault(cid, {})[key] = TypeAdapter(_type_of(key, names[key])).validate_python(value)
            except ValidationError as exc:
                for err in exc.errors():
                    errors.append(((*loc, key, *err["loc"]), err["msg"]))
    return out, errors
