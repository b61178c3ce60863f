"""Collector registry: each collector declares the types it yields and the API calls it makes.

A collector is a function `(ctx: CollectContext) -> Iterable[Resource]`. It yields resources
in the CloudFormation shape and records partial failures with `ctx.gap(type, reason)` (a
whole type) or an `Unknown` property value (one attribute of one resource). An exception
escaping a collector becomes a gap for every type it yields in that account/region.
"""

from __future__ import annotations

import contextvars
import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from railguard.model import GLOBAL, Gap, Origin, Resource, Unknown
from railguard.sources.aws.errors import describe
from railguard.sources.aws.session import AccountSession

REGIONAL = "regional"

T = TypeVar("T")
R = TypeVar("R")


def per_resource(fn: Callable[[T], R], items: Iterable[T], workers: int = 4) -> list[R]:
    """Per-resource calls on a few threads (the calls are latency-bound); order is kept.

    The one pool every collector uses for its per-resource calls (clients are thread-safe and
    shared through `AccountSession.client`)."""
    items = list(items)
    if len(items) <= 2:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="per-res") as pool:
        # each call carries the caller's context: the collector's deadline (see `deadlines`)
        futures = [pool.submit(contextvars.copy_context().run, fn, i) for i in items]
        return [f.result() for f in futures]


@dataclass
class CollectContext:
    session: AccountSession
    region: str  # the region to read; for global collectors, the region the client uses
    scope_region: str  # region recorded on resources: `region`, or GLOBAL
    needed: frozenset[str]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    gaps: list[Gap] = field(default_factory=list)

    @property
    def account(self) -> str:
        return self.session.account

    def client(self, service: str) -> Any:
        return self.session.client(service, self.region)

    @property
    def partition(self) -> str:
        """The ARN partition of `region` (`aws`, `aws-cn`, `aws-us-gov`, ...)."""
        return self.session.partition(self.region)

    def wants(self, *types: str) -> bool:
        return any(t in self.needed for t in types)

    def not_collected(self, facet: str) -> Unknown:
        """The value of a facet (`<type>#<Name>`: attributes of a type that cost extra calls, read
        only when a selected control names the facet in its `reads`) that was not fetched: a
        control that forgot to name its facet then says UNKNOWN, never a wrong PASS or FAIL."""
        return Unknown(f"not collected: no selected control reads {facet}")

    def gap(self, type_: str, reason: str) -> None:
        self.gaps.append(Gap(type_, self.account, self.scope_region, reason))

    def unknown(self, exc: BaseException, operation: str) -> Unknown:
        return Unknown(describe(exc, operation))

    def paginate(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """Items under `key` across every page of `operation`. Each page was checked for the shape
        its operation promises (`shapes`); a key still absent is one AWS leaves out when empty."""
        for page in self.client(service).get_paginator(operation).paginate(**kwargs):
            yield from page.get(key) or []

    def resource(
        self,
        type_: str,
        id_: str,
        properties: dict[str, Any],
        *,
        arn: str | None = None,
        tags: dict[str, str] | None = None,
        live: dict[str, Any] | None = None,
        name: str | None = None,
        region: str | None = None,
    ) -> Resource:
        reg = region or self.scope_region
        return Resource(
            type=type_,
            id=id_,
            properties=properties,
            arn=arn,
            account=self.account,
            region=reg,
            tags=tags or {},
            origin=Origin(account=self.account, region=reg),
            live=live or {},
            name=name,
        )


def json_document(raw: Any) -> Any:
    """A policy document that an API returns as a JSON string (topic, queue, repository, secret,
    function and domain policies), parsed; None when there is none. A string that is not JSON is
    kept as `Unknown`: the control then says UNKNOWN, never PASS."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return Unknown(f"the policy returned is not JSON ({len(raw)} characters)")


def tag_map(raw: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """An API's `[{"Key": k, "Value": v}, ...]` tag list as `{k: v}`."""
    return {t["Key"]: t.get("Value", "") for t in raw or [] if "Key" in t}


CollectFn = Callable[[CollectContext], Iterable[Resource]]


@dataclass(frozen=True)
class Collector:
    name: str
    yields: tuple[str, ...]
    scope: str  # GLOBAL or REGIONAL
    calls: tuple[str, ...]  # `service:Operation`, for the plan and the IAM permissions it needs
    fn: CollectFn

    @property
    def permissions(self) -> list[str]:
        return sorted(set(self.calls))


_COLLECTORS: dict[str, Collector] = {}


def collector(
    name: str, *, yields: Iterable[str], scope: str, calls: Iterable[str]
) -> Callable[[CollectFn], CollectFn]:
    def register(fn: CollectFn) -> CollectFn:
        _COLLECTORS[name] = Collector(name, tuple(yields), scope, tuple(calls), fn)
        return fn

    return register


def all_collectors() -> list[Collector]:
    import railguard.sources.aws.collectors as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"railguard.sources.aws.collectors.{mod.name}")
    return sorted(_COLLECTORS.values(), key=lambda c: c.name)


def collectors_for(types: Iterable[str]) -> list[Collector]:
    """The collectors that yield at least one of `types`; nothing else is collected."""
    wanted = set(types)
    return [c for c in all_collectors() if wanted & set(c.yields)]


def uncovered(types: Iterable[str]) -> set[str]:
    """Types that no collector yields (they become gaps: a control needing them is UNKNOWN)."""
    yielded = {t for c in all_collectors() for t in c.yields}
    return {t for t in types if t not in yielded}


def global_gap(type_: str, account: str | None, reason: str) -> Gap:
    return Gap(type_, account, GLOBAL, reason)
