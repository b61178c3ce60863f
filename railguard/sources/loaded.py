"""What every template loader returns: resources with file/line origins, per-file errors,
and the inline ignores found in comments or metadata (applied later, never silently)."""

from __future__ import annotations

from dataclasses import dataclass, field

from railguard.model import Resource


@dataclass(frozen=True)
class ParseError:
    """A file (or part of one) that could not be read; the scan of every other file goes on."""

    file: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class InlineIgnore:
    """`# railguard:ignore CONTROL_ID reason` or CloudFormation `Metadata.railguard.ignore`.

    `resource_id` None means the ignore applies to the resource at/after `line` in `file`,
    resolved by the scanner; `reason` is required (an ignore without one is a ParseError).
    """

    file: str
    control_id: str
    reason: str
    line: int | None = None
    resource_id: str | None = None


@dataclass
class Loaded:
    resources: list[Resource] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    ignores: list[InlineIgnore] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # files that were read as this kind of input

    def extend(self, other: Loaded) -> None:
        self.resources += other.resources
        self.errors += other.errors
        self.ignores += other.ignores
        self.files += other.files
