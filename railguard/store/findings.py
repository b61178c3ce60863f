"""Findings and their lifecycle across runs, and the "has this happened before?" answer.

Lifecycle of a fingerprint: a failing result first seen is `new`; seen again, `open`; a PASS (or the
resource gone from a run that covered it) makes it `resolved`; failing again after that, `reopened`;
covered by an exception, `suppressed`. UNKNOWN is tracked like a failure (it is not a PASS) but its
`result` says UNKNOWN; a change from UNKNOWN to FAIL is reported as `escalated`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from railguard.model import GLOBAL, Finding, Result
from railguard.store.models import ActionRow, FindingHistory, FindingRow
from railguard.store.store import utcnow

if TYPE_CHECKING:
    from railguard.store.store import Store

NEW, OPEN, RESOLVED, REOPENED, SUPPRESSED = "new", "open", "resolved", "reopened", "suppressed"
ESCALATED = "escalated"  # not stored: an open finding whose result got worse (UNKNOWN -> FAIL)
NOTIFY = frozenset({NEW, REOPENED, ESCALATED})
_TRACKED = {Result.FAIL, Result.UNKNOWN, Result.ERROR}
_CHUNK = 500
# the columns a bulk insert of new findings always names (executemany wants the same keys in every row)
_ROW_DEFAULTS: dict[str, Any] = {"last_principal": None, "last_source_ip": None, "last_user_agent": None}


@dataclass(frozen=True)
class Covered:
    """What a run looked at: a tracked finding of these controls/accounts/regions not seen again is resolved."""

    controls: Collection[str]
    accounts: Collection[str]
    regions: Collection[str] = ()


@dataclass(frozen=True)
class Seen:
    """Where this run left a finding: its lifecycle status, and whether that is worth a notification."""

    status: str  # new | open | resolved | reopened | suppressed | escalated
    first_seen: datetime
    times_seen: int

    @property
    def notify(self) -> bool:
        return self.status in NOTIFY


@dataclass(frozen=True)
class History:
    """What the store knows of a resource before now: "has this happened before?"."""

    times_seen: int = 0  # earlier sightings of this very finding
    first_seen: datetime | None = None
    times_reopened: int = 0
    other_findings: int = 0  # other controls that flagged the same resource
    actions: int = 0  # earlier actions on the resource
    last_action: str | None = None  # "applied 2026-11-30 by guardrail x"
    principal: str | None = None
    principal_findings: int = 0  # findings recorded against that principal
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def before(self) -> bool:
        return bool(self.times_seen or self.other_findings or self.actions or self.principal_findings > 1)

    def line(self) -> str:
        parts: list[str] = []
        if self.times_seen and self.first_seen is not None:
            parts.append(f"seen {self.times_seen} time(s) before since {self.first_seen:%Y-%m-%d}")
        if self.times_reopened:
            parts.append(f"reopened {self.times_reopened} time(s)")
        if self.other_findings:
            parts.append(f"{self.other_findings} other finding(s) on this resource")
        if self.actions:
            parts.append(f"{self.actions} earlier action(s) (last: {self.last_action})")
        if self.principal:
            parts.append(f"last by {self.principal} ({self.principal_findings} finding(s) by them)")
        return "; ".join(parts) if parts else "first time seen"

    def to_dict(self) -> dict[str, Any]:
        return {
            "times_seen": self.times_seen,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "times_reopened": self.times_reopened,
            "other_findings": self.other_findings,
            "actions": self.actions,
            "last_action": self.last_action,
            "principal": self.principal,
            "principal_findings": self.principal_findings,
            "line": self.line(),
        }


# Core inserts (executemany of plain rows): the ORM's bulk path costs more than SQLite's own work here
_FINDING_TABLE = cast(Table, FindingRow.__table__)
_HISTORY_TABLE = cast(Table, FindingHistory.__table__)


class FindingRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self,
        run_id: str,
        findings: Iterable[Finding],
        *,
        now: datetime | None = None,
        covered: Covered | None = None,
        principal: str | None = None,
        source_ip: str | None = None,
        user_agent: str | None = None,
    ) -> dict[str, Seen]:
        """Record what `run_id` saw; returns fingerprint -> where the finding now stands."""
        now = now or utcnow()
        latest: dict[str, Finding] = {}
        for f in findings:
            if f.result in _TRACKED or f.result in (Result.PASS, Result.SUPPRESSED):
                latest[f.fingerprint] = f
        for attempt in range(3):  # two runs inserting the same new finding at once: the loser re-reads
            try:
                return self._record(run_id, latest, now, covered, principal, source_ip, user_agent)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _record(self, run_id: str, latest: dict[str, Finding], now: datetime, covered: Covered | None,
                principal: str | None, source_ip: str | None, user_agent: str | None) -> dict[str, Seen]:
        """One transaction; new findings and the history rows are bulk inserts (executemany), seen ones
        are updated in place: thousands of findings cost a few statements, not one per finding."""
        out: dict[str, Seen] = {}
        with self._store.transaction() as s:
            rows = self._rows(s, list(latest))
            new: list[dict[str, Any]] = []
            history: list[dict[str, Any]] = []
            who = {"last_principal": principal, "last_source_ip": source_ip, "last_user_agent": user_agent}
            for fp, f in latest.items():
                row = rows.get(fp)
                status = _next_status(row, f.result)
                if status is None:
                    continue
                changed = row is None or row.status != status
                escalated = row is not None and row.result == Result.UNKNOWN and f.result == Result.FAIL
                if row is None:
                    new.append({"fingerprint": fp, "control_id": f.control_id, "title": f.title,
                                "severity": f.severity.value, "resource_type": f.resource_type,
                                "resource_id": f.resource_id, "resource_name": f.resource_name, "account": f.account,
                                "region": f.region, "status": status, "result": f.result.value, "reason": f.reason,
                                "first_seen": now, "last_seen": now, "times_seen": 1, "times_reopened": 0,
                                "resolved_at": now if status == RESOLVED else None, "last_run_id": run_id,
                                **(who if principal else {})})
                    out[fp] = Seen(status, now, 1)
                else:
                    if status == REOPENED and row.status != REOPENED:
                        row.times_reopened += 1
                    if f.result != Result.PASS:
                        row.times_seen += 1
                        row.last_seen = now
                    row.status, row.result, row.reason = status, f.result.value, f.reason
                    row.resource_name = f.resource_name or row.resource_name
                    row.resolved_at = now if status == RESOLVED else None
                    row.last_run_id = run_id
                    if principal:
                        row.last_principal, row.last_source_ip, row.last_user_agent = principal, source_ip, user_agent
                    out[fp] = Seen(ESCALATED if escalated else status, row.first_seen, row.times_seen)
                history.append({"run_id": run_id, "fingerprint": fp, "result": f.result.value, "status": status,
                                "changed": int(changed), "at": now, "principal": principal})
            if new:
                for i in range(0, len(new), _CHUNK):
                    s.execute(insert(_FINDING_TABLE), [{**_ROW_DEFAULTS, **r} for r in new[i : i + _CHUNK]])
            if covered is not None:
                history += self._resolve_unseen(s, run_id, covered, set(latest), now)
            for i in range(0, len(history), _CHUNK):
                s.execute(insert(_HISTORY_TABLE), history[i : i + _CHUNK])
        return out

    @staticmethod
    def _rows(s: Any, fps: list[str]) -> dict[str, FindingRow]:
        rows: dict[str, FindingRow] = {}
        for i in range(0, len(fps), _CHUNK):
            chunk = fps[i : i + _CHUNK]
            rows.update({r.fingerprint: r for r in s.scalars(select(FindingRow).where(FindingRow.fingerprint.in_(chunk)))})
        return rows

    @staticmethod
    def _resolve_unseen(s: Any, run_id: str, covered: Covered, seen: set[str], now: datetime) -> list[dict[str, Any]]:
        q = select(FindingRow.fingerprint, FindingRow.region).where(
            FindingRow.status.in_([NEW, OPEN, REOPENED]),
            FindingRow.control_id.in_(list(covered.controls)),
            FindingRow.account.in_(list(covered.accounts)),
        )
        regions = set(covered.regions)
        gone = [str(fp) for fp, region in s.execute(q) if fp not in seen
                and not (regions and region not in regions and region not in (None, GLOBAL))]
        for i in range(0, len(gone), _CHUNK):
            s.execute(update(FindingRow).where(FindingRow.fingerprint.in_(gone[i : i + _CHUNK])).values(
                status=RESOLVED, resolved_at=now, last_run_id=run_id, reason="no longer seen (resource gone)"))
        return [{"run_id": run_id, "fingerprint": fp, "result": "GONE", "status": RESOLVED, "changed": 1, "at": now,
                 "principal": None} for fp in gone]

    def get(self, fingerprint: str) -> FindingRow | None:
        with self._store.transaction() as s:
            return s.get(FindingRow, fingerprint)

    def query(self, *, statuses: Collection[str] = (), control: str | None = None, limit: int | None = None) -> list[FindingRow]:
        with self._store.transaction() as s:
            q = select(FindingRow).order_by(FindingRow.last_seen.desc(), FindingRow.fingerprint)
            if statuses:
                q = q.where(FindingRow.status.in_(list(statuses)))
            if control:
                q = q.where(FindingRow.control_id == control)
            if limit:
                q = q.limit(limit)
            return list(s.scalars(q))

    def diff(self, since: datetime) -> dict[str, list[FindingRow]]:
        """Findings whose lifecycle changed after `since`, by where they stand now: new, reopened, fixed."""
        with self._store.transaction() as s:
            changed = select(FindingHistory.fingerprint).where(FindingHistory.at > since, FindingHistory.changed == 1)
            rows = list(s.scalars(select(FindingRow).where(FindingRow.fingerprint.in_(changed))
                                  .order_by(FindingRow.control_id, FindingRow.resource_id)))
        out: dict[str, list[FindingRow]] = {"new": [], "reopened": [], "fixed": [], "suppressed": []}
        for r in rows:
            if r.status == RESOLVED:
                if r.first_seen <= since:
                    out["fixed"].append(r)  # new and fixed within the window: nothing to report
            elif r.status == SUPPRESSED:
                out["suppressed"].append(r)
            elif r.first_seen > since:
                out["new"].append(r)
            elif r.status == REOPENED or r.times_reopened:
                out["reopened"].append(r)
        return out

    def history(self, *, resource_id: str, account: str | None, fingerprint: str | None = None,
                principal: str | None = None, before: datetime | None = None) -> History:
        """Has this happened before? Earlier sightings, other findings on the resource, actions, the principal."""
        return self.history_many([(resource_id, account, fingerprint)], principal=principal,
                                 before=before)[(resource_id, account, fingerprint)]

    def history_many(self, keys: Iterable[tuple[str, str | None, str | None]], *, principal: str | None = None,
                     before: datetime | None = None) -> dict[tuple[str, str | None, str | None], History]:
        """`history` for many (resource id, account, fingerprint) at once, in a handful of queries
        whatever their number (a run asks it for every finding)."""
        wanted = list(dict.fromkeys(keys))
        fps = sorted({fp for _, _, fp in wanted if fp})
        ids = sorted({rid for rid, _, _ in wanted})
        rows: dict[str, Any] = {}  # fingerprint -> (the columns a History needs), not whole ORM objects
        seen: dict[str, int] = {}
        per_resource: dict[tuple[str, str | None], int] = {}
        actions: dict[tuple[str, str | None], list[ActionRow]] = {}
        by_principal: dict[str, int] = {}
        with self._store.transaction() as s:
            for chunk in _chunks(fps):
                rows.update({r.fingerprint: r for r in s.execute(select(
                    FindingRow.fingerprint, FindingRow.resource_id, FindingRow.account, FindingRow.first_seen,
                    FindingRow.times_reopened, FindingRow.last_principal).where(FindingRow.fingerprint.in_(chunk)))})
                q = (select(FindingHistory.fingerprint, func.count())
                     .where(FindingHistory.fingerprint.in_(chunk),
                            FindingHistory.result.in_([r.value for r in _TRACKED]))
                     .group_by(FindingHistory.fingerprint))
                if before is not None:
                    q = q.where(FindingHistory.at < before)
                seen.update({str(fp): int(n) for fp, n in s.execute(q)})
            for chunk in _chunks(ids):
                for rid, acct, n in s.execute(
                        select(FindingRow.resource_id, FindingRow.account, func.count())
                        .where(FindingRow.resource_id.in_(chunk))
                        .group_by(FindingRow.resource_id, FindingRow.account)):
                    per_resource[(rid, acct)] = int(n)
                aq = select(ActionRow).where(ActionRow.resource_id.in_(chunk), ActionRow.status.in_(
                    ["applied", "verified", "undone", "failed", "rolled-back"]))
                if before is not None:
                    aq = aq.where(ActionRow.created_at < before)
                for a in s.scalars(aq.order_by(ActionRow.created_at.desc())):
                    actions.setdefault((a.resource_id, a.account), []).append(a)
            principals = {principal or (rows[fp].last_principal if fp in rows else None) for _, _, fp in wanted}
            names = sorted(p for p in principals if p)
            for chunk in _chunks(names):
                by_principal.update({str(p): int(n) for p, n in s.execute(
                    select(FindingHistory.principal, func.count()).where(FindingHistory.principal.in_(chunk))
                    .group_by(FindingHistory.principal))})
        out: dict[tuple[str, str | None, str | None], History] = {}
        for rid, acct, fp in wanted:
            row = rows.get(fp) if fp else None
            who = principal or (row.last_principal if row is not None else None)
            own = int(row is not None and row.resource_id == rid and row.account == acct)
            acted = actions.get((rid, acct), [])
            last = f"{acted[0].status} {acted[0].created_at:%Y-%m-%d} by guardrail {acted[0].guardrail}" if acted else None
            out[(rid, acct, fp)] = History(
                times_seen=seen.get(fp, 0) if row is not None and fp else 0,
                first_seen=row.first_seen if row is not None else None,
                times_reopened=row.times_reopened if row is not None else 0,
                other_findings=per_resource.get((rid, acct), 0) - own, actions=len(acted), last_action=last,
                principal=who, principal_findings=by_principal.get(who, 0) if who else 0)
        return out

    def violations_by(self, principal: str, since: datetime, controls: Collection[str] | None = None) -> int:
        """Failing findings attributed to `principal` since `since`, of `controls` when given (the
        countermeasure rule counts these)."""
        return self.offenders(since, controls, principal=principal).get(principal, 0)

    def offenders(self, since: datetime, controls: Collection[str] | None = None, *,
                  principal: str | None = None) -> dict[str, int]:
        """Principal -> failing findings (distinct) attributed to them since `since`, of `controls` when
        given: whom a countermeasure may act on when no event names one."""
        q = (select(FindingHistory.principal, func.count(func.distinct(FindingHistory.fingerprint)))
             .where(FindingHistory.principal.is_not(None), FindingHistory.at >= since,
                    FindingHistory.result == Result.FAIL.value)
             .group_by(FindingHistory.principal))
        if principal is not None:
            q = q.where(FindingHistory.principal == principal)
        if controls is not None:
            q = q.where(FindingHistory.fingerprint.in_(
                select(FindingRow.fingerprint).where(FindingRow.control_id.in_(list(controls)))))
        with self._store.transaction() as s:
            return {str(p): int(n) for p, n in s.execute(q)}


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _next_status(row: FindingRow | None, result: Result) -> str | None:
    if result == Result.SUPPRESSED:
        return SUPPRESSED
    if result == Result.PASS:
        return None if row is None or row.status == RESOLVED else RESOLVED
    if row is None:
        return NEW
    if row.status in (RESOLVED, SUPPRESSED):  # fixed, or its exception lapsed: it fires again
        return REOPENED
    return OPEN
