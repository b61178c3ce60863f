"""The demo end to end: every planted misconfiguration is caught, every compliant twin passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.demo.run import run_demo, scan_lab
from railguard.model import Result


@pytest.mark.e2e
def test_demo_catches_every_planted_misconfiguration() -> None:
    run, lab = scan_lab()
    planned = {f.control_id for f in run.findings}
    got = {(f.control_id, f.resource_name or f.resource_id): f.result for f in run.findings}
    missed = sorted(k for k in lab.expected_fail if k[0] in planned and got.get(k) != Result.FAIL)
    wrong = sorted(k for k in lab.expected_pass if k[0] in planned and got.get(k) != Result.PASS)
    assert not missed, f"planted misconfigurations not reported FAIL: {missed[:20]}"
    assert not wrong, f"compliant resources not reported PASS: {wrong[:20]}"
    kinds = {c for c, _ in lab.expected_fail}
    assert len(kinds) >= 20  # at least 20 kinds of misconfiguration
    assert {f.id for f in run.frameworks} == {"cis-aws-foundations-3.0", "railguard-baseline"}
    assert len(run.items_of("cis-aws-foundations-3.0")) == 62


@pytest.mark.e2e
def test_demo_writes_reports(tmp_path: Path) -> None:
    html = run_demo(tmp_path / "out", framework="cis-aws-foundations-3.0", regions=["us-east-1"])
    assert html.exists() and html.name == "railguard-report.html"
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {
        "railguard-report.json", "railguard-failed.json", "railguard-report.csv", "railguard-report.html"}
