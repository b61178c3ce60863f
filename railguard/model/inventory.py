"""The resources and gaps of one evaluation, indexed for the lookups controls make."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from railguard.model.resource import GLOBAL, Resource


@dataclass(frozen=True)
class Gap:
    """Resources of `type` in `account`/`region` could not be read; `reason` says why.

    `region` GLOBAL covers every region of the account; `account` None covers every account.
    """

    type: str
    account: str | None
    region: str
    reason: str

    def __post_init__(self) -> None:
        from railguard.model.redact import redact_text  # a reason may quote an answer's body

        object.__setattr__(self, "reason", redact_text(self.reason))

    def covers(self, type_: str, account: str | None, region: str | None) -> bool:
        if self.type not in (type_, "*"):
            return False
        if self.account is not None and account is not None and self.account != account:
            return False
        if self.region == GLOBAL or region in (None, GLOBAL):
            return True
        return self.region == region


class Inventory:
    def __init__(self, resources: Iterable[Resource] = (), gaps: Iterable[Gap] = ()) -> None:
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._by_key: dict[tuple[str, str], Resource] = {}
        self.gaps: list[Gap] = []
        for r in resources:
            self.add(r)
        for g in gaps:
            self.add_gap(g)

    def add(self, resource: Resource) -> None:
        self._by_type[resource.type].append(resource)
        self._by_key[(resource.type, resource.id)] = resource
        if resource.arn:
            self._by_key[(resource.type, resource.arn)] = resource

    def add_gap(self, gap: Gap) -> None:
        self.gaps.append(gap)

    def __iter__(self) -> Iterator[Resource]:
        for rs in self._by_type.values():
            yield from rs

    def __len__(self) -> int:
        return sum(len(rs) for rs in self._by_type.values())

    @property
    def types(self) -> list[str]:
        return sorted(self._by_type)

    def of_type(
        self,
        type_: str,
        *,
        account: str | None = None,
        region: str | None = None,
        where: Callable[[Resource], bool] | None = None,
    ) -> list[Resource]:
        """Resources of a type, optionally narrowed to an account, a region or a predicate."""
        out = []
        for r in self._by_type.get(type_, ()):
            if account is not None and r.account != account:
                continue
            if region is not None and r.region != region:
                continue
            if where is not None and not where(r):
                continue
            out.append(r)
        return out

    def get(self, type_: str, key: str) -> Resource | None:
        """A resource by type and id or ARN."""
        return self._by_key.get((type_, key))

    def gap_for(self, types: Iterable[str], account: str | None, region: str | None) -> Gap | None:
        for t in types:
            for g in self.gaps:
                if g.covers(t, account, region):
                    return g
        return None

    def gaps_of(self, type_: str) -> list[Gap]:
        return [g for g in self.gaps if g.type in (type_, "*")]
