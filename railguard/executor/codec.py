"""Resources and gaps as JSON for the store, exactly: an `Unknown`, a datetime, a tuple or a set comes
back as itself, so a control evaluated on a decoded resource answers as on the original (the
distributed report equals the local one). Not pickle: a store row must never be able to run code."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from railguard.model import Gap, Origin, Resource, Unknown

_TAG = "\x00"  # a key no API returns: marks an encoded value


class CodecError(TypeError):
    """A value railguard does not know how to store exactly."""


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else {_TAG: "f", "v": repr(value)}
    if isinstance(value, Unknown):
        return {_TAG: "u", "v": value.reason}
    if isinstance(value, datetime):
        return {_TAG: "dt", "v": value.isoformat()}
    if isinstance(value, date):
        return {_TAG: "d", "v": value.isoformat()}
    if isinstance(value, bytes):
        return {_TAG: "b", "v": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {_TAG: "t", "v": [encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {_TAG: "s" if isinstance(value, set) else "fs", "v": [encode(v) for v in value]}
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value) and _TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {_TAG: "m", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    raise CodecError(f"cannot store a {type(value).__name__} exactly")


_DECODERS: dict[str, Any] = {
    "u": Unknown,
    "dt": datetime.fromisoformat,
    "d": date.fromisoformat,
    "f": float,
    "b": base64.b64decode,
}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(_TAG)
    if tag is None:
        return {k: decode(v) for k, v in value.items()}
    v = value["v"]
    if tag in _DECODERS:
        return _DECODERS[tag](v)
    if tag == "t":
        return tuple(decode(x) for x in v)
    if tag == "s":
        return {decode(x) for x in v}
    if tag == "fs":
        return frozenset(decode(x) for x in v)
    if tag == "m":
        return {decode(k): decode(x) for k, x in v}
    raise CodecError(f"unknown stored value tag {tag!r}")


def resource_to_json(r: Resource) -> dict[str, Any]:
    o = r.origin
    return {"type": r.type, "id": r.id, "properties": encode(r.properties), "arn": r.arn, "account": r.account,
            "region": r.region, "tags": encode(r.tags), "live": encode(r.live), "name": r.name,
            "origin": [o.account, o.region, o.file, o.line]}


def resource_from_json(d: Mapping[str, Any]) -> Resource:
    acct, reg, file, line = d["origin"]
    return Resource(type=d["type"], id=d["id"], properties=decode(d["properties"]), arn=d["arn"],
                    account=d["account"], region=d["region"], tags=decode(d["tags"]),
                    origin=Origin(account=acct, region=reg, file=file, line=line), live=decode(d["live"]),
                    name=d["name"])


def gap_to_json(g: Gap) -> list[Any]:
    return [g.type, g.account, g.region, g.reason]


def gap_from_json(d: list[Any]) -> Gap:
    return Gap(d[0], d[1], d[2], d[3])
