"""Core model: pure data, no I/O, no boto3."""

from railguard.model.finding import Finding, fingerprint
from railguard.model.inventory import Gap, Inventory
from railguard.model.resource import (
    GLOBAL,
    Origin,
    PartialText,
    Resource,
    Unknown,
    UnknownValue,
    find_unknown,
    require,
)
from railguard.model.result import Result, Verdict, failed, passed, unknown
from railguard.model.run import FrameworkInfo, ItemResult, RunResult
from railguard.model.severity import Severity

__all__ = [
    "GLOBAL",
    "Finding",
    "FrameworkInfo",
    "Gap",
    "Inventory",
    "ItemResult",
    "Origin",
    "PartialText",
    "Resource",
    "Result",
    "RunResult",
    "Severity",
    "Unknown",
    "UnknownValue",
    "Verdict",
    "failed",
    "find_unknown",
    "fingerprint",
    "passed",
    "require",
    "unknown",
]
