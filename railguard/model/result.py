"""The outcome of evaluating one control on one resource."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Result(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"  # could not be assessed; the reason says why
    MANUAL = "MANUAL"  # the framework item needs a person
    SUPPRESSED = "SUPPRESSED"  # an exception or ignore covers it
    ERROR = "ERROR"  # the input itself is broken (an unparsable template)

    @property
    def rank(self) -> int:
        """Worst-first order used to roll findings up into one item result."""
        return _RANK[self]


_RANK = {
    Result.PASS: 0,
    Result.MANUAL: 1,
    Result.SUPPRESSED: 2,
    Result.UNKNOWN: 3,
    Result.ERROR: 4,
    Result.FAIL: 5,
}


@dataclass(frozen=True)
class Verdict:
    """What a control says about one resource: result, a human reason, the offending values."""

    result: Result
    reason: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)


def passed(reason: str = "", **evidence: Any) -> Verdict:
    return Verdict(Result.PASS, reason, evidence)


def failed(reason: str, **evidence: Any) -> Verdict:
    return Verdict(Result.FAIL, reason, evidence)


def unknown(reason: str, **evidence: Any) -> Verdict:
    return Verdict(Result.UNKNOWN, reason, evidence)
