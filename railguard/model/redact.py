"""Redact secrets from free text that leaves the tool: gap reasons, finding reasons and evidence.

A tag value, a security-group rule description, an IAM policy `Condition` value or an error page
quoted in a reason can hold a credential; reports and the terminal must never repeat it. The
detection is the secrets engine's (`railguard.secrets`), plus two nets for what a lone field
holds without the context the engine's rules look for: an AWS-secret-shaped 40-character token
of high entropy, and a private-key header whose block is cut short (a quoted body's first bytes).
A redacted value keeps enough to be recognised (`AKIA****WXYZ`), never enough to be used.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

_MIN_LEN = 12  # no credential the engine knows is shorter
_AWS_SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_KEY_HEADER = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _looks_like_aws_secret(token: str) -> bool:
    classes = sum(any(f(c) for c in token) for f in (str.islower, str.isupper, str.isdigit))
    return classes >= 3 and _entropy(token) >= 4.2


def redact_text(text: str) -> str:
    """`text` with every secret the engine finds replaced by its redacted form."""
    if len(text) < _MIN_LEN:
        return text
    if len(text) > _CACHE_MAX_LEN:
        return _redact(text)
    return _redact_cached(text)


_CACHE_MAX_LEN = 4096  # reasons and evidence values repeat across thousands of findings: redact each once


def _redact(text: str) -> str:
    from railguard.secrets.engine import Engine
    from railguard.secrets.findings import redact

    raw = text.encode("utf-8", "surrogatepass")
    spans = [(m.start, m.end) for m in Engine.shared().scan_bytes(raw)]
    out = _replace(raw, spans, lambda s: redact(s).encode()).decode("utf-8", "replace")
    out = _AWS_SECRET_SHAPE.sub(lambda m: redact(m.group()) if _looks_like_aws_secret(m.group()) else m.group(), out)
    return _cut_private_keys(out)


_redact_cached = lru_cache(maxsize=8192)(_redact)


def _replace(raw: bytes, spans: list[tuple[int, int]], sub: Any) -> bytes:
    if not spans:
        return raw
    parts: list[bytes] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            continue  # overlapping: already replaced
        parts += [raw[pos:start], sub(raw[start:end])]
        pos = end
    parts.append(raw[pos:])
    return b"".join(parts)


def _cut_private_keys(text: str) -> str:
    """A private-key block the engine did not match (cut short, escaped): keep the header only."""
    out: list[str] = []
    pos = 0
    for head in _KEY_HEADER.finditer(text):
        if head.start() < pos:
            continue
        out.append(text[pos : head.end()])
        end = _KEY_END.search(text, head.end())
        body = text[head.end() : end.start() if end else len(text)]
        if len(re.sub(r"\\[nr]|[^A-Za-z0-9+/=]", "", body)) > 12:  # not already redacted to a stub
            out.append(" [redacted] ")
        else:
            out.append(body)
        pos = end.start() if end else len(text)
    out.append(text[pos:])
    return "".join(out)


def redact_value(value: Any) -> Any:
    """Strings anywhere in a JSON-like value redacted; other values kept as they are."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {redact_text(k) if isinstance(k, str) else k: redact_value(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(redact_value(v) for v in value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value
