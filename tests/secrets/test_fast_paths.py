"""The throughput shortcuts find exactly what the plain paths find: a file read whole against the
same file streamed in small reads, each environment form verified alone against the alternation of
every form, the looked-up entropy against the computed one, the encoded checksum against a decoded one."""

from __future__ import annotations

import binascii
import io
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest

from railguard.secrets import scanner as scanner_module
from railguard.secrets.engine import Engine
from railguard.secrets.rules import RULES, base62_encode, crc32_token_ok
from railguard.secrets.samples import sample
from railguard.secrets.scanner import SecretScanner
from railguard.secrets.shapes import shannon

PW = "Xk92mPq7Lr"
ENV_TEXTS = [
    f'os.environ.setdefault("PASSWORD", "{PW}")\n',
    f"os.environ['DB_PASSWORD'] = '{PW}'\n",
    f"FROM alpine:3.20\nENV DB_PASSWORD={PW}\nENV API_TOKEN \"{PW}\"\n",
    f"export POSTGRES_PASSWORD={PW}\nDB_PASSWORD={PW}  # trailing\n",
    f"    - env:\n        - name: DB_PASSWORD\n          value: {PW}\n",
    f'[{{"name": "DB_PASSWORD", "value": "{PW}"}}, {{"name": "X", "value": "y"}}]\n',
    f"<settings><password>{PW}</password><passwordName>x</passwordName></settings>\n",
    f"docker login -u ci -p {PW} registry.example.org\nredis-server --requirepass {PW}\n",
    f"curl -u admin:{PW} https://h/\nCREATE ROLE app LOGIN PASSWORD '{PW}';\n",
    "export DB_PASSWORD=changeme\nENV DB_PASSWORD=${DB_PASSWORD}\n- name: TOKEN_URL\n  value: https://x\n",
]


def _mixed(seed: int) -> bytes:
    rng = random.Random(seed)
    parts: list[str] = []
    for text in ENV_TEXTS * 3:
        parts.append(text)
        s = sample(rng.choice([r.id for r in RULES]), rng)
        parts.append(s.value + "\n" if s.block else f'{s.key} = "{s.value}"\n')
        parts.append("x" * rng.randrange(0, 300) + "\n")
    return "".join(parts).encode()


def _spans(engine: Engine, data: bytes) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.rule.id) for m in engine.scan_bytes(data)]


def test_each_environment_form_alone_finds_what_the_alternation_finds(engine: Engine) -> None:
    plain = Engine(rules=[replace(r, part_regexes=()) for r in RULES])
    for seed in range(5):
        data = _mixed(seed)
        assert _spans(engine, data) == _spans(plain, data)
    assert [r for _s, _e, r in _spans(engine, ENV_TEXTS[-1].encode())] == []  # stand-ins and pointers stay out


def test_a_file_read_whole_equals_the_file_streamed(tmp_path: Path, engine: Engine) -> None:
    files = {f"f{i}.txt": _mixed(i) for i in range(4)}
    files["utf16.txt"] = ENV_TEXTS[0].encode("utf-16")
    files["blob.bin2"] = b"\0\x01\x02" * 100 + ENV_TEXTS[0].encode()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    whole = SecretScanner(engine)
    streamed = SecretScanner(engine)
    a, b = [], []
    for name, data in sorted(files.items()):
        a.extend(whole.scan_file(tmp_path / name, name))
        b.extend(streamed.scan_reader(io.BytesIO(data).read, name))  # the path every file took before
    key = [(f.path, f.line, f.column, f.rule_id, f.fingerprint) for f in a]
    assert key == [(f.path, f.line, f.column, f.rule_id, f.fingerprint) for f in b]
    assert {f.path for f in a} >= {"f0.txt", "utf16.txt"}
    assert (whole.stats.files, whole.stats.bytes, whole.stats.skipped_binary) == (
        streamed.stats.files, streamed.stats.bytes, streamed.stats.skipped_binary)
    assert whole.stats.skipped_binary == 1


def test_an_unreadable_file_is_an_error_not_a_crash(tmp_path: Path, engine: Engine) -> None:
    sc = SecretScanner(engine)
    assert sc.scan_file(tmp_path / "gone.txt", "gone.txt") == []
    assert sc.stats.errors and "gone.txt" in sc.stats.errors[0]


def test_entropy_from_the_table_equals_the_formula() -> None:
    rng = random.Random(3)
    for n in (1, 2, 17, 40, 1024, 4096, 5000):
        v = bytes(rng.randrange(33, 127) for _ in range(n))
        direct = math.log2(n) - sum(c * math.log2(c) for c in map(v.count, set(v))) / n
        assert shannon(v) == direct


def test_checksum_accepts_both_digit_orders_and_rejects_a_changed_token() -> None:
    rng = random.Random(5)
    for _ in range(50):
        body = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(30))
        crc = binascii.crc32(body.encode())
        upper = base62_encode(crc, 6)
        lower = base62_encode(crc, 6, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for check in (upper, lower):
            assert crc32_token_ok(f"ghp_{body}{check}".encode())
        flipped = body[:-1] + ("a" if body[-1] != "a" else "b")
        assert not crc32_token_ok(f"ghp_{flipped}{upper}".encode())


def test_a_file_larger_than_a_window_streams_through_a_buffered_reader(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _mixed(7) * 5
    (tmp_path / "big.txt").write_bytes(data)
    want = [(f.line, f.rule_id, f.fingerprint) for f in SecretScanner(engine).scan_file(tmp_path / "big.txt", "big.txt")]
    monkeypatch.setattr(scanner_module, "CHUNK", 16384)  # the file is now "large": it takes the streaming path
    sc = SecretScanner(engine)
    got = [(f.line, f.rule_id, f.fingerprint) for f in sc.scan_file(tmp_path / "big.txt", "big.txt")]
    assert got == want and len(want) > 20 and len(data) > 3 * 16384
    assert sc.stats.bytes == len(data)
