"""A normalized resource: the same shape whether it came from a template or a live account.

`properties` follow the CloudFormation property shape of `type`. Facts that only exist
live (a key's last use, a trail's logging status) live in `live`, documented per type in
the collector that produces them. A value that cannot be known is an `Unknown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GLOBAL = "global"  # region of account-wide resources (IAM, S3 account settings)


@dataclass(frozen=True)
class Unknown:
    """A value that could not be known: an unresolved `Ref`, a denied API call, a TF variable."""

    reason: str

    def __bool__(self) -> bool:  # an Unknown is never mistaken for a present, truthy value
        return False

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


@dataclass(frozen=True, eq=False)
class PartialText(Unknown):
    """A text (an `Fn::Sub` or `Fn::Join`) of which some pieces could not be resolved: an `Unknown`
    to every control, plus `text`, the known pieces with each unresolved one kept as `${name}` (or
    `${?}`), for a control that judges what is written literally (secrets in EC2 user data)."""

    text: str = ""

    def __eq__(self, other: object) -> bool:  # equal to the plain Unknown of the same reason
        return isinstance(other, Unknown) and other.reason == self.reason

    def __hash__(self) -> int:  # as the plain Unknown's (equal values hash alike)
        return Unknown.__hash__(self)


class UnknownValue(Exception):
    """Raised by `Resource.get` when a path crosses an `Unknown`; the engine turns it into UNKNOWN."""

    def __init__(self, path: str, unknown: Unknown) -> None:
        super().__init__(f"{path}: {unknown.reason}")
        self.path = path
        self.unknown = unknown


@dataclass(frozen=True)
class Origin:
    """Where a resource was read: a live account/region, or a file and line."""

    account: str | None = None
    region: str | None = None
    file: str | None = None
    line: int | None = None



_MISSING = object()


@dataclass(frozen=True)
class Resource:
    type: str
    id: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    arn: str | None = None
    account: str | None = None
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    origin: Origin = field(default_factory=Origin)
    live: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None

    @property
    def is_live(self) -> bool:
        return self.origin.file is None

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def get(self, path: str, default: Any = None) -> Any:
        """Property at a dotted path (`VersioningConfiguration.Status`).

        Missing keys give `default`; an `Unknown` anywhere on the path raises
        `UnknownValue`, so a control cannot silently treat an unresolved value as absent.
        """
        return _walk(self.properties, path, default, strict=True)

    def get_raw(self, path: str, default: Any = None) -> Any:
        """Like `get`, but returns an `Unknown` instead of raising."""
        return _walk(self.properties, path, default, strict=False)

    def fact(self, path: str, default: Any = None) -> Any:
        """A live-only fact at a dotted path, with the same Unknown rule as `get`."""
        return _walk(self.live, path, default, strict=True)


def _walk(root: Mapping[str, Any], path: str, default: Any, *, strict: bool) -> Any:
    node: Any = root
    for part in path.split(".") if path else []:
        if isinstance(node, Unknown):
            break
        if isinstance(node, Mapping):
            node = node.get(part, _MISSING)
        elif isinstance(node, list | tuple) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            node = _MISSING
        if node is _MISSING:
            return default
    if isinstance(node, Unknown) and strict:
        raise UnknownValue(path, node)
    return node


def require(value: Any, what: str = "value") -> Any:
    """Return `value`, or raise `UnknownValue` when it is an `Unknown` (for values deep in lists)."""
    if isinstance(value, Unknown):
        raise UnknownValue(what, value)
    return value


def find_unknown(value: Any) -> Unknown | None:
    """The first `Unknown` nested anywhere in `value`, if any."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping):
        for v in value.values():
            u = find_unknown(v)
            if u is not None:
                return u
    elif isinstance(value, list | tuple):
        for v in value:
            u = find_unknown(v)
            if u is not None:
                return u
    return None
