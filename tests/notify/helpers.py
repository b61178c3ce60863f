"""Items for notification tests, and credentials planted at run time (none is written in this file)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from railguard.model import Severity
from railguard.notify import NoteItem

STATUSES = ("applied", "held", "failed", "new", "reopened", "dry-run")
SEVERITIES = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


def run_items(n: int) -> list[NoteItem]:
    """`n` items cycling through statuses and severities, each with a history line."""
    return [
        NoteItem(control="ec2.sg-admin-port-open-to-world", resource=f"sg-{i:08x}", status=STATUSES[i % len(STATUSES)],
                 severity=SEVERITIES[i % len(SEVERITIES)], account="111111111111", region="us-east-1",
                 history=f"seen {i % 4 + 1} times since 2026-11-01; last by arn:aws:iam::111111111111:user/dev{i % 3}",
                 summary=f"revoke tcp/22 from 0.0.0.0/0 on sg-{i:08x}", guardrail="no-admin-ports-from-world")
        for i in range(n)
    ]


@dataclass(frozen=True)
class Planted:
    access_key_id: str
    secret_access_key: str
    private_key: str

    @property
    def fragments(self) -> list[str]:
        """Pieces of each credential that must never reach a delivered body."""
        key_body = self.private_key.splitlines()[1:-1]
        return [self.access_key_id[4:], self.secret_access_key, *key_body[:3], key_body[-1]]


@lru_cache(maxsize=1)
def planted() -> Planted:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    return Planted("AKIA" + "Q3ZL7XW2RBN4TYPK", "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Xa91LmNpQ", pem.strip())


def leaky_item() -> NoteItem:
    """An item whose free text carries all three planted credentials, in several fields."""
    p = planted()
    return NoteItem(
        control="iam.access-key-unused", resource=f"user/ci (key {p.access_key_id})", status="held",
        severity=Severity.CRITICAL, account="111111111111", region="us-east-1",
        summary=f"tag Notes holds aws_secret_access_key={p.secret_access_key}",
        history=f"seen 2 times; user data contained {p.private_key}",
        guardrail=f"deactivate {p.access_key_id}",
    )
