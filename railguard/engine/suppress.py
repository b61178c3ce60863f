"""Apply suppressions (exceptions, inline ignores, baselines) to findings: never drop, mark."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from railguard.model import Finding, Result

Suppressor = Callable[[Finding], str | None]  # returns the reason/id of the covering exception


def apply(findings: list[Finding], *suppressors: Suppressor) -> list[Finding]:
    out = []
    for f in findings:
        if f.result in (Result.FAIL, Result.UNKNOWN):
            for s in suppressors:
                why = s(f)
                if why:
                    f = replace(f, result=Result.SUPPRESSED, suppressed_by=why)
                    break
        out.append(f)
    return out
