"""Case reports: JSON with the chain of custody, and an HTML timeline that escapes everything."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from railguard.ir import service
from railguard.ir.report import case_html, case_json
from railguard.ir.workflow import InputError
from railguard.store import Store
from railguard.store.cases import canonical
from tests.ir.scenario import build
from tests.ir.test_isolate import isolate


def test_json_report_carries_steps_and_verifiable_artefacts(store: Store, session: Any) -> None:
    sc = build(1)
    result = isolate(store, session, sc.suspects[0]["id"])
    data = case_json(store, result.case_id, with_content=True)
    assert data["status"] == "done" and data["approval"]["status"] == "applied"
    assert [s["name"] for s in data["steps"]] == ["capture", "safeguards", "tag", "protect", "network", "elastic-ips",
                                                  "credentials", "auto-scaling", "target-groups", "snapshots"]
    assert all(s["actor"] == "tester" and s["finished_at"] for s in data["steps"])
    assert sum(s["calls"] for s in data["steps"]) > 20
    for a in data["artefacts"]:  # anyone can re-check the hash from the content
        assert hashlib.sha256(canonical(a["content"]).encode()).hexdigest() == a["sha256"]
    json.dumps(data)


def test_html_escapes_what_an_attacker_controls(store: Store, session: Any) -> None:
    evil = '<img src=x onerror="alert(1)">'
    case = service.open_containment(store, session, evil, "us-east-1", actor="<b>me</b>")
    with pytest.raises(InputError):
        service.run(store, session, case.id, actor="<b>me</b>")
    html = case_html(store, case.id)
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html and "&lt;b&gt;me&lt;/b&gt;" in html
    assert "<script" not in html and "http" not in html.split("<body>", 1)[1]  # self-contained: no link out


def test_bad_notify_channel_is_a_usage_error_before_anything_runs() -> None:
    from typer.testing import CliRunner

    from railguard.cli.exitcodes import UserError
    from railguard.cli.main import app

    result = CliRunner().invoke(app, ["ir", "isolate", "i-0123456789abcdef0", "--notify", "webhook=http://hooks.example.com/x"])
    assert isinstance(result.exception, UserError) and result.exception.code == 2
    assert "--notify webhook" in str(result.exception) and "https" in str(result.exception)
    assert "hooks.example.com" not in str(result.exception)  # a webhook URL is a credential
