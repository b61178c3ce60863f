"""What a remediation action is: its metadata, its params, and plan / apply / undo / current.

An action is a small class registered with `@action(...)`. The metadata (API calls, IAM
permissions, risk, reversible, the controls it fixes) is data that `railguard actions show`
prints and the pipeline reads before anything runs. The four methods keep the safety model:

- `plan(target, params)` says what would change, from the resource as read (no call when the
  scanned resource has everything), and records `prior`: the state that undoes it.
- `apply(target, change)` makes exactly the planned calls and returns what it created.
- `undo(target, change, applied)` restores `prior` (byte for byte where the API allows).
- `current(target, resource=None)` reads the state `prior` describes; the pipeline records it
  after apply and undo refuses when it has since changed. Given the resource verify just
  re-read, it costs no call when the action can take its state from the resource.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from railguard.model import Resource

if TYPE_CHECKING:
    from railguard.sources.aws.session import AccountSession
    from railguard.store import Store


class ActionError(Exception):
    """An action cannot be planned, applied or undone; the message says why (no traceback)."""


class ParamsError(ActionError, ValueError):
    """Params refused by an action's model. `errors` holds (field path, message) pairs."""

    def __init__(self, action_id: str, errors: Sequence[tuple[str, str]]) -> None:
        self.action_id = action_id
        self.errors = list(errors)
        detail = "; ".join(f"{loc}: {msg}" for loc, msg in self.errors)
        super().__init__(f"action {action_id}: invalid params: {detail}")


class NotReversible(ActionError):
    """Undo of an action whose effect cannot be restored (a deleted console password)."""


class Params(BaseModel):
    """Base of every action's params: unknown keys are refused, values are not coerced loosely."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """For actions that take no params."""


@dataclass(frozen=True)
class Risk:
    breaks_traffic: bool = False
    costs_money: bool = False
    note: str = ""

    def describe(self) -> str:
        parts = [p for p, on in (("may break traffic", self.breaks_traffic), ("costs money", self.costs_money)) if on]
        text = ", ".join(parts) or "low"
        return f"{text}: {self.note}" if self.note else text


@dataclass(frozen=True)
class Target:
    """The resource an action works on, and the way to reach its account/region."""

    resource: Resource  # fresh enough to plan from (scan result, or re-read)
    session: AccountSession
    region: str  # the region to call (for global types: the session's home region)
    store: Store | None = None  # for the actions that record more than a journal row (a `CaseAction`'s case)

    def client(self, service: str) -> Any:
        return self.session.client(service, self.region)


@dataclass(frozen=True)
class Change:
    """A planned change: what would be done, and the prior state that undoes it (JSON-serialisable)."""

    action_id: str
    resource_type: str
    resource_id: str
    account: str | None
    region: str | None
    summary: str
    calls: tuple[str, ...]
    prior: Mapping[str, Any]
    params: Mapping[str, Any]
    noop: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id, "resource_type": self.resource_type, "resource_id": self.resource_id,
            "account": self.account, "region": self.region, "summary": self.summary, "calls": list(self.calls),
            "prior": dict(self.prior), "params": dict(self.params), "noop": self.noop,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Change:
        return cls(
            action_id=d["action_id"], resource_type=d["resource_type"], resource_id=d["resource_id"],
            account=d.get("account"), region=d.get("region"), summary=d.get("summary", ""),
            calls=tuple(d.get("calls", ())), prior=dict(d.get("prior") or {}), params=dict(d.get("params") or {}),
            noop=bool(d.get("noop", False)),
        )


class Action(abc.ABC):
    """Base class of the actions: validates params and builds `Change`s; subclasses implement
    `build`, `apply`, `undo` and `state` (or `read_state`), and `reread` when `single.read_one`
    is not the way."""

    spec: ClassVar[ActionSpec]
    params_model: ClassVar[type[Params]] = NoParams

    # ---- what a subclass writes
    @abc.abstractmethod
    def build(self, target: Target, params: Any) -> Change:
        """The change `params` asks for on `target.resource`, with `prior` (noop when compliant)."""

    @abc.abstractmethod
    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        """Make exactly the planned calls; return what was created (JSON)."""

    @abc.abstractmethod
    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        """Restore `change.prior`."""

    def state(self, resource: Resource) -> Mapping[str, Any] | None:
        """The part of a (re-read) resource `prior` describes, as plain JSON data, when the
        resource holds it (pure, no call); None when only the API's own answer is exact."""
        return None

    def read_state(self, target: Target) -> Mapping[str, Any]:
        """The state `prior` describes, read now. Default: re-read the resource and take `state`."""
        s = self.state(self.reread(target))
        if s is None:
            raise ActionError(f"{self.spec.id}: the action reads no state (write `state` or `read_state`)")
        return s

    # ---- shared
    def plan(self, target: Target, params: Mapping[str, Any] | BaseModel | None = None) -> Change:
        return self.build(target, self.spec.validate(params))

    def reread(self, target: Target, *needed: str) -> Resource:
        from railguard.sources.aws.single import read_one

        r = target.resource
        return read_one(target.session, r.type, r.id, target.region, needed=needed)

    def current(self, target: Target, resource: Resource | None = None) -> Mapping[str, Any]:
        """The state now. Given a resource just re-read (verify's), it costs no call when the
        action can take its state from the resource."""
        if resource is not None:
            s = self.state(resource)
            if s is not None:
                return s
        return self.read_state(target)

    def params_of(self, change: Change) -> Any:
        return self.spec.validate(change.params)

    def change(
        self,
        target: Target,
        params: BaseModel,
        summary: str,
        *,
        prior: Mapping[str, Any],
        calls: Sequence[str] = (),
        noop: bool = False,
    ) -> Change:
        r = target.resource
        return Change(
            action_id=self.spec.id,
            resource_type=r.type,
            resource_id=r.id,
            account=r.account,
            region=target.region,
            summary=summary,
            calls=() if noop else tuple(calls),
            prior=prior,
            params=params.model_dump(mode="json"),
            noop=noop,
        )


class CaseAction(Action):
    """An action whose effect is an incident-response case (`railguard.ir`): it opens the case (or finds the one
    already active on the resource) and runs it, with the case's own safeguards. The pipeline hands it over whole
    (`settle`) instead of apply -> verify -> roll back: re-judging the control would still fail (an isolated
    instance stays tainted) and a rollback would undo the isolation; the case's steps say what was done."""

    @abc.abstractmethod
    def settle(self, target: Target, change: Change) -> dict[str, Any]:
        """Open (or find) the case and run it; the journal fields of the outcome (status applied when the case
        finished, held when it waits for a person, failed when a step stopped it)."""

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        out = self.settle(target, change)
        if out.get("status") != "applied":
            raise ActionError(str(out.get("error") or out.get("status")))
        return dict(out.get("applied") or {})


@dataclass(frozen=True)
class ActionSpec:
    id: str
    title: str
    resource_types: tuple[str, ...]
    calls: tuple[str, ...]  # `service:Operation` the action may make (plan, apply, undo, current)
    permissions: tuple[str, ...]  # IAM actions it needs
    risk: Risk
    reversible: bool
    params_model: type[Params]
    fixes: tuple[str, ...]  # control ids
    impl: Action = field(repr=False)
    description: str = ""
    reversible_note: str = ""  # why not, or what undo cannot restore

    def validate(self, params: Mapping[str, Any] | BaseModel | None) -> Any:
        """Params as the action's model; bad ones raise `ParamsError` naming each field."""
        if isinstance(params, self.params_model):
            return params
        if isinstance(params, BaseModel):
            params = params.model_dump()
        try:
            return self.params_model.model_validate(dict(params or {}))
        except ValidationError as exc:
            errors = [(".".join(str(p) for p in e["loc"]) or "params", e["msg"]) for e in exc.errors()]
            raise ParamsError(self.id, errors) from None

    # ---- the contract's calls, delegated
    def plan(self, target: Target, params: Mapping[str, Any] | BaseModel | None = None) -> Change:
        return self.impl.plan(target, params)

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        return self.impl.apply(target, change)

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        if not self.reversible:
            raise NotReversible(f"{self.id} is not reversible: {self.reversible_note or 'no undo'}")
        self.impl.undo(target, change, applied)

    def current(self, target: Target, resource: Resource | None = None) -> Mapping[str, Any]:
        return self.impl.current(target, resource)


_REGISTRY: dict[str, ActionSpec] = {}


def action(
    id: str,
    *,
    title: str,
    resource_types: str | Sequence[str],
    calls: Sequence[str],
    permissions: Sequence[str] | None = None,
    risk: Risk | None = None,
    reversible: bool = True,
    reversible_note: str = "",
    fixes: Sequence[str] = (),
) -> Callable[[type[Action]], type[Action]]:
    """Register an action class. `permissions` default to the calls (same names in IAM)."""

    def register(cls: type[Action]) -> type[Action]:
        if id in _REGISTRY and _REGISTRY[id].impl.__class__.__qualname__ != cls.__qualname__:
            raise ValueError(f"action id {id!r} is registered twice")
        spec = ActionSpec(
            id=id,
            title=title,
            resource_types=(resource_types,) if isinstance(resource_types, str) else tuple(resource_types),
            calls=tuple(calls),
            permissions=tuple(sorted(set(permissions if permissions is not None else calls))),
            risk=risk or Risk(),
            reversible=reversible,
            params_model=cls.params_model,
            fixes=tuple(fixes),
            impl=cls(),
            description=inspect.getdoc(cls) or "",
            reversible_note=reversible_note,
        )
        cls.spec = spec
        _REGISTRY[id] = spec
        return cls

    return register


def registry() -> dict[str, ActionSpec]:
    return _REGISTRY


def control_passes(control_id: str, resource: Resource, *related: Resource, **params: Any) -> bool:
    """Does the catalogue control pass on this resource (with these related resources)? Used to
    plan a noop from the state just read, with the same judgement verify will make."""
    from railguard.controls import Context, get_control
    from railguard.engine.evaluate import run_control
    from railguard.engine.plan import PlannedControl
    from railguard.model import Inventory, Result

    c = get_control(control_id)
    pc = PlannedControl(c, {**c.params, **params})
    verdict = run_control(pc, resource, Context(inventory=Inventory([resource, *related]), params=pc.params))
    return verdict is not None and verdict.result == Result.PASS
