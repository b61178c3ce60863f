"""Small pure helpers shared by control modules."""

from __future__ import annotations

import os
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
