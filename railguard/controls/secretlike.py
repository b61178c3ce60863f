"""Whether a name/value pair from a template, Dockerfile, task definition or function environment
is a hard-coded secret: a thin control-side view of the secret scanner's one engine.

The judgement itself lives in `railguard.secrets` (`assign` for `NAME = literal`, the scanner's
verified rules for known formats), so `railguard iac scan` and `railguard secrets scan` agree on
every value. What stays here is what only the IaC loaders produce: an `Unknown` (an unresolved
`Ref`, a Terraform variable) or an unresolved intrinsic counts as a reference, and deploy-time
inputs are recognised. Nothing here logs or returns a secret: use `redact` for evidence.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from railguard.model import Unknown
from railguard.secrets import assign
from railguard.secrets.shapes import shannon

# --------------------------------------------------------------------------- names

def name_words(name: str) -> list[str]:
    """`DB_PASSWORD` / `dbPassword` / `db-password` -> ["db", "password"]."""
    return assign.name_words(name)


def looks_secret_name(name: Any) -> bool:
    """Does a variable, parameter or key name say that its value is a secret (not only maybe a key)?"""
    return isinstance(name, str) and assign.name_strength(name) >= assign.NAMED


# --------------------------------------------------------------------------- values


def is_dynamic_reference(value: Any) -> bool:
    """`{{resolve:secretsmanager:...}}`, `{{resolve:ssm-secure:...}}`, `{{resolve:ssm:...}}`."""
    return isinstance(value, str) and assign.is_reference(value.strip().encode("utf-8", "replace")) and "{{resolve:" in value


def is_placeholder(value: Any) -> bool:
    """A value that is not a literal secret: a reference resolved elsewhere, a stand-in, or empty.

    An `Unknown` (an unresolved `Ref`, a Terraform variable) counts as a reference here; a
    caller that must tell "resolved elsewhere" from "could not be read" checks `Unknown` first.
    """
    if value is None or isinstance(value, (Unknown, bool, dict)):
        return True  # a dict is an intrinsic function the loader left unresolved
    return assign.is_stand_in(str(value).encode("utf-8", "replace"))


_SCAN_LOCK = threading.Lock()  # a hyperscan scratch space serves one scan at a time


@lru_cache(maxsize=1)
def _scanner() -> Any:
    """A private engine of the secret scanner's rules (its own scratch space, so it never
    races the scanner's shared engine)."""
    from railguard.secrets.engine import Engine

    return Engine()


@lru_cache(maxsize=4096)
def known_credential(value: str) -> str | None:
    """The kind of credential a value is in a known format (the scanner's rule id), else None."""
    if not value:
        return None
    from railguard.secrets.rules import SPECIFIC

    with _SCAN_LOCK:
        matches = _scanner().scan_bytes(value.encode("utf-8", "replace"))
    for m in matches:
        if m.rule.priority >= SPECIFIC or m.rule.id == "basic-auth-url":
            return str(m.rule.id)
    return None


def shannon_entropy(value: str) -> float:
    """Bits per character: random tokens score high (> 3.5), words and ids low."""
    return shannon(value.encode("utf-8", "replace"))


def looks_random_token(value: str) -> bool:
    """A long, high-entropy run of token characters mixing digits and letters."""
    return assign.looks_random_token(value.encode("utf-8", "replace"))


def secret_reason(name: Any, value: Any) -> str | None:
    """Why `name = value` is a hard-coded secret, or None when it is not one.

    A value in a known credential format is one whatever its name; otherwise the secret
    scanner's assignment judgement decides (the same one `railguard secrets scan` applies to
    `name = "value"` in any file).
    """
    if is_placeholder(value):
        return None
    text = str(value).strip()
    kind = known_credential(text)
    if kind is not None:
        return f"value is in a known credential format ({kind})"
    if not isinstance(name, str):
        return None
    strength = assign.name_strength(name)
    if not assign.assignment_secret(name, text):
        return None
    if strength >= assign.NAMED:
        return "name says it holds a secret and the value is a literal"
    return "name may hold a key and the value is a high-entropy token"


def redact(value: Any) -> str:
    """A short prefix and `****`: enough to find the value in the file, never enough to use it."""
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if not ch.isspace())
    keep = min(4, len(text) // 4)
    return f"{text[:keep]}****"


# ----------------------------------------------------------------- deploy-time inputs

_PARAM_NO_DEFAULT = re.compile(r"^parameter (\S+) has no Default\b")
_PARAM_FROM_SSM = re.compile(r"^parameter (\S+) is read from SSM Parameter Store\b")
_TF_VAR_NO_VALUE = re.compile(r"^var\.(\S+) has no value$")


def deploy_input(u: Unknown) -> tuple[str, str] | None:
    """(kind, name) when an Unknown stands for a value given at deployment, not in the file:
    ("parameter", name) for a CloudFormation parameter without Default, ("ssm-parameter",
    name) for an SSM-typed parameter, ("variable", name) for a Terraform variable without value."""
    for kind, rx in (("parameter", _PARAM_NO_DEFAULT), ("ssm-parameter", _PARAM_FROM_SSM),
                     ("variable", _TF_VAR_NO_VALUE)):
        m = rx.match(u.reason)
        if m:
            return kind, m.group(1)
    return None
