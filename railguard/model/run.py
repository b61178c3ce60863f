"""The outcome of one run (a live scan or an IaC scan), as handed to the report writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from railguard.model.finding import Finding
from railguard.model.inventory import Gap
from railguard.model.result import Result
from railguard.model.severity import Severity


@dataclass
class ItemResult:
    """One framework item (e.g. CIS 1.4) rolled up from the findings of its controls."""

    framework: str
    id: str
    title: str
    section: str
    result: Result
    level: int | None = None
    assessment: str = "automated"  # what the framework says: automated | manual
    severity: Severity | None = None
    controls: list[str] = field(default_factory=list)
    note: str = ""
    reason: str = ""  # why the item has its result (why UNKNOWN, MANUAL guidance)
    findings: list[Finding] = field(default_factory=list)

    @property
    def offenders(self) -> list[Finding]:
        return [f for f in self.findings if f.result in (Result.FAIL, Result.UNKNOWN, Result.ERROR)]


@dataclass(frozen=True)
class FrameworkInfo:
    id: str
    title: str
    version: str


@dataclass
class RunResult:
    kind: str  # "scan" | "iac"
    started_at: str
    duration_s: float = 0.0
    frameworks: list[FrameworkInfo] = field(default_factory=list)
    items: list[ItemResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # run-level problems shown in every report
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def api_call_total(self) -> int:
        return sum(self.api_calls.values())

    def fails_at(self, threshold: Severity) -> bool:
        """Did any finding FAIL at or above `threshold`? (what `--fail-on` gates on; a finding's own
        severity, not its item's, so a medium failure never trips a `high` gate)"""
        return any(f.result == Result.FAIL and f.severity >= threshold for f in self.findings)

    def items_of(self, framework: str) -> list[ItemResult]:
        return [i for i in self.items if i.framework == framework]

    def counts(self, items: list[ItemResult] | None = None) -> dict[str, int]:
        out = {r.value: 0 for r in Result}
        for i in self.items if items is None else items:
            out[i.result.value] += 1
        return out
