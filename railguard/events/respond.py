"""Event -> touched resources -> controls -> guardrails, through the one remediation pipeline.

For each resource a record touched (`touched.yaml`), the guardrails whose trigger includes
`event` and whose controls judge that type get it re-read live (one resource, not a scan:
`sources.aws.single.inventory_for`), the controls run on it, and the findings go to
`run_pipeline` with trigger "event" and the record's principal, source address and user agent,
so the store can say who did it. Detections with `autoheal` (CloudTrail logging stopped) add a
built-in guardrail that undoes the change through the same pipeline, with all its safeguards.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from railguard.events import record as R
from railguard.events.touched import Touch, touched
from railguard.model.redact import redact_text

log = logging.getLogger("railguard.events")

TRAIL = "AWS::CloudTrail::Trail"


def _set_false(*keys: str) -> Callable[[dict[str, Any]], bool]:
    return lambda rec: any(R.request(rec).get(k) is False for k in keys)


# the trail's selectors (GetEventSelectors' shape) hold none that records every management event
_NO_MANAGEMENT_SELECTOR = (
    "(EventSelectors || `[]`) != `[]` && length((EventSelectors || `[]`)[?IncludeManagementEvents != `false` && "
    "(ReadWriteType == 'All' || ReadWriteType == `null`)]) == `0` || (AdvancedEventSelectors || `[]`) != `[]` && "
    "length((AdvancedEventSelectors || `[]`)[?length(FieldSelectors) == `1` && FieldSelectors[0].Field == "
    "'eventCategory' && contains(FieldSelectors[0].Equals, 'Management')]) == `0`")


def _selectors_weakened(rec: dict[str, Any]) -> bool:
    from railguard.events.detections.evasion import _records_all_management

    return rec.get("eventName") == "PutEventSelectors" and not _records_all_management(R.request(rec))


@dataclass(frozen=True)
class Heal:
    """What one autoheal action undoes: the records that did that damage, and the `where:` condition
    that holds on the touched resource while the damage lasts. The built-in guardrail judges the one
    trail the record touched with it (not the account-wide catalogue control, which passes while any
    other trail still logs), so verify re-reads that trail and checks the same condition."""

    type: str
    where: list[dict[str, Any]]
    did: Callable[[dict[str, Any]], bool]  # undo only what this record changed, nothing else


HEALS: dict[str, Heal] = {
    "cloudtrail.start-logging": Heal(TRAIL, [{"path": "IsLogging", "eq": False}],
                                     lambda rec: rec.get("eventName") == "StopLogging"),
    "cloudtrail.multi-region": Heal(TRAIL, [{"any": [{"path": "IsMultiRegionTrail", "eq": False},
                                                     {"path": "IncludeGlobalServiceEvents", "eq": False}]}],
                                    _set_false("isMultiRegionTrail", "includeGlobalServiceEvents")),
    "cloudtrail.log-validation": Heal(TRAIL, [{"path": "EnableLogFileValidation", "eq": False}],
                                      _set_false("enableLogFileValidation")),
    "cloudtrail.record-management-events": Heal(TRAIL, [{"path": _NO_MANAGEMENT_SELECTOR, "eq": True}],
                                                _selectors_weakened),
}


class SessionPool:
    """An `AccountSession` per account: the caller's own, or `role_name` assumed in another account."""

    def __init__(self, *, profile: str | None = None, endpoint_url: str | None = None, region: str | None = None,
                 role_name: str | None = None) -> None:
        self.profile, self.endpoint_url, self.region, self.role_name = profile, endpoint_url, region, role_name
        self._by_account: dict[str, Any] = {}
        self._home: Any = None
        self._lock = threading.Lock()

    def home(self) -> Any:
        from railguard.sources.aws.session import open_sessions

        with self._lock:
            if self._home is None:
                (self._home,) = open_sessions(profile=self.profile, endpoint_url=self.endpoint_url, region=self.region)
                self._by_account[self._home.account] = self._home
            return self._home

    def for_account(self, account: str) -> Any | None:
        home = self.home()
        if not account or account == home.account:
            return home
        if not self.role_name:
            return None
        from railguard.sources.aws.session import open_sessions

        with self._lock:
            if account not in self._by_account:
                (s,) = open_sessions(profile=self.profile, endpoint_url=self.endpoint_url, region=self.region,
                                     accounts=[account], role_name=self.role_name)
                self._by_account[account] = s
            return self._by_account[account]


@dataclass
class Outcome:
    touched: int = 0
    findings: int = 0
    items: int = 0
    unread: int = 0  # touched resources that could not be re-read (reason logged)


class EventResponder:
    def __init__(self, guardrails: Any, sessions: SessionPool, store: Any, *, apply: bool = False,
                 clock: Callable[[], datetime] | None = None) -> None:
        from railguard.guardrails.controls import guardrail_controls

        self.rules = [r for r in guardrails if "event" in r.guardrail.trigger]
        self.sessions = sessions
        self.store = store
        self.apply = apply
        self.clock = clock
        self.by_type: dict[str, list[Any]] = {}
        for rule in self.rules:
            for pc in guardrail_controls(rule.guardrail):
                for t in pc.control.resource:
                    if all(p.control.id != pc.control.id for p in self.by_type.get(t, [])):
                        self.by_type.setdefault(t, []).append(pc)
        self.last = Outcome()

    def handle(self, rec: dict[str, Any]) -> int:
        touches = [t for t in touched(rec) if t.type in self.by_type]
        if not touches:
            return 0
        return self._run(rec, touches, self.rules, {t.type: self.by_type[t.type] for t in touches})

    def autoheal(self, rec: dict[str, Any], rule_id: str, actions: Iterable[str]) -> int:
        """Undo what an autoheal detection saw, through the pipeline: one built-in remediate guardrail per
        action, judging the touched resource with `HEALS`' condition (safeguards, prior state, verify and
        journal as for any guardrail; `--apply` still decides whether anything changes)."""
        from railguard.guardrails.controls import guardrail_controls
        from railguard.remediation.actions import get as get_action

        items = 0
        for action_id in actions:
            heal = HEALS.get(action_id)
            if heal is None:
                log.warning("autoheal for %s: no condition known for action %s", rule_id, action_id)
                continue
            if not heal.did(rec):
                continue
            try:
                get_action(action_id)
            except KeyError:
                log.warning("autoheal for %s unavailable: action %s is not installed", rule_id, action_id)
                continue
            guard = autoheal_guardrail(rule_id, action_id)
            touches = [t for t in touched(rec) if t.type == heal.type]
            if touches:
                items += self._run(rec, touches, [guard], {heal.type: guardrail_controls(guard.guardrail)})
        return items

    def _run(self, rec: dict[str, Any], touches: list[Touch], rules: list[Any],
             controls: dict[str, list[Any]]) -> int:
        from railguard.engine.evaluate import evaluate
        from railguard.remediation.pipeline import Context, run_pipeline
        from railguard.sources.aws.single import ReadError, inventory_for
        from railguard.store import utcnow

        now = self.clock() if self.clock else utcnow()
        out = Outcome(touched=len(touches))
        findings: list[Any] = []
        resources: list[Any] = []
        sessions: dict[str, Any] = {}
        for t in touches:
            session = self.sessions.for_account(t.account)
            if session is None:
                out.unread += 1
                log.warning("%s %s in account %s: no session (set --role-name to reach other accounts)",
                            t.type, t.id, t.account)
                continue
            sessions[session.account] = session
            for pc in controls.get(t.type, []):
                try:
                    inv = inventory_for(session, pc.control, t.id, t.region, resource_type=t.type)
                except ReadError as exc:
                    out.unread += 1
                    log.warning("cannot re-read %s %s: %s", t.type, t.id, redact_text(str(exc)))
                    continue
                findings += evaluate([pc], inv, now=now)
                resources += list(inv)
        out.findings = len(findings)
        if findings:
            ctx = Context(trigger="event", principal=R.principal_arn(rec) or None,
                          source_ip=R.source_ip(rec) or None, user_agent=R.s(rec.get("userAgent")) or None)
            result = run_pipeline(rules, findings, resources, sessions, self.store, now=now, apply=self.apply,
                                  context=ctx)
            out.items = len(result.items)
        self.last = out
        return out.items


def autoheal_guardrail(rule_id: str, action_id: str) -> Any:
    """A remediate guardrail, built in, for one autoheal detection and one of its actions."""
    from railguard.guardrails.load import Rule
    from railguard.guardrails.schema import Guardrail

    heal = HEALS[action_id]
    g = Guardrail.model_validate({
        "name": f"autoheal-{action_id.replace('.', '-')}", "resource": heal.type, "where": heal.where,
        "trigger": ["event"], "mode": "remediate", "action": {"id": action_id},
        "description": f"built in: undo what detection {rule_id} saw ({action_id})",
    })
    return Rule(guardrail=g, environments={}, channels={}, source="(built in)")


def load_guardrails_file(path: Path) -> Any:
    from railguard.guardrails.load import load_guardrails

    return load_guardrails([path])


def guardrail_needs(path: Path) -> tuple[list[str], list[str], list[str]]:
    """For `deploy`: resource types the event guardrails judge, their actions' permissions, the re-reads'."""
    from railguard.guardrails.controls import guardrail_controls
    from railguard.remediation.actions import get as get_action
    from railguard.sources.aws.collector import collectors_for

    rules = [r for r in load_guardrails_file(path) if "event" in r.guardrail.trigger]
    types = sorted({t for r in rules for pc in guardrail_controls(r.guardrail) for t in pc.control.types})
    actions: set[str] = set()
    for r in rules:
        if r.guardrail.action is not None:
            actions |= set(get_action(r.guardrail.action.id).permissions)
    reads = sorted({p for c in collectors_for(types) for p in c.permissions})
    return types, sorted(actions), reads


def responder_from_env(path: Path) -> Any:
    """The Lambda handler's responder: guardrails from `path`, the function's own credentials."""
    import os

    from railguard.store import open_store

    return EventResponder(load_guardrails_file(path), SessionPool(role_name=os.environ.get("RAILGUARD_ROLE_NAME")),
                          open_store(os.environ.get("RAILGUARD_DB")), apply=os.environ.get("RAILGUARD_APPLY") == "1")


def touched_types(rules: Iterable[Any]) -> list[str]:
    from railguard.guardrails.controls import guardrail_controls

    return sorted({t for r in rules for pc in guardrail_controls(r.guardrail) for t in pc.control.resource})
