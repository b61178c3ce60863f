"""What a scan reports. A finding never holds the secret: only a redacted prefix/suffix and a
fingerprint (a salted SHA-256 of rule, path and secret) that stays the same when the line moves."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

_SALT = b"railguard-secrets-v1\0"


def redact(secret: bytes | str) -> str:
    """``AKIA****ABCD``: enough to recognise the credential, never enough to use it."""
    s = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret
    s = "".join(s.split())
    if len(s) >= 20:
        return f"{s[:4]}****{s[-4:]}"
    if len(s) >= 12:
        return f"{s[:2]}****{s[-2:]}"
    return "****"


def fingerprint(rule_id: str, path: str, secret: bytes) -> str:
    h = hashlib.sha256()
    h.update(_SALT + rule_id.encode() + b"\0" + path.encode("utf-8", "surrogateescape") + b"\0" + secret)
    return h.hexdigest()[:40]


@dataclass
class Finding:
    rule_id: str
    title: str
    severity: str
    path: str
    line: int
    column: int
    redacted: str
    fingerprint: str
    commit: str | None = None
    suppressed: str | None = None  # "inline" | "baseline" | "path"
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "SUPPRESSED" if self.suppressed else "OPEN"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status
        return d


@dataclass
class ScanStats:
    files: int = 0
    bytes: int = 0
    skipped_binary: int = 0
    skipped_vendored: int = 0
    skipped_excluded: int = 0
    blobs: int = 0
    commits: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    findings: list[Finding]
    stats: ScanStats
    mode: str = "paths"

    @property
    def open(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed]
