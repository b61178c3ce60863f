"""Read one resource by type and id, with the fewest calls: one Describe with an id filter, not a scan.

Used after a change (verify), before one (approvals re-plan, undo), and by the events worker
for the resource a CloudTrail record touched. Each reader reuses the collector's converter for
its type, so a re-read resource has exactly the shape a scan gives it and a control judges
both the same way. A type without its own reader falls back to running its collector in the
one region and picking the resource out (correct, only dearer).

`read_one` raises `ReadError` with a reason when the resource cannot be read: it does not exist
(any more), the call was denied, or the read left the resource's type as a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from railguard.model import GLOBAL, Gap, Inventory, Origin, Resource
from railguard.sources.aws import pseudo
from railguard.sources.aws.collector import REGIONAL, CollectContext, collectors_for
from railguard.sources.aws.collectors import ec2
from railguard.sources.aws.errors import describe, is_code
from railguard.sources.aws.session import AccountSession

if TYPE_CHECKING:  # the catalogue is not imported by a source at run time
    from railguard.controls import Control


class ReadError(Exception):
    """The resource could not be read; the message says why (not found, denied, gap)."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.not_found = not_found


Reader = Callable[[CollectContext, str], "Resource | None"]
_READERS: dict[str, Reader] = {}

# error codes that mean "no such resource" for the readers below
_NOT_FOUND = (
    "InvalidGroup.NotFound",
    "InvalidGroupId.Malformed",
)


def _reader(*types: str) -> Callable[[Reader], Reader]:
    def register(fn: Reader) -> Reader:
        for t in types:
            _READERS[t] = fn
        return fn

    return register


# ---------------------------------------------------------------- readers


@_reader(ec2.SG)
def _security_group(ctx: CollectContext, group_id: str) -> Resource | None:
    groups = ctx.client("ec2").describe_security_groups(GroupIds=[group_id]).get("SecurityGroups", [])
    return ec2.security_group(ctx, groups[0]) if groups else None


# ---------------------------------------------------------------- entry points


def scope_of(resource_type: str) -> str:
    """GLOBAL when the type's collector reads it account-wide (IAM, S3), else REGIONAL."""
    cols = collectors_for([resource_type])
    return cols[0].scope if cols else REGIONAL


def _context(session: AccountSession, resource_type: str, region: str, needed: Iterable[str]) -> CollectContext:
    scope_region = GLOBAL if scope_of(resource_type) == GLOBAL else region
    return CollectContext(session, region, scope_region, frozenset(needed) | {resource_type})


def read_one(
    session: AccountSession,
    resource_type: str,
    resource_id: str,
    region: str,
    *,
    needed: Iterable[str] = (),
) -> Resource:
    """The resource now, as a scan would have produced it. `needed` names the facets to fetch
    (`AWS::S3::Bucket#Encryption`); none named fetches all of them."""
    ctx = _context(session, resource_type, region, needed)
    what = f"{resource_type} {resource_id} in {ctx.scope_region}"
    reader = _READERS.get(resource_type)
    try:
        found = reader(ctx, resource_id) if reader else _by_collector(ctx, resource_type, resource_id)
    except ReadError:
        raise
    except Exception as exc:
        if is_code(exc, *_NOT_FOUND):
            raise ReadError(f"{what} not found", not_found=True) from None
        raise ReadError(f"cannot read {what}: {describe(exc)}") from None
    gap = next((g for g in ctx.gaps if g.type == resource_type), None)
    if gap is not None:
        raise ReadError(f"cannot read {what}: {gap.reason}")
    if found is None:
        raise ReadError(f"{what} not found", not_found=True)
    return found


def _by_collector(ctx: CollectContext, resource_type: str, resource_id: str) -> Resource | None:
    """Fallback for a type without its own reader: its collector, in this one region."""
    cols = collectors_for([resource_type])
    if not cols:
        raise ReadError(f"no collector reads {resource_type}")
    for r in _run(cols[0].fn, ctx):
        if r.type == resource_type and resource_id in (r.id, r.arn, r.name):
            return r
    return None


def _run(fn: Callable[[CollectContext], Iterable[Resource]], ctx: CollectContext) -> list[Resource]:
    return list(fn(ctx))


@dataclass(frozen=True)
class _Related:
    """Resources of another type that a control reads beside its target."""

    read: Callable[[CollectContext, Resource], Iterable[Resource]]


_RELATED: dict[str, _Related] = {}


def inventory_for(
    session: AccountSession,
    control: Control,
    resource_id: str,
    region: str,
    *,
    resource_type: str | None = None,
) -> Inventory:
    """The resource and whatever `control` reads beside it, ready for `evaluate`. Facets the
    control names are fetched; related types come from their own narrow reader, else from
    their collector in this region (a gap there becomes a gap of the inventory, so a would-be
    PASS turns UNKNOWN, never a false PASS)."""
    types = [resource_type] if resource_type else list(control.resource)
    facets = [t for t in control.reads if "#" in t]
    target: Resource | None = None
    last: ReadError | None = None
    for t in types:
        try:
            target = read_one(session, t, resource_id, region, needed=[f for f in facets if f.startswith(t + "#")])
            break
        except ReadError as exc:
            last = exc
            if not exc.not_found:
                raise
    if target is None:
        raise last or ReadError(f"{resource_id} not found")
    inv = Inventory([target])
    for t in control.reads:
        if "#" in t or t == target.type:
            continue
        ctx = _context(session, t, region, [t])
        related = _RELATED.get(t)
        try:
            if related is not None:
                items = list(related.read(ctx, target))
            elif t == pseudo.ACCOUNT:
                items = [_account(session, region)]
            else:
                items = [r for c in collectors_for([t]) for r in _run(c.fn, ctx)]
        except Exception as exc:
            inv.add_gap(_gap(t, session, ctx.scope_region, describe(exc)))
            continue
        for r in items:
            if r.type == t and (r.type, r.id) != (target.type, target.id):
                inv.add(r)
        for g in ctx.gaps:
            inv.add_gap(g)
    return inv


def _gap(type_: str, session: AccountSession, region: str, reason: str) -> Gap:
    return Gap(type_, session.account, region, reason)


def _account(session: AccountSession, region: str) -> Resource:
    return Resource(
        type=pseudo.ACCOUNT, id=session.account, properties={"AccountId": session.account},
        account=session.account, region=GLOBAL, origin=Origin(account=session.account, region=GLOBAL),
        live={"regions": [region]}, name=session.account,
    )
