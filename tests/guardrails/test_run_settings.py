"""`railguard guardrails run` reads railguard.yaml's `timeouts:` as `railguard scan` does, and the
observation hands them to the AWS sessions (a slow account is a gap after the configured time,
not after the defaults)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from railguard.cli.main import main

GUARDRAIL = """
guardrails:
  - name: g
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {regions: [us-east-1]}
    mode: assess
"""


def test_guardrails_run_uses_the_configured_timeouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from railguard.sources.aws import session as session_mod

    (tmp_path / "railguard.yaml").write_text("timeouts: {call: 7, collector: 33, read: 4}\n")
    (tmp_path / "g.yaml").write_text(GUARDRAIL)
    monkeypatch.chdir(tmp_path)
    seen: dict[str, Any] = {}

    def fake_open_sessions(**kwargs: Any) -> list[Any]:
        seen.update(kwargs)
        raise session_mod.AwsSetupError("stop here: the sessions' arguments are what this test checks")

    monkeypatch.setattr(session_mod, "open_sessions", fake_open_sessions)
    with pytest.raises(SystemExit) as done:
        main(["guardrails", "run", "g.yaml", "--db", str(tmp_path / "s.db"), "--endpoint-url", "http://127.0.0.1:9"])
    assert done.value.code != 0
    t = seen["timeouts"]
    assert (t.call, t.collector, t.read) == (7, 33, 4)


def test_a_bad_timeouts_block_is_a_usage_error_before_any_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "railguard.yaml").write_text("timeouts: {call: -1}\n")
    (tmp_path / "g.yaml").write_text(GUARDRAIL)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(["guardrails", "run", "g.yaml", "--db", str(tmp_path / "s.db"), "--endpoint-url", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "timeouts" in err and "Traceback" not in err
