"""Small pure helpers shared by control modules."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from railguard.model import Resource, Unknown, UnknownValue, Verdict, failed, require, unknown

if TYPE_CHECKING:
    from railguard.controls.registry import Context


def refers_to(value: Any, resource: Resource) -> bool:
    """Does a reference (`Bucket: my-bucket`, a `!Ref` resolved to a logical id, an ARN) name `resource`?"""
    if value is None or isinstance(value, Unknown):
        return False
    return str(value) in {k for k in (resource.id, resource.name, resource.arn) if k}


def as_list(value: Any) -> list[Any]:
    """CloudFormation and IAM accept a scalar where a list is meant (`Action: s3:*`)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def truthy(value: Any) -> bool:
    """CloudFormation booleans arrive as True or "true"/"True" strings."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value) and not isinstance(value, Unknown)


def same_scope(a: Resource, b: Resource) -> bool:
    """Related resources of a template must come from the same template (or Terraform module
    directory): logical ids such as `VPC` repeat across files. Live resources are related by
    account and region, which the callers filter on."""
    fa, fb = a.origin.file, b.origin.file
    if not fa or not fb:
        return not fa and not fb
    if fa.endswith((".tf", ".tf.json")) and fb.endswith((".tf", ".tf.json")):
        return os.path.dirname(fa) == os.path.dirname(fb)
    return fa == fb


def all_of(*checks: Callable[[], bool]) -> bool:
    """True when every check holds. A check known to fail settles it (False) even when another
    depends on an unknown value; otherwise an unknown check raises `UnknownValue`."""
    pending: UnknownValue | None = None
    for check in checks:
        try:
            if not check():
                return False
        except UnknownValue as exc:
            pending = pending or exc
    if pending is not None:
        raise pending
    return True


def any_known(values: Any, what: str, test: Callable[[Any], bool]) -> bool:
    """True when a known value passes `test`; `UnknownValue` when only an unknown one could."""
    values = require(values, what)
    pending: Unknown | None = None
    for v in as_list(values):
        if isinstance(v, Unknown):
            pending = pending or v
        elif test(v):
            return True
    if pending is not None:
        raise UnknownValue(what, pending)
    return False


def fail_unless_gap(
    ctx: Context, types: Iterable[str], account: str | None, region: str | None, reason: str, **evidence: Any
) -> Verdict:
    """FAIL for something found absent, unless part of where it could be was not read (then UNKNOWN)."""
    gap = ctx.inventory.gap_for(list(types), account, region)
    if gap is not None:
        return unknown(f"{reason}, but {gap.type} could not be read in {gap.region}: {gap.reason}", **evidence)
    return failed(reason, **evidence)


def blame(parts: Iterable[Any]) -> dict[str, Any]:
    """`{"file": ..., "line": ...}` of the first part that remembers where it was written (a rule
    folded into its group by a template loader): the finding then points at that piece, not at
    its owner. Empty when none does (live resources, rules written inline without a line)."""
    for part in parts:
        origin = getattr(part, "origin", None)
        if isinstance(origin, tuple) and len(origin) == 2 and isinstance(origin[1], int) and origin[1] > 0:
            return {"file": origin[0], "line": origin[1]} if origin[0] else {"line": origin[1]}
    return {}
