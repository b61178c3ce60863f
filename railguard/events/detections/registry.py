"""Detection rules: small functions over one CloudTrail record, registered with their metadata.

A rule names the event names it reads (the detector indexes rules by them, so a record only
meets the rules that can fire on it); `events=None` is for the few rules that must see every
record (bursts of denials, one key from many addresses), and those check cheap fields first.
State lives in the rule's `RuleContext` (bursts and distinct-value windows), in memory,
bounded by the window: keys idle for longer than the window are swept.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from railguard.events import record as R
from railguard.model import Severity


@dataclass(frozen=True)
class Hit:
    """A rule fired: a one-line summary and the records that show it (default: the current one)."""

    summary: str
    event_ids: tuple[str, ...] = ()


RuleFn = Callable[[dict[str, Any], "RuleContext"], "Hit | str | None"]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    fn: RuleFn = field(repr=False)
    events: frozenset[str] | None  # None: every record
    source: str | None = None  # eventSource the rule is about ("iam.amazonaws.com"); None: any
    technique: str | None = None  # MITRE ATT&CK technique id
    params: Mapping[str, Any] = field(default_factory=dict)  # threshold, window (seconds), ...
    ci_exempt: bool = False  # changes by the configured CI/CD roles are expected: not flagged
    autoheal: tuple[str, ...] = ()  # remediation action ids that undo what the rule saw
    fallback: bool = False  # reported only when no other rule fired on the same record
    description: str = ""
    # routing for rules with events=None: records of other userIdentity types cannot fire the rule
    identities: frozenset[str] | None = None
    errors: bool | None = None  # True: only failed calls (errorCode set); False: only successful ones
    learn: tuple[frozenset[str], RuleFn] | None = None  # (event names, fn): records the rule learns from

    def routes(self, name: str, source: str, identity: str | None, failed: bool) -> bool:
        """Whether a record with these cheap fields can reach the rule (the detector caches the answer)."""
        if self.events is not None:
            return name in self.events and (self.source is None or self.source == source)
        if self.identities is not None and identity is not None and identity not in self.identities:
            return False
        return self.errors is None or self.errors == failed


_RULES: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    title: str,
    severity: Severity,
    events: Iterable[str] | None,
    source: str | None = None,
    technique: str | None = None,
    params: Mapping[str, Any] | None = None,
    ci_exempt: bool = False,
    autoheal: Iterable[str] = (),
    fallback: bool = False,
    identities: Iterable[str] | None = None,
    errors: bool | None = None,
    learn: tuple[Iterable[str], RuleFn] | None = None,
) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        if id in _RULES and _RULES[id].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"detection id {id!r} is registered twice")
        _RULES[id] = Rule(
            id=id, title=title, severity=severity, fn=fn, events=None if events is None else frozenset(events),
            source=source, technique=technique, params=dict(params or {}), ci_exempt=ci_exempt,
            autoheal=tuple(autoheal), fallback=fallback, description=inspect.getdoc(fn) or "",
            identities=None if identities is None else frozenset(identities), errors=errors,
            learn=None if learn is None else (frozenset(learn[0]), learn[1]),
        )
        return fn

    return register


def all_rules() -> list[Rule]:
    from railguard.events.detections import load_all

    load_all()
    return sorted(_RULES.values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> Rule:
    all_rules()
    return _RULES[rule_id]


class _Window:
    """Entries per key over a sliding window of `window` seconds; idle keys are swept."""

    def __init__(self, threshold: int, window: float) -> None:
        self.threshold = threshold
        self.window = window
        self.keys: dict[Any, deque[tuple[Any, ...]]] = {}
        self._adds = 0

    def _push(self, key: Any, t: float, entry: tuple[Any, ...], times: int = 1) -> deque[tuple[Any, ...]]:
        q = self.keys.get(key)
        if q is None:
            q = self.keys[key] = deque()
        for _ in range(times):
            q.append(entry)
        while q and t - q[0][0] > self.window:
            q.popleft()
        self._adds += 1
        if self._adds % 4096 == 0:  # keep memory bounded by the window, not the stream
            for k in [k for k, v in self.keys.items() if not v or t - v[-1][0] > self.window]:
                del self.keys[k]
        return q

    def state(self) -> dict[str, Any]:
        return {"keys": [[k, [list(e) for e in q]] for k, q in self.keys.items()]}

    def load(self, state: Mapping[str, Any]) -> None:
        for k, q in state.get("keys", []):
            self.keys[tuple(k) if isinstance(k, list) else k] = deque(tuple(e) for e in q)


class Burst(_Window):
    """Fire once `threshold` events of a key fall within the window.

    After firing the key starts over, so a long burst fires once per `threshold` events,
    not on every event past it.
    """

    def add(self, key: Any, t: float, event_id: str, weight: int = 1) -> list[str] | None:
        q = self._push(key, t, (t, event_id), weight)
        if len(q) >= self.threshold:
            del self.keys[key]
            return list(dict.fromkeys(e[1] for e in q))
        return None


class Distinct:
    """Fire once `threshold` distinct values of a key are seen within the window (one key, many addresses).

    Per key it keeps each value's last time and event id: cost is the number of distinct
    values, not the number of events (a busy key used from one address stays cheap).
    """

    def __init__(self, threshold: int, window: float) -> None:
        self.threshold = threshold
        self.window = window
        self.keys: dict[Any, dict[str, tuple[float, str]]] = {}
        self._adds = 0

    def add(self, key: Any, value: str, t: float, event_id: str) -> tuple[list[str], list[str]] | None:
        seen = self.keys.get(key)
        if seen is None:
            seen = self.keys[key] = {}
        seen[value] = (t, event_id)
        if len(seen) > 1:
            for v in [v for v, (vt, _) in seen.items() if t - vt > self.window]:
                del seen[v]
        self._adds += 1
        if self._adds % 4096 == 0:
            for k in [k for k, v in self.keys.items() if all(t - vt > self.window for vt, _ in v.values())]:
                del self.keys[k]
        if len(seen) >= self.threshold:
            del self.keys[key]
            return list(seen), [e for _, e in seen.values()]
        return None

    def state(self) -> dict[str, Any]:
        return {"keys": [[k, {v: list(te) for v, te in seen.items()}] for k, seen in self.keys.items()]}

    def load(self, state: Mapping[str, Any]) -> None:
        for k, seen in state.get("keys", []):
            key = tuple(k) if isinstance(k, list) else k
            self.keys[key] = {v: (float(te[0]), str(te[1])) for v, te in seen.items()}


@dataclass
class EventsConfig:
    """The `events:` settings a rule consults (see `railguard.config.schema.EventsSettings`)."""

    owned_accounts: frozenset[str] = frozenset()
    production_accounts: frozenset[str] = frozenset()
    ci_roles: tuple[str, ...] = ()
    admin_policies: tuple[str, ...] = ("arn:*:iam::aws:policy/AdministratorAccess",)
    admin_groups: tuple[str, ...] = ("*Admin*",)
    log_buckets: frozenset[str] = frozenset()
    trusted_cidrs: tuple[str, ...] = ()


class RuleContext:
    """One rule's parameters, allow-list and state, as the detector runs it."""

    def __init__(self, rule: Rule, cfg: EventsConfig, params: Mapping[str, Any], allow: Iterable[str]) -> None:
        self.rule = rule
        self.cfg = cfg
        self.params = dict(params)
        self.allow = tuple(allow) + (cfg.ci_roles if rule.ci_exempt else ())
        self._allowed: dict[tuple[str, str], bool] = {}
        self._sweeps = 0
        self.state: dict[str, Any] = {}
        threshold = int(self.params.get("threshold", 1))
        window = float(self.params.get("window", 300))
        self.burst = Burst(threshold, window)
        self.distinct = Distinct(threshold, window)

    def allowed(self, rec: dict[str, Any]) -> bool:
        """The record's principal (or the role behind its session) matches the rule's allow-list."""
        if not self.allow:
            return False
        key = (R.principal_arn(rec), R.role_arn(rec))
        hit = self._allowed.get(key)
        if hit is None:
            hit = any(fnmatch.fnmatchcase(v, p) for v in key if v for p in self.allow)
            if len(self._allowed) > 1024:  # a cache: principals are many in a long stream
                self._allowed.clear()
            self._allowed[key] = hit
        return hit

    def sweep(self, table: dict[Any, Any], now: float, last_seen: Callable[[Any], float]) -> None:
        """Every 4,096 calls, drop the entries of a learned table idle for longer than the window,
        so that what a rule remembers is bounded by its window, not by the stream's length."""
        self._sweeps += 1
        if self._sweeps % 4096 == 0:
            window = float(self.params.get("window", 300))
            for k in [k for k, v in table.items() if now - last_seen(v) > window]:
                del table[k]

    def outside(self, account: str, rec: dict[str, Any]) -> bool:
        """An account that is neither the record's own nor in the owned list."""
        return bool(account) and account != R.account(rec) and account not in self.cfg.owned_accounts

    def trusted_ip(self, ip: str) -> bool:
        if not self.cfg.trusted_cidrs:
            return False
        import ipaddress

        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in ipaddress.ip_network(c, strict=False) for c in self.cfg.trusted_cidrs)

    def save(self) -> dict[str, Any]:
        return {"burst": self.burst.state(), "distinct": self.distinct.state()}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.burst.load(state.get("burst", {}))
        self.distinct.load(state.get("distinct", {}))
