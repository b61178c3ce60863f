"""Option parsing shared by command groups: comma lists, severities, formats."""

from __future__ import annotations

from railguard.cli.exitcodes import UserError
from railguard.model import Severity


def split_csv(values: list[str] | str | None) -> list[str]:
    """`a,b --x c` style: accept repeated options and comma-separated values alike."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


def severity(value: str | None, flag: str) -> Severity | None:
    if value is None or value == "" or value.lower() == "none":
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise UserError(f"{flag}: {exc}") from None
