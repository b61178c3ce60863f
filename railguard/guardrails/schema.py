"""The guardrail file, as a pydantic schema: unknown keys, unknown control and action ids, bad params,
unknown environments and channels are all refused before any API call.

    guardrails:
      - name: no-admin-ports-from-world
        controls: [ec2.sg-admin-port-open-to-world]     # or `resource:` + `where:`
        scope: {accounts: [...], regions: [us-west-2], tags: {env: prod}, environments: [prod]}
        mode: remediate                                  # assess | approve | remediate, or {dev: remediate, prod: approve}
        action: {id: ec2.restrict-world-ingress, params: {allow_cidrs: [10.0.0.0/8]}}
        safeguards: {max_actions: 3, window: 1h, quiet_minutes: 10}
        exceptions:
          - {resource: sg-0abc, reason: "bastion, ticket SEC-12", owner: ops@example.com, expires: 2027-01-31}
        notify: [slack-secops]
        countermeasure: {after: 3, window: 1d, action: {id: iam.deactivate-access-key, params: {all_active: true}}}
    environments: {prod: {accounts: ["111111111111"]}, dev: {tag: {env: dev}}}
    notifications: {slack-secops: {slack_webhook: "${SLACK_WEBHOOK_URL}"}}
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from railguard.guardrails.duration import Duration
from railguard.guardrails.where import Condition
from railguard.model import Severity

Mode = Literal["assess", "approve", "remediate"]
Trigger = Literal["scan", "schedule", "event", "manual"]
TRIGGERS: tuple[Trigger, ...] = ("scan", "schedule", "event", "manual")
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ActionRef(_Strict):
    id: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> ActionRef:
        from railguard.remediation.action import ParamsError
        from railguard.remediation.actions import get, has

        if not has(self.id):
            raise ValueError(f"unknown action {self.id!r} (see `railguard actions list`)")
        try:
            get(self.id).validate(self.params)
        except ParamsError as exc:
            raise ValueError("; ".join(f"params.{loc}: {msg}" for loc, msg in exc.errors)) from None
        return self


class Safeguards(_Strict):
    max_actions: int = Field(default=5, ge=0, description="Circuit breaker: actions per window (0: never act).")
    window: Duration = Field(default=timedelta(hours=1))
    quiet_minutes: int | None = Field(default=None, ge=1, le=1440,
                                      description="No action on a resource someone else changed this recently.")


class ExceptionSpec(_Strict):
    """One reviewed exception: a resource (id, name or ARN), a tag, or an account; it expires."""

    resource: str | None = None
    tag: dict[str, str] | None = None
    account: AccountId | None = None
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    @model_validator(mode="after")
    def _one(self) -> ExceptionSpec:
        named = [k for k in ("resource", "tag", "account") if getattr(self, k) is not None]
        if len(named) != 1:
            raise ValueError("an exception names exactly one of resource, tag, account")
        if self.tag is not None and len(self.tag) != 1:
            raise ValueError("`tag` is one key: value pair")
        return self

    @property
    def expires_at(self) -> datetime:
        """The end of the `expires` day, UTC: an exception holds through its last day."""
        return datetime.combine(self.expires, datetime.max.time(), tzinfo=UTC)

    @property
    def label(self) -> str:
        if self.resource:
            return f"resource {self.resource}"
        if self.tag:
            k, v = next(iter(self.tag.items()))
            return f"tag {k}={v}"
        return f"account {self.account}"


class Scope(_Strict):
    accounts: list[AccountId] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    environments: list[str] = Field(default_factory=list)


class Countermeasure(_Strict):
    """After `after` violations by one principal within `window`, act on the principal (behind the safeguards)."""

    after: int = Field(ge=1)
    window: Duration = Field(default=timedelta(days=1))
    action: ActionRef

    @model_validator(mode="after")
    def _acts_on_users(self) -> Countermeasure:
        from railguard.remediation.actions import get

        types = get(self.action.id).resource_types
        if "AWS::IAM::User" not in types:
            raise ValueError(f"action {self.action.id} works on {', '.join(types)}; a countermeasure acts on the "
                             "offending principal (an IAM user), e.g. iam.deactivate-access-key")
        return self


class Guardrail(_Strict):
    name: Name
    description: str = ""
    controls: list[str] = Field(default_factory=list)
    resource: str | None = Field(default=None, description="The resource type a `where:` condition reads.")
    where: list[Condition] | None = None
    severity: Severity = Severity.MEDIUM  # of a `where:` guardrail's findings
    scope: Scope = Field(default_factory=Scope)
    trigger: list[Trigger] = Field(default_factory=lambda: list(TRIGGERS))
    mode: Mode | dict[str, Mode] = "assess"
    action: ActionRef | None = None
    safeguards: Safeguards = Field(default_factory=Safeguards)
    exceptions: list[ExceptionSpec] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    countermeasure: Countermeasure | None = None

    @field_validator("where", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, v: Any) -> Any:
        return Severity.parse(v) if isinstance(v, str) else v

    @field_validator("controls")
    @classmethod
    def _controls(cls, v: list[str]) -> list[str]:
        from railguard.controls import get_control, has_control

        for cid in v:
            if not has_control(cid):
                raise ValueError(f"unknown control {cid!r} (see `railguard controls list`)")
            if "live" not in get_control(cid).places:
                raise ValueError(f"control {cid!r} judges templates only; a guardrail acts on live resources")
        return v

    @model_validator(mode="after")
    def _shape(self) -> Guardrail:
        if bool(self.controls) == (self.where is not None):
            raise ValueError("a guardrail names `controls:` or a `where:` condition (one of them)")
        if self.where is not None and not self.resource:
            raise ValueError("a `where:` condition needs `resource:` (the resource type it reads)")
        modes = set(self.mode.values()) if isinstance(self.mode, dict) else {self.mode}
        if modes - {"assess"} and self.action is None:
            raise ValueError("mode approve/remediate needs an `action:`")
        if self.action is not None:
            from railguard.remediation.actions import get

            spec = get(self.action.id)
            types = set(self.types)
            if not types & set(spec.resource_types):
                raise ValueError(f"action {spec.id} works on {', '.join(spec.resource_types)}, "
                                 f"not on what this guardrail flags ({', '.join(sorted(types))})")
        return self

    @property
    def types(self) -> tuple[str, ...]:
        from railguard.controls import get_control

        if self.resource:
            return (self.resource,)
        return tuple(dict.fromkeys(t for cid in self.controls for t in get_control(cid).resource))


def _channel_type() -> Any:
    try:
        from railguard.notify.config import ChannelConfig

        return ChannelConfig
    except ModuleNotFoundError:  # notification channels land separately (railguard.notify): mask values meanwhile
        return dict[str, SecretStr | bool | int | dict[str, Any]]


class Environment(_Strict):
    accounts: list[AccountId] = Field(default_factory=list)
    tag: dict[str, str] = Field(default_factory=dict, alias="tags")

    @model_validator(mode="after")
    def _something(self) -> Environment:
        if not self.accounts and not self.tag:
            raise ValueError("an environment names `accounts:` or a `tag:`")
        return self


class GuardrailFile(_Strict):
    guardrails: list[Guardrail] = Field(min_length=1)
    environments: dict[Name, Environment] = Field(default_factory=dict)
    notifications: dict[Name, _channel_type()] = Field(default_factory=dict)  # type: ignore[valid-type]
