"""Mask secrets inside free text (gap reasons, evidence, notifications) with the scanner's rules.

``redact_text`` is the one redaction every output path calls: it runs the same verified rules as
``railguard secrets scan`` over the text and replaces each secret value with a short prefix and
``****`` (``AKIA****``, ``ghp_****``, ``-----BEGIN RSA PRIVATE KEY-----****``), so a reader can
tell the kind of credential without being able to use it. Text without a trigger costs one
hyperscan pass (microseconds for a gap reason).
"""

from __future__ import annotations

import threading
from functools import lru_cache

from railguard.secrets.engine import Engine

MASK = "****"
#: rules whose secret has no telling prefix (a password, a bare base64 key): mask it whole
_NO_PREFIX = frozenset({
    "aws-secret-access-key", "azure-storage-connection-string", "azure-storage-key", "basic-auth-url",
    "database-url-password", "datadog-api-key", "docker-config-auth", "generic-secret-assignment",
    "heroku-api-key", "mailgun-private-key", "npmrc-auth-token", "twilio-auth-token", "env-password",
})
_LOCK = threading.Lock()  # a hyperscan scratch space serves one scan at a time


@lru_cache(maxsize=1)
def _engine() -> Engine:
    """A private engine (own scratch space), so redaction never races a running scan."""
    return Engine()


def mask(secret: str, keep_prefix: bool = True) -> str:
    """``AKIA****``: the first few characters (at most 4, at most a quarter of the value) and a mask.

    A PEM block keeps its ``-----BEGIN ...-----`` line; values without a telling prefix (passwords)
    keep none."""
    if secret.startswith("-----BEGIN "):
        end = secret.find("-----", 11)
        if end > 0:
            return secret[: end + 5] + MASK
    if not keep_prefix:
        return MASK
    compact = "".join(secret.split())
    return compact[: min(4, len(compact) // 4)] + MASK


def redact_text(text: str) -> str:
    """``text`` with every secret the scanner's rules find replaced by ``mask(secret)``."""
    if not text:
        return text
    buf = text.encode("utf-8", "surrogatepass")
    with _LOCK:
        matches = _engine().scan_bytes(buf)
    if not matches:
        return text
    out: list[bytes] = []
    pos = 0
    for m in sorted(matches, key=lambda x: x.start):
        if m.start < pos:  # overlapping spans: the first one already covers this part
            continue
        secret = buf[m.start : m.end].decode("utf-8", "surrogatepass")
        out.append(buf[pos : m.start])
        out.append(mask(secret, keep_prefix=m.rule.id not in _NO_PREFIX).encode())
        pos = m.end
    out.append(buf[pos:])
    return b"".join(out).decode("utf-8", "surrogatepass")
