"""Collector registry: each collector declares the types it yields and the API calls it makes.

A collector is a function `(ctx: CollectContext) -> Iterable[Resource]`. It yields resources
in the CloudFormation shape and records partial failures with `ctx.gap(type, reason)` (a
whole type) or an `Unknown` property value (one attribute of one resource). An exception
escaping a collector becomes a gap for every type it yields in that account/region.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from railguard.model import GLOBAL, Gap, Origin, Resource, Unknown
from railguard.sources.aws.errors import describe
from railguard.sources.aws.session import AccountSession

REGIONAL = "regional"


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

    def wants(self, *types: str) -> bool:
        return any(t in self.needed for t in types)

    def gap(self, type_: str, reason: str) -> None:
        self.gaps.append(Gap(type_, self.account, self.scope_region, reason))

    def unknown(self, exc: BaseException, operation: str) -> Unknown:
        return Unknown(describe(exc, operation))

    def paginate(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """Items under `key` across every page of `operation`."""
        for page in self.client(service).get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])

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
