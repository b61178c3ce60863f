"""`executor:` in railguard.yaml: which executor runs the units of a scan or guardrail run, and the
Celery knobs. A bare `executor: celery` is accepted; the broker may come from `RAILGUARD_BROKER_URL`."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EXECUTORS = ("local", "celery")


class ExecutorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["local", "celery"] = Field(default="local", description="local: a thread pool; celery: workers.")
    broker: str | None = Field(default=None, description="Broker URL: redis://, rediss:// (Valkey too) or sqs://.")
    result_backend: str | None = Field(default=None, description="Celery result backend (railguard keeps results "
                                       "in the store; only needed by other Celery tooling).")
    broker_options: dict[str, Any] = Field(
        default_factory=dict, description="Kombu transport options over railguard's (SQS: is_secure: false for an "
        "http endpoint such as an emulator, region, wait_time_seconds, predefined_queues, sts_role_arn).")
    limits: str | None = Field(default=None, description="Redis URL of the cross-worker concurrency caps "
                               "(default: the broker when it is Redis).")
    queue: str = Field(default="railguard", min_length=1)
    collectors_per_task: int = Field(default=0, ge=0, description="0: all collectors of one region in one task.")
    task_deadline: float = Field(default=900.0, gt=0, description="Seconds a task may run before the watchdog "
                                 "re-queues (then fails) it.")
    heartbeat_stale: float = Field(default=30.0, gt=0, description="Seconds without a heartbeat: the worker died.")
    queue_deadline: float = Field(default=3600.0, gt=0, description="Seconds a task may wait for a worker.")
    max_attempts: int = Field(default=3, ge=1, le=20)
    account_concurrency: int = Field(default=8, ge=1, description="Collectors at once in one account, all workers.")
    service_concurrency: int = Field(default=4, ge=1, description="Collectors at once per account and service.")
    poll: float = Field(default=0.5, gt=0, le=30)

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    def broker_url(self) -> str | None:
        return self.broker or os.environ.get("RAILGUARD_BROKER_URL") or None

    def limits_url(self) -> str | None:
        url = self.limits or os.environ.get("RAILGUARD_LIMITS_URL")
        if url:
            return url
        broker = self.broker_url() or ""
        return broker if broker.startswith(("redis://", "rediss://", "valkey://")) else None


def resolve(flag: str | None, configured: ExecutorSettings | None = None, *, broker: str | None = None) -> ExecutorSettings:
    """`--executor` and `--broker` over the file's `executor:` block."""
    base = configured or ExecutorSettings()
    update: dict[str, Any] = {}
    if flag:
        update["name"] = flag
    if broker:
        update["broker"] = broker
    return base.model_copy(update=update) if update else base
