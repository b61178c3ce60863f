"""`where:` conditions: JMESPath over a resource's properties (plus its live facts, and `tags`, `id`,
`account`, `region`), with a few operators, for what the
catalogue lacks. A condition describes the violation: a resource that matches FAILs.

    where:
      - {path: GroupName, ne: default}
      - {path: tags.team, eq: legacy}
      - any:
          - {path: "SecurityGroupIngress[].CidrIp", contains: 0.0.0.0/0}
          - {path: "SecurityGroupIngress[].CidrIp", cidr-contains: 203.0.113.7}
      - {path: Tags, absent: true}
      - {path: CreatedTime, older-than: 90d}      # read from the resource's live facts too

A value the scan could not read (an `Unknown`) makes the condition UNKNOWN, never a match or a miss.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from railguard.guardrails.duration import Duration
from railguard.model import Resource, find_unknown

OPERATORS = ("eq", "ne", "in", "contains", "cidr-contains", "older-than", "absent")


class Undecidable(Exception):
    """A value the condition needs is unknown; the message says which and why."""


class Condition(BaseModel):
    """One test (`path` and one operator), or a combination (`all`, `any`, `not`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
    path: str | None = None
    eq: Any = None
    ne: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    contains: Any = None
    cidr_contains: str | None = Field(default=None, alias="cidr-contains")
    older_than: Duration | None = Field(default=None, alias="older-than")
    absent: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                jmespath.compile(v)
            except JMESPathError as exc:
                raise ValueError(f"not a JMESPath expression: {exc}") from None
        return v

    @field_validator("cidr_contains")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ipaddress.ip_network(v, strict=False)
            except ValueError:
                raise ValueError("not an IP address or CIDR") from None
        return v

    @model_validator(mode="after")
    def _one(self) -> Condition:
        ops = self.operators()
        combos = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        if combos:
            if ops or self.path is not None or len(combos) > 1:
                raise ValueError("`all`, `any` and `not` stand alone (no `path`, no operator beside them)")
            return self
        if self.path is None:
            raise ValueError(f"a condition needs `path` and one operator ({', '.join(OPERATORS)}), or all/any/not")
        if len(ops) != 1:
            raise ValueError(f"a condition takes exactly one operator of {', '.join(OPERATORS)} (found {len(ops)})")
        return self

    def operators(self) -> list[str]:
        fields = {"eq": "eq", "ne": "ne", "in_": "in", "contains": "contains", "cidr_contains": "cidr-contains",
                  "older_than": "older-than", "absent": "absent"}
        return [name for attr, name in fields.items() if attr in self.model_fields_set]

    def matches(self, resource: Resource, now: datetime) -> bool:
        """True when the resource matches (violates); raises `Undecidable` on an unknown value."""
        if self.all is not None:
            return all(c.matches(resource, now) for c in self.all)
        if self.any is not None:
            undecided: Undecidable | None = None
            for c in self.any:
                try:
                    if c.matches(resource, now):
                        return True
                except Undecidable as exc:
                    undecided = exc
            if undecided is not None:
                raise undecided
            return False
        if self.not_ is not None:
            return not self.not_.matches(resource, now)
        assert self.path is not None
        value = _search(self.path, resource)
        return _test(self.operators()[0], self, value, now)

    def describe(self) -> str:
        if self.all is not None:
            return " and ".join(f"({c.describe()})" for c in self.all)
        if self.any is not None:
            return " or ".join(f"({c.describe()})" for c in self.any)
        if self.not_ is not None:
            return f"not ({self.not_.describe()})"
        op = self.operators()[0]
        return f"{self.path} {op} {_operand(op, self)}"


def _operand(op: str, c: Condition) -> Any:
    return {"eq": c.eq, "ne": c.ne, "in": c.in_, "contains": c.contains, "cidr-contains": c.cidr_contains,
            "older-than": c.older_than, "absent": c.absent}[op]


def _search(path: str, resource: Resource) -> Any:
    data: dict[str, Any] = {**dict(resource.live), **dict(resource.properties), "tags": dict(resource.tags),
                            "id": resource.id, "account": resource.account, "region": resource.region}
    try:
        value = jmespath.search(path, data)
    except (JMESPathError, TypeError) as exc:
        raise Undecidable(f"{path}: {exc}") from None
    unknown = find_unknown(value)
    if unknown is not None:
        raise Undecidable(f"{path} is unknown ({unknown.reason})")
    return value


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [x for v in value for x in _flat(v)]
    return [] if value is None else [value]


def _test(op: str, c: Condition, value: Any, now: datetime) -> bool:
    if op == "absent":
        missing = value is None or value == [] or value == {} or value == ""
        return missing if c.absent else not missing
    if op == "eq":
        return bool(value == c.eq)
    if op == "ne":
        return bool(value != c.ne)
    if op == "in":
        vals = _flat(value)
        return bool(vals) and all(v in (c.in_ or []) for v in vals)
    if op == "contains":
        if isinstance(value, str):
            return isinstance(c.contains, str) and c.contains in value
        return c.contains in _flat(value)
    if op == "cidr-contains":
        assert c.cidr_contains is not None
        needle = ipaddress.ip_network(c.cidr_contains, strict=False)
        for v in _flat(value):
            try:
                net = ipaddress.ip_network(str(v), strict=False)
            except ValueError:
                continue
            if net.version == needle.version and needle.subnet_of(net):  # type: ignore[arg-type]
                return True
        return False
    if op == "older-than":
        assert c.older_than is not None
        return any(_age(v, now) > c.older_than for v in _flat(value))
    raise ValueError(op)


def _age(value: Any, now: datetime) -> timedelta:
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise Undecidable(f"{value!r} is not a date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return now - when
