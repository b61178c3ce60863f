"""Pure helpers deciding whether a name/value pair looks like a hard-coded secret.

Used by the controls that look for credentials written into templates, Dockerfiles, task
definitions and function environments. Two questions are kept apart:

* does the *name* say it holds a secret (`DB_PASSWORD`, `apiKey`, `ClientSecret`)? Names that
  only point at a secret (`SECRET_ARN`, `PASSWORD_FILE`, `TOKEN_URL`) do not;
* is the *value* a literal written in the file, or a reference resolved elsewhere
  (`${VAR}`, `{{resolve:secretsmanager:...}}`, an unresolved `Ref` = `Unknown`, `<your-key>`,
  `changeme`, empty)?

A value in a known credential format (AWS access key id, GitHub token, a database URL with a
password, a PEM private key) is a secret whatever its name; under a name that only may hold a
key (`STRIPE_KEY`, `CACHE_KEY`), the value's shape decides (long, mixed, high entropy). When the secret scanner of
`railguard.secrets` is available its verified rules decide known formats; otherwise the few
patterns below do. Nothing here logs or returns a secret: use `redact` for evidence.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from functools import lru_cache
from typing import Any

from railguard.model import Unknown

# --------------------------------------------------------------------------- names

_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "secret", "secrets", "token", "apikey",
    "privatekey", "secretkey", "accesskey", "authtoken", "clientsecret", "credential", "credentials",
    "creds", "signingkey", "encryptionkey", "masterkey", "sessiontoken", "bearer", "dbpass",
    "dbpassword", "apitoken", "accesstoken", "refreshtoken", "webhooksecret", "jwtsecret",
    "connectionstring", "licensekey", "hmackey",
})
# (word, next word) pairs that name a secret when written apart: API_KEY, PRIVATE_KEY, ...
_SECRET_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("secret", "key"), ("access", "key"), ("auth", "key"),
    ("signing", "key"), ("encryption", "key"), ("master", "key"), ("client", "secret"),
    ("connection", "string"), ("license", "key"), ("hmac", "key"), ("app", "key"),
})
# A last word that makes the name a pointer to, or an attribute of, a secret, not the secret.
_POINTER_SUFFIXES = frozenset({
    "arn", "file", "path", "name", "id", "ids", "url", "uri", "endpoint", "ttl", "length", "len",
    "expiry", "expires", "expiration", "lifetime", "timeout", "header", "type", "policy", "rotation",
    "region", "version", "enabled", "enable", "disabled", "min", "max", "param", "parameter", "ref",
    "location", "dir", "directory", "prefix", "suffix", "format", "mode", "count", "size", "age",
    "required", "reset", "user", "username", "login", "field", "hash", "algorithm", "store", "provider",
    "secretsmanager", "ssm", "bucket", "kms",
})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def name_words(name: str) -> list[str]:
    """`DB_PASSWORD` / `dbPassword` / `db-password` -> ["db", "password"]."""
    spaced = _CAMEL.sub(" ", _NON_ALNUM.sub(" ", name))
    return [w.lower() for w in spaced.split() if w]


def looks_secret_name(name: Any) -> bool:
    """Does a variable, parameter or key name say that its value is a secret?"""
    if not isinstance(name, str) or not name.strip():
        return False
    words = name_words(name)
    if not words:
        return False
    if words[-1] in _POINTER_SUFFIXES and len(words) > 1:
        return False
    if "kms" in words or "public" in words:
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    if any((a, b) in _SECRET_PAIRS for a, b in itertools.pairwise(words)):
        return True
    return "".join(words) in _SECRET_WORDS


# --------------------------------------------------------------------------- values

_PLACEHOLDER_WORDS = frozenset({
    "changeme", "change_me", "change-me", "changeit", "placeholder", "redacted", "example", "dummy",
    "none", "null", "nil", "undefined", "todo", "tbd", "secret", "password", "your_password",
    "yourpassword", "notasecret", "replaceme", "replace_me", "xxx", "fake", "test", "default",
})
_REFERENCE = re.compile(
    r"^\s*(?:"
    r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\([^)]*\)|%\([^)]*\)s?|\{\{[^}]*\}\}|<[^<>]*>|#\{[^}]*\}"
    r"|%[A-Za-z_][A-Za-z0-9_]*%"
    r")\s*$"
)
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure|ssm):", re.IGNORECASE)
_MASKED = re.compile(r"^(?:\*{3,}|x{3,}|X{3,}|\.{3,}|-+|_+|#+|0+)$")
_BOOLISH = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "1", "0"})
_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:")
_FILE_PATH = re.compile(r"^(?:/|\./|\.\./|~/)[\w./@+-]*$")
_PLAIN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?![^/\s]*@)\S*$", re.IGNORECASE)

# Known formats, used when the secrets scanner is not available.
_KNOWN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws-access-key-id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])")),
    ("private-key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("github-token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}")),
    ("slack-token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}")),
    ("url-password", re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)),
)
_EXAMPLE_KEYS = frozenset({"akiaiosfodnn7example", "akiai44qh8dhbexample"})


def is_dynamic_reference(value: Any) -> bool:
    """`{{resolve:secretsmanager:...}}`, `{{resolve:ssm-secure:...}}`, `{{resolve:ssm:...}}`."""
    return isinstance(value, str) and _DYNAMIC_REFERENCE.search(value) is not None


def is_placeholder(value: Any) -> bool:
    """A value that is not a literal secret: a reference resolved elsewhere, a stand-in, or empty.

    An `Unknown` (an unresolved `Ref`, a Terraform variable) counts as a reference here; a
    caller that must tell "resolved elsewhere" from "could not be read" checks `Unknown` first.
    """
    if value is None or isinstance(value, Unknown):
        return True
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):  # an intrinsic function the loader left unresolved
        return True
    text = str(value).strip().strip("\"'").strip()
    if not text:
        return True
    if is_dynamic_reference(text) or _REFERENCE.match(text):
        return True
    if text.lower() in _PLACEHOLDER_WORDS or _MASKED.match(text):
        return True
    return text.lower().startswith(("your-", "your_", "insert-", "insert_", "replace-", "replace_"))


def _not_a_secret_shape(text: str) -> bool:
    """Values that a secret-named key often holds without being a secret: flags, small
    numbers, ARNs and paths pointing at where the secret really lives, plain URLs."""
    low = text.lower()
    if low in _BOOLISH:
        return True
    if text.isdigit() and len(text) <= 4:
        return True
    if _ARN.match(text) or _FILE_PATH.match(text):
        return True
    return _PLAIN_URL.match(text) is not None


_SCAN_LOCK = threading.Lock()  # a hyperscan scratch space serves one scan at a time


@lru_cache(maxsize=1)
def _scanner() -> Any:
    """A private engine of the secret scanner's rules (its own scratch space, so it never
    races the scanner's shared engine), or None when hyperscan is not available."""
    try:
        from railguard.secrets.engine import Engine
        from railguard.secrets.rules import SPECIFIC

        return Engine(), SPECIFIC
    except Exception:  # hyperscan missing or failing to compile: use the built-in patterns
        return None


@lru_cache(maxsize=4096)
def known_credential(value: str) -> str | None:
    """The kind of credential a value is in a known format (rule id), else None."""
    if not value or value.lower() in _EXAMPLE_KEYS:
        return None
    scanner = _scanner()
    if scanner is not None:
        engine, specific = scanner
        try:
            with _SCAN_LOCK:
                matches = engine.scan_bytes(value.encode("utf-8", "replace"))
            for m in matches:
                if m.rule.priority >= specific:
                    return str(m.rule.id)
        except Exception:  # the fallback below still answers
            pass
    for kind, pattern in _KNOWN_FORMATS:
        if pattern.search(value):
            if kind == "url-password" and is_placeholder(value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[-1]):
                continue
            return kind
    return None


_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9+_=-]{16,}$")
_WEAK_WORDS = frozenset({"key", "auth", "sig", "signature", "hmac", "salt"})


def shannon_entropy(value: str) -> float:
    """Bits per character: random tokens score high (> 3.5), words and ids low."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in (value.count(ch) for ch in set(value)))


def looks_random_token(value: str) -> bool:
    """A long, high-entropy run of token characters mixing digits and letters."""
    if not _TOKEN_SHAPE.match(value):
        return False
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value)))
    return classes >= 2 and any(c.isdigit() for c in value) and shannon_entropy(value) >= 3.5


_DATA_KEY_WORDS = frozenset({
    "s3", "object", "cache", "partition", "sort", "hash", "primary", "foreign", "idempotency", "routing",
    "lookup", "map", "dedup", "deduplication", "group", "code", "artifact", "bucket", "prefix", "range",
})
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def _weak_secret_name(name: Any) -> bool:
    """Names that hold a secret only sometimes (`STRIPE_KEY` yes, `CACHE_KEY`, `S3Key` no): the
    value decides."""
    if not isinstance(name, str):
        return False
    words = name_words(name)
    return bool(words) and words[-1] in _WEAK_WORDS and not _DATA_KEY_WORDS.intersection(words)


def secret_reason(name: Any, value: Any) -> str | None:
    """Why `name = value` is a hard-coded secret, or None when it is not one.

    A value in a known credential format is one whatever its name; otherwise the name must
    look secret and the value must be a literal (not a placeholder or a reference).
    """
    if is_placeholder(value):
        return None
    text = str(value).strip()
    kind = known_credential(text)
    if kind is not None:
        return f"value is in a known credential format ({kind})"
    bare = text.strip("\"'")
    if looks_secret_name(name) and not _not_a_secret_shape(bare):
        return "name says it holds a secret and the value is a literal"
    if _weak_secret_name(name) and looks_random_token(bare) and not _HEX.match(bare):
        return "name may hold a key and the value is a high-entropy token"
    return None


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
