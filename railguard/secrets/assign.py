"""The one judgement of ``NAME = literal``: does the name say it holds a secret, and is the value a
secret written in place rather than a reference, a placeholder or a word?

Both paths use it: the scanner's generic rule (``password = "..."`` in any file, where the name and
value come from a regex) and the IaC controls (``railguard.controls.secretlike``: template
parameters, Dockerfile ``ENV``, task-definition environments, where the loader hands over the name
and value). So ``password = "hunter2hunter2"`` is a finding for ``secrets scan`` and ``iac scan``
alike.

Names come in three strengths:

* ``STRONG``: a password (``DB_PASSWORD``, ``smtpPass``, ``passphrase``). People choose these, so
  any literal that is not a placeholder, a reference or an identifier counts (``hunter2hunter2``).
* ``NAMED``: another secret (``client_secret``, ``API_KEY``, ``GITHUB_TOKEN``). These are generated,
  so the value must look generated: mixed characters and enough entropy.
* ``WEAK``: a name that only may hold a key (``STRIPE_KEY`` yes, ``CACHE_KEY`` no): only a long,
  random-looking token counts.

Names that point at a secret (``SECRET_ARN``, ``PASSWORD_FILE``, ``TOKEN_URL``, ``KEY_ID``) are not
secret names. Nothing here returns or logs a value.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from railguard.secrets.rules import char_classes, is_placeholder, shannon

NONE, WEAK, NAMED, STRONG = 0, 1, 2, 3

_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "dbpass", "dbpassword", "passcode"})
_PASSWORD_AFFIXES = ("password", "passwd", "passphrase")
_SECRET_WORDS = frozenset({
    "secret", "secrets", "token", "tokens", "apikey", "privatekey", "secretkey", "accesskey", "authtoken",
    "clientsecret", "credential", "credentials", "creds", "signingkey", "encryptionkey", "masterkey",
    "sessiontoken", "bearer", "apitoken", "accesstoken", "refreshtoken", "webhooksecret", "jwtsecret",
    "connectionstring", "licensekey", "hmackey",
})
_SECRET_SUFFIXES = ("secret", "secrets", "token", "apikey", "credentials")
# (word, next word) pairs that name a secret when written apart: API_KEY, PRIVATE_KEY, ...
_SECRET_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("secret", "key"), ("access", "key"), ("auth", "key"),
    ("signing", "key"), ("encryption", "key"), ("master", "key"), ("client", "secret"),
    ("connection", "string"), ("license", "key"), ("hmac", "key"), ("app", "key"), ("api", "token"),
})
# A last word that makes the name a pointer to, or an attribute of, a secret, not the secret.
_POINTER_SUFFIXES = frozenset({
    "arn", "file", "filename", "path", "name", "names", "id", "ids", "url", "uri", "endpoint", "ttl", "length",
    "len", "expiry", "expires", "expiration", "lifetime", "timeout", "header", "type", "types", "policy",
    "rotation", "region", "version", "enabled", "enable", "disabled", "min", "max", "param", "parameter", "ref",
    "location", "dir", "directory", "prefix", "suffix", "format", "mode", "count", "size", "age", "required",
    "reset", "user", "username", "login", "field", "fields", "hash", "algorithm", "store", "provider",
    "secretsmanager", "ssm", "bucket", "kms", "env", "var", "label", "prompt", "regex", "pattern", "config", "class", "attr", "manager", "question", "hint", "placeholder", "template", "validator",
    "scope", "scopes", "source", "method", "kind", "index", "column", "table", "char", "chars", "validation",
    "strength", "confirmation", "confirm", "changed", "reminder", "input", "widget", "form", "error",
    "errors", "message", "key", "keys", "mask", "masked", "visible", "hidden", "display", "metadata",
})
_NOT_SECRET_FIRST = ("example", "sample", "dummy", "fake", "test", "mock", "default", "public")
_WEAK_WORDS = frozenset({"key", "auth", "sig", "signature", "hmac", "salt"})
_DATA_KEY_WORDS = frozenset({
    "s3", "object", "cache", "partition", "sort", "hash", "primary", "foreign", "idempotency", "routing",
    "lookup", "map", "dedup", "deduplication", "group", "code", "artifact", "bucket", "prefix", "range",
    "public", "kms", "license", "dict", "row", "cell", "item", "field", "storage", "redis",
})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def name_words(name: str) -> list[str]:
    """``DB_PASSWORD`` / ``dbPassword`` / ``db-password`` -> ["db", "password"]."""
    return [w.lower() for w in _CAMEL.sub(" ", _NON_ALNUM.sub(" ", name)).split() if w]


@lru_cache(maxsize=8192)
def name_strength(name: str) -> int:
    """How strongly a variable, parameter or key name says its value is a secret (NONE..STRONG)."""
    words = name_words(name)
    if not words or words[0] in _NOT_SECRET_FIRST or "kms" in words or "public" in words:
        return NONE
    last = words[-1]
    pointer = len(words) > 1 and last in _POINTER_SUFFIXES
    if not pointer:
        if any(w in _PASSWORD_WORDS or w.endswith(_PASSWORD_AFFIXES) or w.startswith(_PASSWORD_AFFIXES[:2])
               for w in words):
            return STRONG
        if any(w in _SECRET_WORDS or w.endswith(_SECRET_SUFFIXES) for w in words):
            return NAMED
        if any(p in _SECRET_PAIRS for p in itertools.pairwise(words)) or "".join(words) in _SECRET_WORDS:
            return NAMED
    if last in _WEAK_WORDS and not _DATA_KEY_WORDS.intersection(words):
        # ``STRIPE_KEY``, ``API_KEY`` written as one pointer-less weak word: the value decides
        return WEAK if not any(p in _SECRET_PAIRS for p in itertools.pairwise(words)) else NAMED
    return NONE


# --------------------------------------------------------------------------- values

_REFERENCE = re.compile(
    rb"^(?:\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\([^)]*\)|%\([^)]*\)s?|\{\{[^}]*\}\}|<[^<>]*>|#\{[^}]*\}"
    rb"|%[A-Za-z_][A-Za-z0-9_]*%)$"
)
_DYNAMIC_REFERENCE = re.compile(rb"\{\{resolve:(?:secretsmanager|ssm-secure|ssm):", re.IGNORECASE)
_MASKED = re.compile(rb"^(?:\*{3,}|x{3,}|X{3,}|\.{3,}|-+|_+|#+|0+|(?:\xe2\x80\xa2)+)$")
_BOOLISH = frozenset({b"true", b"false", b"yes", b"no", b"on", b"off", b"enabled", b"disabled", b"1", b"0", b"nil",
                      b"none", b"null", b"undefined", b"todo", b"tbd", b"n/a", b"required", b"optional"})
_PLAIN_URL = re.compile(rb"^[a-z][a-z0-9+.-]*://(?![^/\s]*@)\S*$", re.IGNORECASE)
# absolute and home paths, and lower-case relative ones (``prod/app/credentials``); base64 has upper case
_PATHISH = re.compile(rb"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)|^[a-z0-9_.\-]+(?:/[a-z0-9_.\-]+)+/?$")
_CODEISH = re.compile(
    rb"\w\(|\(\)|^\[|\]$|`|\?\.|->|::|=>|\|\||&&|^(?:os\.|process\.|env\.|System\.|config\.|settings\.|self\.|this\.|ENV\[|"
    rb"getenv|vault:|ssm:|arn:|sha\d+[:-]|md5:|file:|secrets\.|var\.|local\.|data\.|module\.|\$|%|@|&|!)|"
    rb"\.(?:pem|key|json|ya?ml|txt|crt|p12|pfx|env|cfg|conf|ini|properties)$"
)
_CODE_START = re.compile(rb"^(?:os\.|process\.|env\.|System\.|config\.|settings\.|self\.|this\.|ENV\[|getenv|vault:|ssm:|arn:|\$)")
_DOTTED = re.compile(rb"^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+(?:\(\))?$")
# identifiers and words: ``password_confirmation``, ``PASSWORD_FIELD``, ``SomeClassName``, ``x-api-key``
_IDENTIFIERISH = re.compile(
    rb"^(?:[a-z_]+(?:_[a-z0-9]+)*|[A-Z_]+(?:_[A-Z0-9]+)*|[a-z]{2,}(?:[A-Z][a-z]{2,})+[0-9]*|[A-Z][a-z]{2,}(?:[A-Z][a-z]{2,})+[0-9]*"
    rb"|[a-z]+(?:[.\-][a-z0-9]+)+|[A-Za-z]+(?:[-_.][A-Za-z]+)*)$"
)
_HEX = re.compile(rb"^(?:[0-9a-f]+|[0-9A-F]+)$")
_UUID = re.compile(rb"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(rb"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?")
_TOKEN_SHAPE = re.compile(rb"^[A-Za-z0-9+/_=.-]{16,}$")
_DIGITS = frozenset(b"0123456789")


def is_reference(value: bytes) -> bool:
    """``${VAR}``, ``$VAR``, ``{{ var }}``, ``<your-key>``, ``{{resolve:secretsmanager:...}}``, ``%VAR%``."""
    return _REFERENCE.match(value) is not None or _DYNAMIC_REFERENCE.search(value) is not None


def is_stand_in(value: bytes) -> bool:
    """An empty, masked, boolean-ish or placeholder value, or a reference resolved elsewhere."""
    v = value.strip().strip(b"\"'").strip()
    if not v or v.lower() in _BOOLISH or _MASKED.match(v) or is_reference(v) or is_placeholder(v):
        return True
    if v.startswith((b"ENC[", b"ENC(")):
        return True  # ciphertext: sops (``ENC[AES256_GCM,data:...]``) and Jasypt (``ENC(...)``) values
    return v.lower().startswith((b"your-", b"your_", b"insert-", b"insert_", b"replace-", b"replace_"))


def looks_random_token(value: bytes) -> bool:
    """A long, high-entropy run of token characters mixing digits and letters."""
    if not _TOKEN_SHAPE.match(value) or not any(c in _DIGITS for c in value):
        return False
    return char_classes(value.replace(b"-", b"").replace(b"_", b"")) >= 2 and shannon(value) >= 3.5


_UUID_NAME = re.compile(r"password|passwd|secret|api_?key|private", re.IGNORECASE)


def uuid_name(name: str) -> bool:
    """Names under which a UUID is a key (``api_key``, ``client_secret``), not a request id or change token."""
    return _UUID_NAME.search(name) is not None


_CAMEL_PARTS = re.compile(rb"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _random_letters(v: bytes) -> bool:
    """``nagBGobDzrWhuJUkLQ`` is generated, ``PasswordField`` and ``AccessControlAllowCredentials``
    are names: a generated run of letters switches case every few characters."""
    if len(v) < 12 or v.lower() == v or v.upper() == v or shannon(v) < 3.5:
        return False
    parts = _CAMEL_PARTS.findall(v)
    return len(v) / max(1, len(parts)) < 3.5


def literal_secret(strength: int, value: bytes, quoted: bool = True, uuid_ok: bool = False) -> bool:
    """Is ``value`` a secret written in place, under a name of ``strength``?

    ``quoted``: the value is a string literal (a quoted string in code, any scalar of a template,
    Dockerfile or .env); unquoted values in code may be identifiers, so they need a digit."""
    if strength == NONE:
        return False
    v = value
    n = len(v)
    if n < 6 or n > 200 or b" " in v or _PLAIN_URL.match(v) or _DATE.match(v):
        return False
    # code gives itself away by calls, brackets, member access; a long generated key may hold a "(" too
    if _CODEISH.search(v) and not (n >= 32 and shannon(v) >= 4.3 and not _CODE_START.match(v)):
        return False
    if _PATHISH.match(v) or _DOTTED.match(v) or is_stand_in(v):
        return False
    if b":" in v and is_stand_in(v.rsplit(b":", 1)[1]):
        return False  # ``admin:secret``: a user:password example
    if v.isdigit() and n <= 8:
        return False  # a port, a timeout, a PIN-length number
    if strength == WEAK:
        return looks_random_token(v) and _HEX.match(v) is None
    if _UUID.match(v):
        return uuid_ok  # UUID API keys sit under key/secret names; elsewhere they are ids
    digits = sum(c in _DIGITS for c in v)
    if strength == STRONG:
        # people choose passwords: a literal that is not a bare word or identifier is one
        if _IDENTIFIERISH.match(v) and (digits == 0 or b"_" in v) and not _random_letters(v):
            return False
        if not quoted and digits < 2:
            return False
        return char_classes(v) >= 2 and shannon(v) >= 2.5
    # NAMED: generated values (an identifier with a few digits is a name: ``oauth2_token``, ``v1-key``)
    if (_IDENTIFIERISH.match(v) and digits < 3 and not _random_letters(v)) or (not quoted and digits < 2):
        return False
    if _HEX.match(v) and n < 32:
        return False  # short hex: a hash prefix, an id, a colour
    if n < 8:
        return False
    classes = char_classes(v)
    ent = shannon(v)
    if classes < 2:
        return n >= 32 and ent >= 3.5  # lowercase hex or digits only: a hex key needs length
    return ent >= (3.0 if classes >= 3 else 3.3)


def assignment_secret(name: str, value: str | bytes, quoted: bool = True) -> bool:
    """``name = value`` is a hard-coded secret (the shared verdict of both scanners)."""
    v = value.encode("utf-8", "replace") if isinstance(value, str) else value
    return literal_secret(name_strength(name), v.strip().strip(b"\"'"), quoted, uuid_name(name))
