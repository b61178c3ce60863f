"""The executor seam: the scan and guardrail use cases hand their units of work to an executor.

`local` runs them on this process's thread pool (the default, nothing to install); `celery` fans
them out to `railguard worker` processes, one task per (account, region, collector group) for
scans and per (account, guardrail) for guardrail runs. Either way the use case gets the same
`Gathered` back and evaluates, maps and reports as before, so the reports are the same.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from railguard.model import Gap, Resource

if TYPE_CHECKING:
    from railguard.engine.scan import ScanOptions
    from railguard.guardrails.load import GuardrailSet
    from railguard.store import Store


@dataclass
class Gathered:
    """What the units of a collection produced, assembled."""

    resources: list[Resource] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    regions: dict[str, list[str]] = field(default_factory=dict)  # account -> regions read
    accounts: list[str] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    run_id: str | None = None  # the store's run, when the executor made one
    sessions: list[Any] = field(default_factory=list)  # local only: the open account sessions


class RunCancelled(Exception):
    """`railguard runs cancel` stopped the run."""


class Executor(ABC):
    name = ""

    @abstractmethod
    def collect(self, types: set[str] | frozenset[str], options: ScanOptions, *, now: datetime,
                progress_total: Callable[[int], None] | None = None,
                progress: Callable[[str], None] | None = None) -> Gathered:
        """Collect `types` in the accounts and regions of `options`."""

    @abstractmethod
    def guardrails(self, guardrails: GuardrailSet, options: ScanOptions, store: Store, *, apply: bool,
                   trigger: str) -> tuple[Any, Any]:
        """Run the guardrails (collect, evaluate, remediation pipeline): (PipelineResult, Observed)."""


def executor_for(options: ScanOptions) -> Executor:
    settings = options.executor
    if settings is None or settings.name == "local":
        from railguard.executor.local import LocalExecutor

        return LocalExecutor()
    from railguard.executor.distributed import CeleryExecutor

    return CeleryExecutor(settings, options.store_url)
