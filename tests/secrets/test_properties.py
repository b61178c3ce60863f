"""Property tests: any bytes scan without error; streaming finds what one buffer finds; redaction
never reveals more than the ends of a secret."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from railguard.secrets.engine import Engine
from railguard.secrets.findings import redact
from railguard.secrets.rules import RULES
from railguard.secrets.samples import sample

ENGINE = Engine.shared()
TOKEN_RULES = [r.id for r in RULES if not sample(r.id, random.Random(0)).block]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_scan(data: bytes) -> None:
    for m in ENGINE.scan_bytes(data):
        assert 0 <= m.start < m.end <= len(data)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    noise=st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=30),
    block=st.integers(64, 2048),
)
def test_streaming_equals_whole(seed: int, noise: list[bytes], block: int) -> None:
    rng = random.Random(seed)
    parts = []
    for n in noise:
        parts.append(n)
        s = sample(rng.choice(TOKEN_RULES), rng)
        parts.append(f'\n{s.key} = "{s.value}"\n'.encode())
    data = b"".join(parts)
    whole = sorted((m.start, m.rule.id) for m in ENGINE.scan_bytes(data))
    streamed = []
    consumed = 0
    for _w, resp_end, matches in ENGINE.scan_chunks(data[i : i + block] for i in range(0, len(data), block)):
        streamed += [(consumed + m.start, m.rule.id) for m in matches]
        consumed += resp_end
    assert sorted(streamed) == whole


@given(st.text(min_size=0, max_size=200))
def test_redaction_shows_at_most_the_ends(secret: str) -> None:
    r = redact(secret)
    if secret.startswith("-----BEGIN"):
        r = r.split("----- ", 1)[-1]  # a PEM header is kept, the body is redacted
    shown = r.replace("****", "")
    assert len(shown) <= 8 and "****" in r
