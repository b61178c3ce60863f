"""Run collectors: one task per (account, region, collector) on a bounded thread pool.

Each task returns resources or gaps; a failure in one region or service never stops the
rest. The runner also yields the `RailGuard::AWS::Account` and `::Region` resources that
account-wide and "in every region" controls evaluate.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime

from railguard.model import GLOBAL, Gap, Origin, Resource
from railguard.sources.aws import pseudo
from railguard.sources.aws.collector import REGIONAL, CollectContext, Collector
from railguard.sources.aws.deadlines import collector_deadline
from railguard.sources.aws.errors import describe
from railguard.sources.aws.session import AccountSession


@dataclass
class Collected:
    resources: list[Resource] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    regions: dict[str, list[str]] = field(default_factory=dict)  # account -> regions scanned


class RegionError(ValueError):
    """A region asked for that is no AWS region (a typo): a usage error, not a gap."""


def discover_regions(session: AccountSession, wanted: Iterable[str] | None) -> list[str]:
    """The account's enabled regions, narrowed to `wanted` when given (validated against them,
    case-insensitively). Raises `RegionError` for a name that is neither enabled here nor known
    to botocore, with the nearest enabled region as a suggestion."""
    wanted = list(dict.fromkeys(r.strip().lower() for r in (wanted or []) if r.strip()))
    try:
        resp = session.client("ec2").describe_regions(AllRegions=False)
        enabled = sorted(r["RegionName"] for r in resp["Regions"])
    except Exception:
        if wanted:
            return list(wanted)
        raise
    if not wanted:
        return enabled
    known = set(enabled) | _botocore_regions(session)
    unknown = [r for r in wanted if r not in known]
    if unknown:
        import difflib

        hints = []
        for r in unknown:
            close = difflib.get_close_matches(r, enabled, n=1, cutoff=0.6)
            hints.append(f"{r} (did you mean {close[0]}?)" if close else r)
        raise RegionError(f"--regions: not a region of this account: {', '.join(hints)}; "
                          f"enabled: {', '.join(enabled)}")
    return [r for r in wanted if r in enabled] or list(wanted)


def _botocore_regions(session: AccountSession) -> set[str]:
    """Every region botocore knows for EC2 in any partition (opt-in regions not enabled here)."""
    out: set[str] = set()
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        try:
            out.update(session.session.get_available_regions("ec2", partition, allow_non_regional=False))
        except Exception:  # an unknown partition in an old botocore
            continue
    return out


ProgressFn = Callable[[str], None]


def collect(
    sessions: list[AccountSession],
    collectors: list[Collector],
    needed: Iterable[str],
    *,
    regions: Iterable[str] | None = None,
    max_workers: int = 16,
    progress_total: Callable[[int], None] | None = None,
    progress: ProgressFn | None = None,
    now: datetime | None = None,
) -> Collected:
    needed_set = frozenset(needed)
    now = now or datetime.now(UTC)
    out = Collected()
    tasks: list[tuple[AccountSession, Collector, str, str]] = []
    for sess in sessions:
        entered = enter_account(sess, regions)
        sess.release()  # memory flat in the number of accounts: clients live while their account is read
        out.gaps.extend(entered.gaps)
        out.resources.extend(entered.resources)
        out.regions[sess.account] = entered.regions
        if entered.home is None:
            continue
        for col in collectors:
            if col.scope == REGIONAL:
                tasks.extend((sess, col, reg, reg) for reg in entered.regions)
            else:
                tasks.append((sess, col, entered.home, GLOBAL))

    if progress_total:
        progress_total(len(tasks))

    left = Counter(id(t[0]) for t in tasks)
    left_lock = threading.Lock()

    def run(task: tuple[AccountSession, Collector, str, str]) -> tuple[list[Resource], list[Gap]]:
        sess, col, reg, scope_reg = task
        try:
            return run_collector(sess, col, reg, scope_reg, needed_set, now)
        finally:
            with left_lock:
                left[id(sess)] -= 1
                last = left[id(sess)] == 0
            if last:
                sess.release()

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="collect") as pool:
        futures = {pool.submit(run, t): t for t in tasks}
        for fut in as_completed(futures):
            resources, gaps = fut.result()
            out.resources.extend(resources)
            out.gaps.extend(gaps)
            if progress:
                _, col, _, scope_reg = futures[fut]
                progress(f"{col.name} {scope_reg}")
    return out


@dataclass
class Entered:
    """An account entered: its pseudo-resources, its gaps, the regions to read and the home region
    of its global collectors (None when nothing can be read in it)."""

    resources: list[Resource]
    gaps: list[Gap]
    regions: list[str]
    home: str | None


def enter_account(sess: AccountSession, regions: Iterable[str] | None) -> Entered:
    """Discover an account's regions and make its `RailGuard::AWS::Account` and `::Region` resources
    (the executors plan their units from this). Raises `RegionError` for a mistyped region."""
    if sess.error:
        return Entered([_account_resource(sess.account, [])], [Gap("*", sess.account, GLOBAL, sess.error)], [], None)
    try:
        acct_regions = discover_regions(sess, regions)
    except RegionError:
        raise
    except Exception as exc:
        return Entered([_account_resource(sess.account, [])],
                       [Gap("*", sess.account, GLOBAL, f"cannot list regions ({describe(exc)})")], [], None)
    resources = [_account_resource(sess.account, acct_regions)]
    for reg in acct_regions:
        resources.append(
            Resource(
                type=pseudo.REGION, id=f"{sess.account}/{reg}", properties={"RegionName": reg},
                account=sess.account, region=reg, origin=Origin(account=sess.account, region=reg),
                name=reg,
            )
        )
    home = sess.session.region_name or (acct_regions[0] if acct_regions else "us-east-1")
    return Entered(resources, [], acct_regions, home)


def run_collector(sess: AccountSession, col: Collector, reg: str, scope_reg: str, needed: frozenset[str],
                  now: datetime) -> tuple[list[Resource], list[Gap]]:
    """One collector in one account and region: its resources, or gaps for every type it yields."""
    ctx = CollectContext(sess, reg, scope_reg, needed, now=now)
    try:
        with collector_deadline(sess.timeouts.collector, f"{col.name} in {scope_reg}"):
            resources = list(col.fn(ctx))
    except Exception as exc:
        reason = f"{col.name} collector failed in {scope_reg} ({describe(exc)})"
        return [], ctx.gaps + [Gap(t, sess.account, scope_reg, reason) for t in col.yields]
    return resources, ctx.gaps


def _account_resource(account: str, regions: list[str]) -> Resource:
    return Resource(
        type=pseudo.ACCOUNT, id=account, properties={"AccountId": account}, account=account,
        region=GLOBAL, origin=Origin(account=account, region=GLOBAL), live={"regions": regions},
        name=account,
    )
