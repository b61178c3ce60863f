"""Value shapes every rule shares: documented examples and stand-ins, entropy, character classes.

Kept apart from the rules so that the assignment judgement (``assign``) and the rules can both use
them without importing each other.
"""

from __future__ import annotations

import math
import re

#: Values documented as examples by vendors, or the usual stand-ins. Compared case-insensitively.
KNOWN_EXAMPLES = frozenset(
    v.lower()
    for v in (
        # vendors' documented examples, split so that the source holds no key-shaped literal
        "AKIAIOSFODNN7" + "EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHB" + "EXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/" + "h3yCo8nvbEXAMPLEKEY",
        "sk_" + "test_4eC39HqLyjWDarjtT1zdp7dc",
        # public development keys: the Azurite storage emulator (devstoreaccount1) and the Cosmos DB
        # emulator keys are printed in Microsoft's documentation and baked into the emulators
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" + "K1SZFPTOtr/KBHBeksoGMGw==",
        "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/" + "Jw==",
        # the example token of jwt.io and of many JWT tutorials
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        # localstack and moto accept any key; their docs and examples use these
        "localstack",
        "testing123",
        "changeme",
        "change_me",
        "changeit",
        "password",
        "passw0rd",
        "password1",
        "password123",
        "secret",
        "mysecret",
        "mypassword",
        "yourpassword",
        "your_password",
        "notasecret",
        "placeholder",
        "redacted",
        "postgres",
        "root",
        "admin",
        "guest",
        "pass",
        "test",
        "testing",
        "example",
        "dummy",
        "default",
        "none",
        "null",
        "undefined",
        "123456",
        "12345678",
        "123456789",
        "1234567890",
        "qwerty",
    )
)

_PLACEHOLDER_MARKERS = re.compile(
    rb"(?i:example|placeholder|changeme|change_me|your[_\-]?(?:own[_\-]?)?(?:api|key|token|secret|pass|aws|access)"
    rb"|dummy|redacted|insert[_\-]|replace[_\-]?me|fake[_\-])"
    rb"|x{4,}|X{4,}|\*{3,}|\.{3}|<[^>]*>|\$\{|\{\{|%\(|\$\(|\#\{|(.)\1{5,}|0123456789|abcdefghij|1234567"
)


KNOWN_EXAMPLES_B = frozenset(v.encode("latin-1") for v in KNOWN_EXAMPLES)


def is_placeholder(value: bytes) -> bool:
    """True for documented examples and obvious stand-ins (``${VAR}``, ``<your-key>``, ``xxxx``)."""
    v = value.strip(b"\"' ")
    if not v:
        return True
    if v.lower() in KNOWN_EXAMPLES_B:
        return True
    return _PLACEHOLDER_MARKERS.search(v) is not None


_CLOG2 = [0.0] + [c * math.log2(c) for c in range(1, 4097)]  # c * log2(c), looked up instead of computed


def shannon(value: bytes) -> float:
    """Bits per character: random tokens score high (> 3.5), words and ids low."""
    n = len(value)
    if not n:
        return 0.0
    log2 = math.log2
    if n < len(_CLOG2):  # the same sum in the same order, without a Python-level loop
        return log2(n) - sum(map(_CLOG2.__getitem__, map(value.count, set(value)))) / n
    return log2(n) - sum(c * log2(c) for c in map(value.count, set(value))) / n


_DIGIT_BYTES = b"0123456789"
_ALNUM_BYTES = _DIGIT_BYTES + b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def char_classes(value: bytes) -> int:
    """How many of lower case, upper case, digits and other characters ``value`` mixes (0..4)."""
    n = len(value)
    return (
        (value.upper() != value)
        + (value.lower() != value)
        + (len(value.translate(None, _DIGIT_BYTES)) != n)
        + (len(value.translate(None, _ALNUM_BYTES)) > 0)
    )
