"""Small pure helpers shared by control modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from railguard.model import Resource, Unknown


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


def first(values: Iterable[Any], default: Any = None) -> Any:
    for v in values:
        return v
    return default
