"""The FORMATS registry: every format renders both sample runs and a real framework's items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from railguard.model import RunResult
from railguard.report import FORMATS, render, write_reports
from tests.report.sample import iac_run, live_run


def test_registry_names() -> None:
    assert FORMATS["sarif"][1] == "railguard-report.sarif"
    assert FORMATS["junit"][1] == "railguard-report.junit.xml"
    assert set(FORMATS) >= {"json", "failed", "csv", "html", "sarif", "junit"}


@pytest.mark.parametrize("make", [live_run, iac_run], ids=["live", "iac"])
def test_write_every_format(make: object, tmp_path: Path) -> None:
    assert callable(make)
    paths = write_reports(make(), list(FORMATS), tmp_path)
    assert [p.name for p in paths] == [name for _, name in FORMATS.values()]
    for p in paths:
        assert p.stat().st_size > 0


def test_empty_run_renders_in_every_format() -> None:
    run = RunResult(kind="scan", started_at="2026-11-24T18:00:00+00:00")
    for fmt in FORMATS:
        assert render(run, fmt)
    assert json.loads(render(run, "failed")) == {"Failed": []}


@pytest.mark.parametrize("fid", ["cis-aws-foundations-3.0", "cis-aws-foundations-5.0", "railguard-baseline"])
def test_real_framework_items_render(fid: str) -> None:
    """Every item of a shipped framework, mapped with no findings, goes through every writer."""
    from railguard import frameworks
    from railguard.engine.items import map_items
    from railguard.engine.plan import build_plan

    try:
        fws = frameworks.resolve([fid])
    except frameworks.FrameworkError as exc:
        pytest.skip(f"{fid} does not load here: {exc}")
    infos, items = map_items(build_plan(fws), [])
    run = RunResult(kind="scan", started_at="2026-11-24T18:00:00+00:00", frameworks=infos, items=items)
    data = json.loads(render(run, "json"))
    assert len(data["items"]) == len(items) > 10
    page = render(run, "html")
    assert page.count('<details class="item"') == len(items)
    assert "MANUAL" in page
