"""The scanning core: one hyperscan database for every rule, Python only around hits.

``Engine.scan_bytes`` finds secrets in one buffer; ``Engine.scan_chunks`` streams a large input
through fixed-size windows that overlap by more than the longest secret, so memory stays flat
and nothing straddling a window edge is lost or reported twice.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from railguard.secrets.rules import RULES, SPECIFIC, Rule, char_classes, is_placeholder, secret_of, shannon

CHUNK = 8 << 20  # bytes a window is responsible for
OVERLAP = 16 << 10  # > the longest secret a rule can match (private key bodies are capped at 6000)
SNIFF = 8192

_AWS_SECRET_NEAR = re.compile(rb"(?<![A-Za-z0-9/+=])(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")


@dataclass(frozen=True)
class Match:
    """A verified secret inside one buffer (offsets are bytes, relative to the whole input)."""

    rule: Rule
    start: int  # secret span
    end: int
    secret: bytes
    line: int = 0
    column: int = 0
    line_text: bytes = b""
    prev_line_text: bytes = b""


def decode_to_utf8(head: bytes) -> str | None:
    """Pick the codec for an input from its first bytes: None means binary (skip).

    UTF-8 and single-byte encodings are scanned as they are (rules are ASCII); UTF-16/32 are
    transcoded so their ASCII secrets become contiguous bytes.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\0" not in head:
        return "bytes"
    sample = head[:4096]
    if len(sample) >= 8:
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        if odd_nul > 0.6 and even_nul < 0.1:
            return "utf-16-le"
        if even_nul > 0.6 and odd_nul < 0.1:
            return "utf-16-be"
    return None


def iter_utf8_chunks(read: Callable[[int], bytes], codec: str, size: int = CHUNK) -> Iterator[bytes]:
    """Yield successive blocks of the input as UTF-8-compatible bytes."""
    if codec == "bytes":
        while True:
            block = read(size)
            if not block:
                return
            yield block
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    while True:
        block = read(size)
        final = not block
        text = decoder.decode(block, final=final)
        if text:
            yield text.encode("utf-8", "replace")
        if final:
            return


_SHARED_LOCK = threading.Lock()


class Engine:
    """Compiled rules. Build once per process (compiling takes ~0.1 s): see ``Engine.shared``."""

    _shared: dict[tuple[str, ...], Engine] = {}

    @classmethod
    def shared(cls, disabled: Iterable[str] = ()) -> Engine:
        """One engine per set of disabled rules, reused across scans and threads in this process."""
        key = tuple(sorted(set(disabled)))
        with _SHARED_LOCK:
            if key not in cls._shared:
                cls._shared[key] = cls(disabled=key)
            return cls._shared[key]

    def __init__(self, rules: Iterable[Rule] = RULES, disabled: Iterable[str] = ()) -> None:
        import hyperscan

        off = set(disabled)
        self.rules = [r for r in rules if r.id not in off]
        triggers, vetoes = _expressions(self.rules)
        self._n_triggers = len(triggers)
        self._target = [rid for rid, _p in triggers] + [rid for rid, _p in vetoes]  # hyperscan id -> rule
        self._db = _compiled(self.rules)
        # Scratch space is not thread-safe: one per thread (collectors redact gap reasons from a
        # thread pool), allocated once per thread because allocating it per scan() costs ~1 ms.
        self._scratch_proto = hyperscan.Scratch(self._db)
        self._local = threading.local()
        # per hyperscan trigger id, what the hot loop needs, looked up once (attribute access costs per
        # hit): the rule's index, and the regex of the form that fired when the rule has several
        self._plans: list[tuple[int, Rule, Any, int, int, bool, Any]] = []
        for rid, r in enumerate(self.rules):
            forms = r.part_regexes or ((r.regex, r.multiline),) * max(1, len(r.hs_parts))
            self._plans.extend((rid, r, rx.finditer, r.back, r.fwd, ml, r.validate) for rx, ml in forms)
        assert len(self._plans) == self._n_triggers
        self._has_aws_id = any(r.id == "aws-access-key-id" for r in self.rules)
        self._aws_secret = next((r for r in self.rules if r.id == "aws-secret-access-key"), None)

    # ------------------------------------------------------------------------------------------
    def _candidates(self, buf: bytes) -> list[tuple[int, int]]:
        """(trigger id, end offset) of every hit that no veto rejects."""
        hits: list[tuple[int, int]] = []
        append = hits.append

        def on_match(rid: int, _frm: int, to: int, _flags: int, _ctx: object) -> None:
            append((rid, to))

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._scratch_proto.clone()
        self._db.scan(buf, match_event_handler=on_match, scratch=scratch)
        target, n = self._target, self._n_triggers
        if any(eid >= n for eid, _ in hits):
            # a veto ending where a candidate ends rejects it: drop both before Python verifies anything
            vetoed = {(target[eid], to) for eid, to in hits if eid >= n}
            return [(eid, to) for eid, to in hits if eid < n and (target[eid], to) not in vetoed]
        return hits

    def scan_bytes(self, buf: bytes, lo_bound: int = 0, hi_bound: int | None = None) -> list[Match]:
        """Verified matches whose secret starts in [lo_bound, hi_bound) of ``buf``."""
        hi_bound = len(buf) if hi_bound is None else hi_bound
        hits = self._candidates(buf)
        if not hits:
            return []
        n = len(buf)
        rfind, find = buf.rfind, buf.find
        seen: set[tuple[int, int]] = set()
        covered: dict[int, int] = {}
        found: list[Match] = []
        plans = self._plans
        for eid, to in hits:
            if covered.get(eid, -1) >= to:
                continue
            rid, rule, finditer, back, fwd, multiline, validate = plans[eid]
            lo = max(0, to - back)
            hi = min(n, to + fwd)
            if not multiline:
                # a one-line secret starts and ends on the line where its trigger ends: search that line only
                lo = rfind(b"\n", lo, to - 1) + 1 or lo
                le = find(b"\n", to - 1, hi)
                if le >= 0:
                    hi = le
            for m in finditer(buf, lo, hi):
                secret, s, e = secret_of(m)
                if s < lo_bound or s >= hi_bound or (rid, s) in seen:
                    continue
                seen.add((rid, s))
                if validate is not None and not validate(buf, m, secret):
                    continue
                found.append(Match(rule, s, e, secret))
                if m.end() > covered.get(eid, -1):
                    covered[eid] = m.end()
        if self._has_aws_id and self._aws_secret is not None:
            found.extend(self._aws_pairs(buf, found))
        return _resolve_overlaps(found)

    def _aws_pairs(self, buf: bytes, found: list[Match]) -> list[Match]:
        """An access key id usually travels with its secret: look for a 40-char key next to it."""
        assert self._aws_secret is not None
        have = {(m.start, m.end) for m in found}
        extra: list[Match] = []
        for m in found:
            if m.rule.id != "aws-access-key-id":
                continue
            lo, hi = max(0, m.start - 300), min(len(buf), m.end + 300)
            for c in _AWS_SECRET_NEAR.finditer(buf, lo, hi):
                s = c.group("s")
                if (c.start(), c.end()) in have or is_placeholder(s):
                    continue
                if shannon(s) < 4.2 or char_classes(s) < 3:
                    continue
                have.add((c.start(), c.end()))
                extra.append(Match(self._aws_secret, c.start(), c.end(), s))
        return extra

    # ------------------------------------------------------------------------------------------
    def scan_chunks(self, chunks: Iterable[bytes]) -> Iterator[tuple[bytes, int, list[Match]]]:
        """Stream blocks through overlapping windows.

        Yields ``(window, responsible_end, matches)``: match offsets are relative to the window,
        and the window owns secrets starting before ``responsible_end`` (the rest of it is
        scanned again, as the head of the next window). Line numbers come from ``locate``.
        """
        carry = b""
        pending: bytes | None = None
        for block in chunks:
            if pending is not None:
                window = carry + pending
                # responsible for starts before the last OVERLAP bytes: those belong to the next window
                resp_end = max(0, len(window) - OVERLAP)
                yield window, resp_end, self.scan_bytes(window, 0, resp_end)
                carry = window[resp_end:]
            pending = block
        if pending is not None:
            window = carry + pending
            yield window, len(window), self.scan_bytes(window, 0, len(window))


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "railguard"


def _compiled(rules: list[Rule]) -> Any:
    """The hyperscan database for ``rules``; serialized to the user cache so that later runs (a
    pre-commit hook runs on every commit) load it in milliseconds instead of compiling it again."""
    import hyperscan

    triggers, vetoes = _expressions(rules)
    exprs = triggers + vetoes
    flags = [rules[rid].hs_flags for rid, _p in exprs]
    h = hashlib.sha256(str(getattr(hyperscan, "__version__", "")).encode())
    for (_rid, pattern), flag in zip(exprs, flags, strict=True):
        h.update(pattern + b"\0" + str(flag).encode() + b"\1")
    path = _cache_dir() / f"secrets-{h.hexdigest()[:24]}.hsdb"
    try:
        db = hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
        # a database built for another CPU (shared home directory) fails here, not mid-scan
        db.scan(b"probe", match_event_handler=lambda *a: None, scratch=hyperscan.Scratch(db))
        return db
    except Exception:  # no cache yet, unreadable, or for another platform: compile
        pass
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[p for _rid, p in exprs],
        ids=list(range(len(exprs))),
        elements=len(exprs),
        flags=flags,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(hyperscan.dumpb(db))
        os.replace(tmp, path)
    except OSError:
        pass
    return db


def _expressions(rules: list[Rule]) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
    """(rule index, hyperscan pattern) for every trigger, then for every veto: hyperscan ids number
    them in this order. A rule with ``hs_parts`` gives one trigger per part (hyperscan runs several
    simple patterns faster than one alternation of them)."""
    triggers = [(i, t) for i, r in enumerate(rules) for t in ([p.encode() for p in r.hs_parts] or [r.trigger])]
    vetoes = [(i, v.encode()) for i, r in enumerate(rules) for v in r.vetoes]
    return triggers, vetoes


def _resolve_overlaps(found: list[Match]) -> list[Match]:
    """Drop a lower-priority match whose secret overlaps a higher-priority one.

    Only matches starting within the longest secret before ``m`` can overlap it, so each match
    looks at its neighbours (found by bisection), not at every other match in the buffer."""
    if len(found) < 2:
        return sorted(found, key=lambda m: m.start)
    found.sort(key=lambda m: (m.start, -m.rule.priority))
    starts = [m.start for m in found]
    longest = max(m.end - m.start for m in found)
    strong_end: dict[int, int] = {}  # the longest SPECIFIC match starting at each offset
    for m in found:
        if m.rule.priority == SPECIFIC and m.end > strong_end.get(m.start, -1):
            strong_end[m.start] = m.end
    out: list[Match] = []
    for m in found:
        if m.rule.priority < SPECIFIC:
            near = found[bisect_left(starts, m.start - longest + 1) : bisect_left(starts, m.end)]
            if any(o.rule.priority > m.rule.priority and m.start < o.end for o in near):
                continue
        elif strong_end.get(m.start, -1) > m.end:
            continue
        out.append(m)
    return out


def locate(buf: bytes, matches: list[Match], base_line: int = 1) -> list[Match]:
    """Fill line, column and the text of the line (and the one before) for allow comments."""
    out: list[Match] = []
    line = base_line
    pos = 0
    for m in sorted(matches, key=lambda x: x.start):
        line += buf.count(b"\n", pos, m.start)
        pos = m.start
        ls = buf.rfind(b"\n", 0, m.start) + 1
        le = buf.find(b"\n", m.start)
        le = len(buf) if le < 0 else le
        pls = buf.rfind(b"\n", 0, max(0, ls - 1)) + 1 if ls > 0 else ls
        out.append(
            Match(
                m.rule,
                m.start,
                m.end,
                m.secret,
                line,
                len(buf[ls : m.start].decode("utf-8", "replace")) + 1,  # code points, as SARIF says
                buf[ls : min(le, ls + 4096)],
                buf[pls : max(pls, ls - 1)][:4096],
            )
        )
    return out
