"""Files: encodings, binaries, vendored trees, streaming, allowlists, baseline, redaction, SARIF."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from railguard.report import sarif
from railguard.secrets import output
from railguard.secrets.allowlist import SecretsConfig, glob_match, load_baseline, load_config, write_baseline
from railguard.secrets.engine import Engine
from railguard.secrets.findings import redact
from railguard.secrets.samples import sample
from railguard.secrets.scanner import SecretScanner


def _scan(engine: Engine, root: Path, **kw: object) -> list:
    sc = SecretScanner(engine, **kw)  # type: ignore[arg-type]
    return sc.scan_paths([root], root).findings


def test_redact() -> None:
    assert redact("AKIAABCDEFGHIJKLABCD") == "AKIA****ABCD"  # railguard:allow not a key: letters in order
    assert redact("short") == "****"
    assert redact("0123456789abcd") == "01****cd"


def test_encodings_and_binaries(engine: Engine, rng: random.Random, tmp_path: Path) -> None:
    tok = sample("github-pat", rng).value
    (tmp_path / "utf16.txt").write_bytes(f"token = {tok}\n".encode("utf-16"))
    (tmp_path / "utf16le-nobom.txt").write_bytes(f"x\ntoken = {tok}\n".encode("utf-16-le"))
    (tmp_path / "latin1.cfg").write_bytes("caf\xe9 = 1\n".encode("latin-1") + f"t={tok}\n".encode() + b"\xff\xfe\x80\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + tok.encode())
    (tmp_path / "blob.dat2").write_bytes(b"\x00\x01\x02" * 100 + tok.encode())
    found = {(f.path, f.line) for f in _scan(engine, tmp_path)}
    assert found == {("utf16.txt", 1), ("utf16le-nobom.txt", 2), ("latin1.cfg", 2)}


def test_vendored_and_minified_skipped(engine: Engine, rng: random.Random, tmp_path: Path) -> None:
    tok = sample("npm-token", rng).value
    for rel in ("node_modules/pkg/index.js", "vendor/lib.go", "static/app.min.js", "src/app.js"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f'const t = "{tok}";\n')
    assert [f.path for f in _scan(engine, tmp_path)] == ["src/app.js"]


def test_streaming_matches_whole_buffer(engine: Engine, rng: random.Random) -> None:
    parts = []
    for i in range(400):
        parts.append(f"line {i} " + "x = 1; " * rng.randint(0, 60) + "\n")
        if i % 37 == 0:
            parts.append(f'key = "{sample("github-pat", rng).value}"\n')
        if i % 91 == 0:
            parts.append(sample("private-key-rsa", rng).value)
    data = "".join(parts).encode()
    whole = [(m.start, m.rule.id) for m in engine.scan_bytes(data)]
    blocks = [data[i : i + 3000] for i in range(0, len(data), 3000)]
    streamed = []
    consumed = 0
    for _window, resp_end, matches in engine.scan_chunks(iter(blocks)):
        streamed += [(consumed + m.start, m.rule.id) for m in matches]
        consumed += resp_end
    assert sorted(streamed) == sorted(whole)
    assert len(whole) == 11 + 5


def test_large_file_is_streamed(engine: Engine, rng: random.Random, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from railguard.secrets import scanner as scanner_mod

    monkeypatch.setattr(scanner_mod, "CHUNK", 20_000)
    tok = sample("github-pat", rng).value
    lines = [f"filler {i} ............................................\n" for i in range(3000)]
    lines[2500] = f'TOKEN = "{tok}"\n'
    (tmp_path / "big.txt").write_text("".join(lines))
    (f,) = _scan(engine, tmp_path)
    assert (f.path, f.line, f.rule_id) == ("big.txt", 2501, "github-pat")


def test_inline_allow_needs_reason(engine: Engine, rng: random.Random, tmp_path: Path) -> None:
    a, b, c = (sample("stripe-secret-key", rng).value for _ in range(3))
    (tmp_path / "a.py").write_text(
        f'A = "{a}"  # railguard:allow test fixture for the billing mock\n'
        f"# railguard:allow revoked key kept for docs\nB = '{b}'\n"
        f'C = "{c}"  # railguard:allow\n'
    )
    open_ = _scan(engine, tmp_path)
    assert [(f.line, f.notes) for f in open_] == [(4, ["railguard:allow needs a reason after it to take effect"])]
    allf = _scan(engine, tmp_path, show_suppressed=True)
    sup = {f.line: (f.suppressed, f.reason) for f in allf if f.suppressed}
    assert sup == {1: ("inline", "test fixture for the billing mock"), 3: ("inline", "revoked key kept for docs")}


def test_baseline_survives_line_moves(engine: Engine, rng: random.Random, tmp_path: Path) -> None:
    tok = sample("slack-token", rng).value
    src = tmp_path / "src"
    src.mkdir()
    (src / "bot.py").write_text(f'SLACK = "{tok}"\n')
    findings = _scan(engine, src)
    bl_path = tmp_path / "baseline.json"
    write_baseline(bl_path, findings, reason="rotated 2024-01")
    assert tok not in bl_path.read_text()
    (src / "bot.py").write_text("import os\n\n\n# moved\n" + f'SLACK = "{tok}"\n')
    baseline = load_baseline(bl_path)
    assert _scan(engine, src, baseline=baseline) == []
    (sup,) = _scan(engine, src, baseline=baseline, show_suppressed=True)
    assert (sup.line, sup.suppressed, sup.reason) == (5, "baseline", "rotated 2024-01")
    (src / "bot.py").write_text(f'SLACK = "{sample("slack-token", rng).value}"\n')
    assert len(_scan(engine, src, baseline=baseline)) == 1  # a new secret is not covered


def test_config_globs(engine: Engine, rng: random.Random, tmp_path: Path) -> None:
    tok = sample("google-api-key", rng).value
    for rel in ("tests/fixtures/k.txt", "docs/guide.md", "app/k.py"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"key = '{tok}'\n")
    (tmp_path / ".railguard.toml").write_text('[secrets]\nexclude = ["tests/fixtures/**", "*.md"]\n')
    cfg = load_config(tmp_path)
    assert [f.path for f in _scan(engine, tmp_path, config=cfg)] == ["app/k.py"]
    shown = _scan(engine, tmp_path, config=cfg, show_suppressed=True)
    assert sorted((f.path, f.suppressed) for f in shown) == [
        ("app/k.py", None), ("docs/guide.md", "path"), ("tests/fixtures/k.txt", "path")
    ]


def test_glob_match() -> None:
    assert glob_match("a/b/c.lock", "*.lock")
    assert glob_match("tests/x/y.py", "tests/**")
    assert glob_match("pkg/testdata/z", "testdata/")
    assert not glob_match("src/a.py", "tests/**")
    assert SecretsConfig(exclude=["docs/**"]).excluded("docs/a.md") == "docs/**"
    assert SecretsConfig(exclude=[".env"]).excluded("./.env") == ".env"  # "./" is removed, not the dot
    assert SecretsConfig(exclude=[".github/**"]).excluded("./.github/w.yml") == ".github/**"


def _result(engine: Engine, rng: random.Random, tmp_path: Path):  # type: ignore[no-untyped-def]
    secrets = {rid: sample(rid, rng) for rid in ("aws-access-key-id", "github-pat", "private-key-rsa", "database-url-password")}
    body = "".join(s.value if s.block else f'{s.key} = "{s.value}"\n' for s in secrets.values())
    body += f'X = "{sample("github-pat", rng).value}"  # railguard:allow fixture\n'
    (tmp_path / "conf.py").write_text(body)
    sc = SecretScanner(engine, show_suppressed=True)
    return sc.scan_paths([tmp_path], tmp_path), secrets


def test_no_output_format_leaks(engine: Engine, rng: random.Random, tmp_path: Path) -> None:
    result, secrets = _result(engine, rng, tmp_path)
    assert len(result.findings) == 5
    rendered = [output.render_text(result), output.render_json(result), output.render_sarif(result)]
    for s in secrets.values():
        core = s.value.split("\n")[1] if s.block else s.value
        for text in rendered:
            assert core not in text
            assert core[4:-4] not in text
    assert "AKIA****" in rendered[0] or "ASIA****" in rendered[0]


def test_sarif_is_valid_against_official_schema(engine: Engine, rng: random.Random, tmp_path: Path) -> None:
    result, _ = _result(engine, rng, tmp_path)
    doc = output.sarif_document(result)
    sarif.validate(doc)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert sum(1 for r in run["results"] if r.get("suppressions")) == 1
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in run["results"])
    assert json.loads(output.render_json(result))["summary"]["suppressed"] == 1


def test_generic_sarif_builder_validates() -> None:
    rules = [sarif.sarif_rule("iac.s3-public", "Public bucket", level="error", severity="high", tags=["iac"])]
    results = [
        sarif.sarif_result("iac.s3-public", "Bucket is public", "stacks/my stack.yaml", 3, level="error"),
        sarif.sarif_result("iac.s3-public", "No location"),
    ]
    log = sarif.sarif_log("railguard", "0.1.0", rules, results)
    sarif.validate(log)
    assert log["runs"][0]["results"][0]["ruleIndex"] == 0
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/my%20stack.yaml"
    with pytest.raises(ValueError):
        sarif.sarif_rule("x", "y", level="fatal")
