"""`executor:` settings and the CLI's errors before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.cli.main import main
from railguard.executor.settings import ExecutorSettings, resolve


def test_bare_name_broker_from_environment_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    s = ExecutorSettings.model_validate("celery")
    assert s.name == "celery" and s.broker_url() is None
    monkeypatch.setenv("RAILGUARD_BROKER_URL", "redis://127.0.0.1:6379/0")
    assert s.broker_url() == "redis://127.0.0.1:6379/0" and s.limits_url() == "redis://127.0.0.1:6379/0"
    assert ExecutorSettings(broker="sqs://").limits_url() is None  # SQS: no Redis for the caps unless given
    assert resolve("local", s).name == "local" and resolve(None, s, broker="redis://x:1/0").broker == "redis://x:1/0"
    with pytest.raises(ValueError):
        ExecutorSettings.model_validate({"name": "ray"})


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return int(exc.value.code or 0), capsys.readouterr().err


def test_unknown_executor_and_missing_broker_are_usage_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAILGUARD_BROKER_URL", raising=False)
    code, err = run(["scan", "--executor", "ray", "-o", str(tmp_path / "o")], capsys)
    assert code == 2 and "unknown executor ray" in err
    code, err = run(["scan", "--executor", "celery", "--endpoint-url", "http://127.0.0.1:9", "-o", str(tmp_path / "o")],
                    capsys)
    assert code == 2 and "needs a broker" in err and "Traceback" not in err
    code, err = run(["worker", "--db", str(tmp_path / "s.db")], capsys)
    assert code == 2 and "needs a broker" in err
    (tmp_path / "railguard.yaml").write_text("executor: {name: celery, polll: 1}\n")
    code, err = run(["scan", "-o", str(tmp_path / "o")], capsys)
    assert code == 2 and "polll" in err


def test_runs_show_and_cancel_name_an_unknown_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s.db")
    code, err = run(["runs", "show", "r-nope", "--db", db], capsys)
    assert code == 2 and "no run r-nope" in err
    code, err = run(["runs", "cancel", "r-nope", "--db", db], capsys)
    assert code == 2 and "no run r-nope" in err
    code, _ = run(["runs", "list", "--db", db], capsys)
    assert code == 0


def test_sqs_broker_transport_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from railguard.executor.app import make_app
    from railguard.executor.distributed import revoke

    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    s = ExecutorSettings.model_validate({"name": "celery", "broker": "sqs://127.0.0.1:4566",
                                         "broker_options": {"is_secure": False, "wait_time_seconds": 2}})
    app = make_app(s.broker_url() or "", queue="q", transport_options=s.broker_options)
    opts = app.conf.broker_transport_options
    assert opts["region"] == "eu-west-1" and opts["queue_name_prefix"] == "railguard-"
    assert opts["is_secure"] is False and opts["wait_time_seconds"] == 2 and opts["visibility_timeout"] >= 3600
    revoke(app, ["t1"])  # SQS has no broadcast: nothing is sent (and nothing connects)
    redis_opts = make_app("redis://127.0.0.1:9/0").conf.broker_transport_options
    assert "region" not in redis_opts and "queue_name_prefix" not in redis_opts
