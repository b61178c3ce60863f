"""What every template loader returns: resources with file/line origins, per-file errors,
and the inline ignores found in comments or metadata (applied later, never silently)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from railguard.model import Resource

NOT_EXPANDED = "not-expanded"


class Piece(dict):
    """A part folded into its owner (a stand-alone security group rule, an `ingress` block) that
    remembers where it was written: a control that blames the part (`origin_of`) points the
    finding at that file and line, so a pull-request annotation lands on the offending rule.
    Equal to the plain dict it holds."""

    def __init__(self, data: dict, file: str | None, line: int | None) -> None:
        super().__init__(data)
        self.origin = (file, line)


@dataclass(frozen=True)
class ParseError:
    """A file (or part of one) that could not be read; the scan of every other file goes on.

    `kind` NOT_EXPANDED: the file was read, but a construct expanded by another tool (a Rain
    module, a registry module, a macro) stands where resources would be: not scanned, said so."""

    file: str
    message: str
    line: int | None = None
    kind: str = "parse"


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


IGNORE_MARK = "railguard:ignore"
_IGNORE_RE = {
    False: re.compile(r"#\s*railguard:ignore\b(?P<rest>[^\n]*)"),
    True: re.compile(r"(?:#|//|/\*)\s*railguard:ignore\b(?P<rest>[^\n]*)"),
}


@dataclass(frozen=True)
class IgnoreComment:
    """One `railguard:ignore CONTROL_ID reason` comment; each loader decides what it covers."""

    line: int
    control_id: str  # "" when the comment names none
    reason: str  # "" when the comment gives none
    alone: bool  # the comment is the only thing on its line


def ignore_comment(raw: str, line: int, *, hcl: bool = False) -> IgnoreComment | None:
    """The ignore comment on one line, if any: `#` comments, and also `//` and `/* */` for HCL."""
    if IGNORE_MARK not in raw:
        return None
    m = _IGNORE_RE[hcl].search(raw)
    if m is None:
        return None
    rest = m.group("rest").strip()
    if hcl and rest.endswith("*/"):
        rest = rest[:-2].strip()
    parts = rest.split(None, 1)
    cid = parts[0] if parts else ""
    reason = parts[1].strip() if len(parts) > 1 else ""
    return IgnoreComment(line, cid, reason, raw[: m.start()].strip() == "")


def scan_ignore_comments(text: str, *, hcl: bool = False) -> list[IgnoreComment]:
    """Every ignore comment in a file's text, with its 1-based line."""
    if IGNORE_MARK not in text:
        return []
    found = (ignore_comment(raw, n, hcl=hcl) for n, raw in enumerate(text.splitlines(), 1))
    return [ig for ig in found if ig is not None]
