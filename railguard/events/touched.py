"""Which resources a CloudTrail record touched, from the data table in `touched.yaml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from railguard.events import record as R


@dataclass(frozen=True)
class Touch:
    """A resource a call touched: its type, identifier (id, ARN or name), account and region."""

    type: str
    id: str
    account: str
    region: str


@dataclass(frozen=True)
class TableEntry:
    service: str
    event: str
    touches: tuple[tuple[str, tuple[str, ...]], ...]  # (type, id places)


@cache
def table() -> dict[tuple[str, str], TableEntry]:
    """(eventSource, eventName) -> what it touches."""
    text = resources.files("railguard.events").joinpath("touched.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    out: dict[tuple[str, str], TableEntry] = {}
    for key, touches in raw.items():
        service, _, event = str(key).partition(":")
        entry = TableEntry(service, event, tuple((t["type"], tuple(t["id"])) for t in touches))
        out[(f"{service}.amazonaws.com", event)] = entry
    return out


def mapped_event_names() -> dict[str, set[str]]:
    """eventSource -> the event names the table maps (what `deploy` subscribes to)."""
    out: dict[str, set[str]] = {}
    for source, name in table():
        out.setdefault(source, set()).add(name)
    return out


def _values(node: Any, parts: list[str]) -> list[Any]:
    if not parts:
        return [node]
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head[:-2] if many else head
    nxt = node.get(key) if isinstance(node, dict) else None
    if key == "" and many:
        nxt = node
    if nxt is None:
        return []
    if many:
        if not isinstance(nxt, list):
            nxt = [nxt]
        return [v for item in nxt for v in _values(item, rest)]
    return _values(nxt, rest)


def _resolve(place: str, rec: dict[str, Any]) -> list[str]:
    path, _, modifier = place.partition("|")
    if "{" in path:
        value = path.format(account=R.account(rec), region=R.s(rec.get("awsRegion")))
        return [value] if "{" not in value and value.strip("/") else []
    if "." not in path:  # a literal identifier (a default name)
        return [path]
    out = []
    for v in _values(rec, path.split(".")):
        if isinstance(v, str) and v:
            if modifier == "tail":
                v = v.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            if modifier.startswith("prefix=") and not v.startswith(modifier[len("prefix="):]):
                continue  # a call on many kinds of resource (CreateTags): only this kind's ids
            out.append(v)
    return out


def touched(rec: dict[str, Any]) -> list[Touch]:
    """The resources a successful mutating call touched ([] for a failed call or an unmapped one)."""
    if rec.get("errorCode"):
        return []
    entry = table().get((R.s(rec.get("eventSource")), R.s(rec.get("eventName"))))
    if entry is None:
        return []
    account, region = R.account(rec), R.s(rec.get("awsRegion"))
    out: list[Touch] = []
    for rtype, places in entry.touches:
        for place in places:
            ids = _resolve(place, rec)
            if ids:
                out += [Touch(rtype, i, account, region) for i in dict.fromkeys(ids)]
                break
    return out
