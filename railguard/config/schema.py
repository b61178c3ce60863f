"""The configuration schema. Every threshold has the framework's default; unknown keys are errors
(a typo must not silently fall back to a default)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from railguard.executor.settings import ExecutorSettings
from railguard.sources.aws.deadlines import Timeouts

# controls whose `owned_accounts` parameter baseline.owned_accounts sets in every framework
EXPOSURE_CONTROLS = (
    "s3.bucket-policy-exposed", "sns.topic-policy-exposed", "sqs.queue-policy-exposed", "kms.key-policy-exposed",
    "lambda.function-policy-exposed", "ecr.repository-policy-exposed", "secretsmanager.secret-policy-exposed",
    "opensearch.domain-policy-exposed", "iam.role-trust-exposed",
)

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaselineSettings(_Strict):
    """Knobs of the `railguard-baseline` framework."""

    owned_accounts: list[AccountId] = Field(
        default_factory=list, description="Your accounts: VPC peering and resource policies may reach them.")
    console_admins: list[str] = Field(default_factory=list, description="Users allowed a console password.")
    root_unused_days: int = Field(default=30, ge=1, le=3650)
    access_key_unused_days: int = Field(default=90, ge=1, le=3650)
    password_min_length: int = Field(default=14, ge=8, le=128)
    password_reuse_prevention: int = Field(default=24, ge=1, le=24)
    password_max_age_days: int | None = Field(default=None, ge=1, le=1095, description="None: no expiry required.")
    public_tag: str = Field(default="railguard:public", min_length=1)


class SecretsSettings(_Strict):
    """`railguard secrets`: what to skip and which baseline to use (same keys as `.railguard.toml`)."""

    exclude: list[str] = Field(default_factory=list, description="Path globs, relative to the repo root.")
    baseline: str | None = Field(default=None, description="Baseline file (default .railguard-secrets-baseline.json).")
    disable: list[str] = Field(default_factory=list, description="Rule ids to turn off.")


class DetectionSettings(_Strict):
    """One detection's knobs in `events.detections.<rule id>` (None: the rule's default)."""

    enabled: bool = True
    threshold: int | None = Field(default=None, ge=1, description="Events that make a burst.")
    window: int | None = Field(default=None, ge=1, le=86400, description="Seconds a burst or a set is counted over.")
    allow: list[str] = Field(default_factory=list, description="Principal ARN globs this rule ignores.")


class EventsSettings(_Strict):
    """`railguard events`, `watch` and the detections (see README, "Events")."""

    owned_accounts: list[AccountId] = Field(
        default_factory=list, description="Accounts that are ours (default: baseline.owned_accounts)."
    )
    production_accounts: list[AccountId] = Field(default_factory=list, description="Change management applies here.")
    ci_roles: list[str] = Field(default_factory=list, description="Principal ARN globs of CI/CD deployers.")
    admin_policies: list[str] = Field(default_factory=lambda: ["arn:*:iam::aws:policy/AdministratorAccess"])
    admin_groups: list[str] = Field(default_factory=lambda: ["*Admin*"], description="Group name globs.")
    log_buckets: list[str] = Field(default_factory=list, description="Buckets holding CloudTrail logs.")
    trusted_cidrs: list[str] = Field(default_factory=list, description="Our own egress addresses (NAT, VPN).")
    detections: dict[str, DetectionSettings] = Field(default_factory=dict)
class TimeoutSettings(_Strict):
    """`railguard scan`: how long AWS calls may take before their slice of the scan is a gap (UNKNOWN).
    `--call-timeout` and `--collector-timeout` override `call` and `collector`."""

    connect: float = Field(default=Timeouts.connect, gt=0, le=300, description="Seconds to open a connection.")
    read: float = Field(default=Timeouts.read, gt=0, le=900, description="Seconds between two bytes of an answer.")
    attempts: int = Field(default=Timeouts.attempts, ge=1, le=20, description="Tries per call (adaptive retries).")
    call: float = Field(default=Timeouts.call, gt=0, le=3600, description="Seconds for all tries of one call.")
    collector: float = Field(default=Timeouts.collector, gt=0, le=86400,
                             description="Seconds for one collector in one region.")

    def resolve(self, call: float | None = None, collector: float | None = None) -> Timeouts:
        """The `Timeouts` the AWS sources use, with the flags' values over the file's."""
        return Timeouts(connect=self.connect, read=self.read, attempts=self.attempts,
                        call=call if call is not None else self.call,
                        collector=collector if collector is not None else self.collector)


class Config(_Strict):
    baseline: BaselineSettings = Field(default_factory=BaselineSettings)
    secrets: SecretsSettings | None = None
    events: EventsSettings = Field(default_factory=EventsSettings)
    timeouts: TimeoutSettings = Field(default_factory=TimeoutSettings)
    executor: ExecutorSettings = Field(default_factory=ExecutorSettings)  # railguard/executor
    # control id -> parameters, overriding framework pins for every framework
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def overrides(self) -> dict[str, dict[str, dict[str, Any]]]:
        """framework id -> control id -> params, as the plan consumes them ("*": every framework)."""
        b = self.baseline
        baseline: dict[str, dict[str, Any]] = {
            "ec2.vpc-peering-unknown-account": {"owned_accounts": b.owned_accounts},
            "iam.console-access-restricted": {"admins": b.console_admins},
            "iam.root-recently-used": {"days": b.root_unused_days},
            "iam.access-key-unused": {"days": b.access_key_unused_days},
            "iam.password-min-length": {"min_length": b.password_min_length},
            "iam.password-reuse-prevention": {"min_reuse": b.password_reuse_prevention},
            "iam.password-expiry": {"max_age_days": b.password_max_age_days},
            "ec2.instance-public-ip": {"public_tag": b.public_tag},
            "rds.publicly-accessible": {"public_tag": b.public_tag},
        }
        # the exposure controls judge accounts against the owned list in every framework
        every: dict[str, dict[str, Any]] = {cid: {"owned_accounts": b.owned_accounts} for cid in EXPOSURE_CONTROLS
                                            if b.owned_accounts}
        for k, v in self.params.items():
            every[k] = {**every.get(k, {}), **v}
        return {"railguard-baseline": baseline, "*": every}
