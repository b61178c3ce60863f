"""Durations as guardrail files write them: `90s`, `10m`, `1h`, `7d`, `2w`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("a duration is a number and a unit: 90s, 10m, 1h, 7d, 2w")
    if isinstance(value, int):
        return timedelta(seconds=value)
    m = _RE.match(value)
    if not m:
        raise ValueError("not a duration: write a number and a unit (90s, 10m, 1h, 7d, 2w)")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def format_duration(td: timedelta) -> str:
    secs = int(td.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if secs and secs % size == 0:
            return f"{secs // size}{unit}"
    return f"{secs}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]
