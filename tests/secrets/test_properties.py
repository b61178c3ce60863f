"""Property tests: any bytes scan without error; streaming finds what one buffer finds; redaction
never reveals more than the ends of a secret."""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from railguard.secrets.engine import Engine, Match, _resolve_overlaps
from railguard.secrets.findings import redact
from railguard.secrets.rules import CONTEXTUAL, GENERIC, RULES, SPECIFIC
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


def _overlaps_reference(found: list[Match]) -> list[Match]:
    """The all-pairs definition that ``_resolve_overlaps`` computes with bisection."""
    found = sorted(found, key=lambda m: (m.start, -m.rule.priority))
    strong = [m for m in found if m.rule.priority == SPECIFIC]
    out = []
    for m in found:
        if m.rule.priority < SPECIFIC:
            if any(o is not m and o.rule.priority > m.rule.priority and o.start < m.end and m.start < o.end for o in found):
                continue
        elif any(o is not m and o.start == m.start and o.end > m.end for o in strong):
            continue
        out.append(m)
    return out


_BY_PRIORITY = {p: next(r for r in RULES if r.priority == p) for p in (GENERIC, CONTEXTUAL, SPECIFIC)}


@settings(max_examples=200, deadline=None)
@example([(0, 10, SPECIFIC), (9, 5, GENERIC)])  # the longest match reaching one byte into a later one
@example([(4, 6, SPECIFIC), (4, 9, SPECIFIC), (4, 9, CONTEXTUAL)])
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 120), st.sampled_from(sorted(_BY_PRIORITY))), max_size=40))
def test_resolve_overlaps_matches_all_pairs_definition(spans: list[tuple[int, int, int]]) -> None:
    found = [Match(_BY_PRIORITY[p], s, s + n, b"x") for s, n, p in spans]
    got = _resolve_overlaps(list(found))
    assert [(m.start, m.end, m.rule.priority) for m in got] == [
        (m.start, m.end, m.rule.priority) for m in _overlaps_reference(found)
    ]
