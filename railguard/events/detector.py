"""Run the detection rules over a stream of records, each record meeting only the rules routed to it.

The detector holds every rule's state (bursts, learned addresses); `save`/`restore` turn it into
JSON so that the queue worker can keep its windows in the store across restarts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from railguard.events import record as R
from railguard.events.detection import Detection
from railguard.events.detections import EventsConfig, Hit, Rule, RuleContext, all_rules
from railguard.events.detections.registry import RuleFn


class DetectionConfigError(ValueError):
    """`events.detections` names a rule that does not exist."""


@dataclass(frozen=True)
class RuleOverride:
    enabled: bool = True
    threshold: int | None = None
    window: int | None = None
    allow: tuple[str, ...] = ()


def events_config(settings: Any | None, baseline_owned: Iterable[str] = ()) -> tuple[EventsConfig, dict[str, RuleOverride]]:
    """`EventsConfig` and per-rule overrides from `railguard.config.schema.EventsSettings` (or None)."""
    if settings is None:
        return EventsConfig(owned_accounts=frozenset(baseline_owned)), {}
    cfg = EventsConfig(
        owned_accounts=frozenset(settings.owned_accounts or baseline_owned),
        production_accounts=frozenset(settings.production_accounts),
        ci_roles=tuple(settings.ci_roles),
        admin_policies=tuple(settings.admin_policies),
        admin_groups=tuple(settings.admin_groups),
        log_buckets=frozenset(settings.log_buckets),
        trusted_cidrs=tuple(settings.trusted_cidrs),
    )
    overrides = {
        rid: RuleOverride(o.enabled, o.threshold, o.window, tuple(o.allow)) for rid, o in settings.detections.items()
    }
    return cfg, overrides


class Detector:
    def __init__(
        self,
        cfg: EventsConfig | None = None,
        overrides: Mapping[str, RuleOverride] | None = None,
        rules: Iterable[Rule] | None = None,
    ) -> None:
        self.cfg = cfg or EventsConfig()
        overrides = dict(overrides or {})
        chosen = list(rules) if rules is not None else all_rules()
        known = {r.id for r in all_rules()}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise DetectionConfigError(
                f"events.detections: unknown detection id {', '.join(unknown)} (see `railguard detections list`)"
            )
        self.contexts: dict[str, RuleContext] = {}
        for r in chosen:
            o = overrides.get(r.id, RuleOverride())
            if not o.enabled:
                continue
            params = dict(r.params)
            if o.threshold is not None:
                params["threshold"] = o.threshold
            if o.window is not None:
                params["window"] = o.window
            self.contexts[r.id] = RuleContext(r, self.cfg, params, o.allow)
        # rules naming event names first, then the every-record ones, each in id order (as reported)
        self._order = sorted(self.contexts.values(), key=lambda c: (c.rule.events is None, c.rule.id))
        self._routes: dict[tuple[Any, ...], tuple[tuple[RuleFn, RuleContext], ...]] = {}
        self.records = 0
        self.fallbacks = frozenset(rid for rid, ctx in self.contexts.items() if ctx.rule.fallback)

    @property
    def event_names(self) -> frozenset[str] | None:
        """Every event name the enabled rules read; None when some rule reads every record."""
        names: set[str] = set()
        for ctx in self.contexts.values():
            if ctx.rule.events is None:
                return None
            names |= ctx.rule.events
        return frozenset(names)

    def _route(self, key: tuple[Any, ...]) -> tuple[tuple[RuleFn, RuleContext], ...]:
        """The (function, context) pairs a record with these cheap fields meets: learners, then rules."""
        name, source, identity, failed = key
        out: list[tuple[RuleFn, RuleContext]] = []
        for ctx in self._order:
            learn = ctx.rule.learn
            if learn is not None and name in learn[0]:
                out.append((learn[1], ctx))
        out += [(ctx.rule.fn, ctx) for ctx in self._order if ctx.rule.routes(name, source, identity, failed)]
        if len(self._routes) > 10_000:  # names are open-ended in bad input: keep the cache bounded
            self._routes.clear()
        self._routes[key] = route = tuple(out)
        return route

    def process(self, rec: dict[str, Any]) -> list[Detection]:
        """The detections this record completes. Each record meets only the rules its event name,
        event source, identity type and error routes it to (a cached lookup on those four fields)."""
        self.records += 1
        ui = rec.get("userIdentity")
        identity = ui.get("type") if isinstance(ui, dict) else None
        name, source = rec.get("eventName"), rec.get("eventSource")
        key = (name if isinstance(name, str) else "", source if isinstance(source, str) else "",
               identity if isinstance(identity, str) else None, bool(rec.get("errorCode")))
        route = self._routes.get(key)
        if route is None:
            route = self._route(key)
        out: list[Detection] = []
        for fn, ctx in route:
            hit = fn(rec, ctx)
            if hit is not None:
                out.append(detection(ctx.rule, Hit(hit) if isinstance(hit, str) else hit, rec))
        if len(out) > 1 and self.fallbacks and any(d.rule in self.fallbacks for d in out):
            specific = [d for d in out if d.rule not in self.fallbacks]
            if specific:
                return specific
        return out

    def save(self) -> dict[str, Any]:
        """The rules' windows as JSON-serialisable state (learned sets are kept as lists)."""
        out: dict[str, Any] = {}
        for rid, ctx in self.contexts.items():
            state = ctx.save()
            extra = {k: (sorted(v) if isinstance(v, set) else v) for k, v in ctx.state.items()
                     if isinstance(v, set | dict) and all(isinstance(x, str) for x in v)}
            if extra:
                state["extra"] = extra
            out[rid] = state
        return out

    def restore(self, state: Mapping[str, Any]) -> None:
        for rid, st in state.items():
            ctx = self.contexts.get(rid)
            if ctx is None or not isinstance(st, dict):
                continue
            ctx.restore(st)
            for k, v in (st.get("extra") or {}).items():
                ctx.state[k] = set(v) if isinstance(v, list) else dict(v)


def detection(rule: Rule, hit: Hit, rec: dict[str, Any]) -> Detection:
    eid = R.s(rec.get("eventID"))
    return Detection(
        rule=rule.id,
        title=rule.title,
        severity=rule.severity,
        technique=rule.technique,
        time=R.s(rec.get("eventTime")),
        summary=hit.summary,
        event_ids=hit.event_ids or ((eid,) if eid else ()),
        event_name=R.s(rec.get("eventName")),
        account=R.account(rec),
        region=R.s(rec.get("awsRegion")),
        principal=R.principal_arn(rec),
        access_key_id=R.access_key(rec),
        source_ip=R.source_ip(rec),
        user_agent=R.s(rec.get("userAgent")),
    )
