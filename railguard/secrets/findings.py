"""What a scan reports. A finding never holds the secret: only a redacted prefix/suffix and a
fingerprint (a salted SHA-256 of rule, path and secret) that stays the same when the line moves."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

_SALT = b"railguard-secrets-v1\0"


_PEM = re.compile(r"^(-----BEGIN [A-Z0-9 ]+-----)(.*?)(?:-----END|$)", re.S)


def redact(secret: bytes | str) -> str:
    """``AKIA****ABCD``: enough to recognise the credential, never enough to use it.
    A PEM block keeps its header: ``-----BEGIN RSA PRIVATE KEY----- MIIE****Qw==``."""
    s = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret
    pem = _PEM.match(s)
    if pem:
        body = re.sub(r"\\[nr]|[^A-Za-z0-9+/=]", "", pem.group(2))
        return f"{pem.group(1)} {redact(body)}"
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
