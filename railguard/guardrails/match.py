"""Which resources a guardrail covers, in which environment, in which mode, and which exception
excuses them. Pure functions over a resource: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from railguard.guardrails.schema import Environment, ExceptionSpec, Guardrail, Mode
from railguard.model import Resource


def _tags_match(want: Mapping[str, str], tags: Mapping[str, str]) -> bool:
    return all(tags.get(k) == v for k, v in want.items())


def environment_of(resource: Resource, environments: Mapping[str, Environment]) -> str | None:
    """The first environment (in file order) whose accounts or tag the resource matches."""
    for name, env in environments.items():
        if env.accounts and resource.account in env.accounts:
            return name
        if env.tag and _tags_match(env.tag, resource.tags):
            return name
    return None


def out_of_scope(g: Guardrail, resource: Resource, environments: Mapping[str, Environment]) -> str | None:
    """Why the resource is outside the guardrail's scope, or None when it is inside."""
    s = g.scope
    if s.accounts and resource.account not in s.accounts:
        return f"account {resource.account} not in scope"
    if s.regions and resource.region not in s.regions:
        return f"region {resource.region} not in scope"
    if s.tags and not _tags_match(s.tags, resource.tags):
        return "tags " + ", ".join(f"{k}={v}" for k, v in s.tags.items()) + " not on the resource"
    if s.environments and environment_of(resource, environments) not in s.environments:
        return "environment not in scope (" + ", ".join(s.environments) + ")"
    return None


def mode_for(g: Guardrail, resource: Resource, environments: Mapping[str, Environment]) -> tuple[Mode, str]:
    """The mode for this resource, and why (a per-environment mode with no match falls back to
    `default`, else to assess: never to acting)."""
    if g.action is None:
        return "assess", "no action"
    if isinstance(g.mode, str):
        return g.mode, ""
    env = environment_of(resource, environments)
    if env is not None and env in g.mode:
        return g.mode[env], f"environment {env}"
    if "default" in g.mode:
        return g.mode["default"], f"environment {env or 'none'}: default"
    return "assess", f"environment {env or 'none'} has no mode: assess only"


@dataclass(frozen=True)
class ExceptionLike:
    """An exception from a guardrail file or from the store, in one shape."""

    id: str
    resource: str | None
    tag: tuple[str, str] | None
    account: str | None
    reason: str
    owner: str
    expires_at: datetime | None

    @property
    def label(self) -> str:
        if self.resource:
            return f"resource {self.resource}"
        if self.tag:
            return f"tag {self.tag[0]}={self.tag[1]}"
        return f"account {self.account}"

    def covers(self, resource: Resource) -> bool:
        if self.resource is not None:
            return self.resource in (resource.id, resource.arn, resource.name)
        if self.tag is not None:
            return resource.tags.get(self.tag[0]) == self.tag[1]
        return resource.account == self.account

    def describe(self) -> str:
        until = f", until {self.expires_at:%Y-%m-%d}" if self.expires_at else ""
        return f"exception {self.id} ({self.label}): {self.reason}; owner {self.owner}{until}"


def from_spec(guardrail: str, index: int, spec: ExceptionSpec) -> ExceptionLike:
    tag = next(iter(spec.tag.items())) if spec.tag else None
    return ExceptionLike(f"{guardrail}#{index + 1}", spec.resource, tag, spec.account, spec.reason, spec.owner,
                         spec.expires_at)


@dataclass(frozen=True)
class ExceptionCheck:
    active: ExceptionLike | None
    expired: list[ExceptionLike]

    def expired_note(self) -> str:
        return "; ".join(f"{e.label} exception expired on {e.expires_at:%Y-%m-%d} (owner {e.owner}, "
                         f"reason: {e.reason}): fires again" for e in self.expired if e.expires_at)


def check_exceptions(resource: Resource, exceptions: Iterable[ExceptionLike], now: datetime) -> ExceptionCheck:
    active, expired = None, []
    for e in exceptions:
        if not e.covers(resource):
            continue
        if e.expires_at is not None and e.expires_at < now:
            expired.append(e)
        elif active is None:
            active = e
    return ExceptionCheck(active, expired)
