"""`railguard events replay` and `railguard detections list` through the CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from railguard.cli.exitcodes import FINDINGS, PARTIAL, USAGE, UserError
from railguard.cli.main import app
from tests.events.records import ACCOUNT, console_login, ct, root
from tests.events.test_sources import log_name, write_log

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, UserError):
        return result.exception.code, result.stdout, str(result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _logs(tmp_path: Path) -> None:
    login = console_login(root(), mfa="No", time="2024-05-01T10:02:00Z", event_id="root-login-1")
    stop = ct("StopLogging", "cloudtrail", request={"name": "main"}, time="2024-05-01T10:01:00Z", event_id="stop-1")
    noise = [ct("DescribeInstances", "ec2", read_only=True, time=f"2024-05-01T10:0{i}:30Z") for i in range(4)]
    write_log(tmp_path, log_name(ACCOUNT, "us-east-1", "20240501T1005Z", 1), [login, *noise[:2]])
    write_log(tmp_path, log_name(ACCOUNT, "eu-west-1", "20240501T1005Z", 2), [stop, *noise[2:]])


def test_replay_json_in_event_time_order(tmp_path: Path) -> None:
    _logs(tmp_path)
    code, out, err = invoke("events", "replay", str(tmp_path), "--format", "json")
    assert code == 0, err
    found = [json.loads(line) for line in out.splitlines()]
    assert [d["rule"] for d in found[:1]] == ["cloudtrail.logging-stopped"]  # 10:01 before 10:02
    rules = {d["rule"] for d in found}
    assert {"cloudtrail.logging-stopped", "root.console-login", "signin.console-login-without-mfa"} <= rules
    login = next(d for d in found if d["rule"] == "root.console-login")
    assert login["event_ids"] == ["root-login-1"] and login["technique"] == "T1078.004"
    assert login["principal"]["arn"] == f"arn:aws:iam::{ACCOUNT}:root" and login["source_ip"]
    assert login["severity"] == "high" and login["time"] == "2024-05-01T10:02:00Z"
    assert "replayed 6 records from 2 files" in err


def test_replay_text_fail_on_and_config(tmp_path: Path) -> None:
    _logs(tmp_path)
    code, out, _ = invoke("events", "replay", str(tmp_path), "--fail-on", "critical")
    assert code == FINDINGS and "CRITICAL cloudtrail.logging-stopped [T1562.008]" in out
    cfg = tmp_path / "railguard.yaml"
    cfg.write_text("events:\n  detections:\n    cloudtrail.logging-stopped: {enabled: false}\n")
    code, out, _ = invoke("events", "replay", str(tmp_path), "--fail-on", "critical", "--config", str(cfg))
    assert code == 0 and "logging-stopped" not in out
    cfg.write_text("events:\n  detections:\n    no.such-rule: {enabled: false}\n")
    code, _, err = invoke("events", "replay", str(tmp_path), "--config", str(cfg))
    assert code == USAGE and "no.such-rule" in err
    cfg.write_text("events:\n  detections:\n    root.console-login: {threshold: zero}\n")
    code, _, err = invoke("events", "replay", str(tmp_path), "--config", str(cfg))
    assert code == USAGE and "railguard.yaml:3" in err


def test_replay_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    _logs(tmp_path)
    # railguard:allow AWS's documented example secret key, planted to prove it is never echoed
    (tmp_path / "bad.json").write_text('{"Records": [{"eventName": "x", "secret": "wJalrXUtnFEMI/K7MDENG')
    (tmp_path / "cut.json.gz").write_bytes(gzip.compress(b'{"Records": []}' * 100)[:30])
    code, out, err = invoke("events", "replay", str(tmp_path), "--format", "json")
    assert code == PARTIAL
    assert len(out.splitlines()) >= 3  # the good files were still replayed
    assert "bad.json: malformed" in err and "cut.json.gz: truncated" in err
    assert "wJalrXUtnFEMI" not in err + out


def test_replay_missing_path() -> None:
    code, _, err = invoke("events", "replay", "/nonexistent/logs")
    assert code == USAGE and "no such file" in err
    code, _, err = invoke("events", "replay", "/tmp", "--format", "xml")
    assert code == USAGE and "--format" in err


def test_detections_list() -> None:
    code, out, _ = invoke("detections", "list", "--json")
    assert code == 0
    rules = json.loads(out)
    ids = {r["id"] for r in rules}
    assert {"root.console-login", "cloudtrail.logging-stopped", "iam.access-key-many-ips"} <= ids
    stop = next(r for r in rules if r["id"] == "cloudtrail.logging-stopped")
    assert stop["autoheal"] == ["cloudtrail.start-logging"] and stop["technique"] == "T1562.008"
    code, out, _ = invoke("detections", "list")
    assert "signin.failed-login-burst" in out and "threshold=5" in out


def test_replay_with_guardrails_assesses_what_events_touched_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    from railguard.store import open_store
    from tests.remediation.pipehelp import world_open, world_open_group

    for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    guard = tmp_path / "guardrails.yaml"
    guard.write_text("guardrails:\n  - name: no-admin-ports\n    controls: [ec2.sg-admin-port-open-to-world]\n"
                     "    trigger: [event]\n    mode: remediate\n    action: {id: ec2.restrict-world-ingress}\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    db = f"sqlite:///{tmp_path / 'rg.db'}"
    with mock_aws():
        gid = world_open_group("web")
        account = boto3.client("sts").get_caller_identity()["Account"]
        rec = ct("AuthorizeSecurityGroupIngress", "ec2", account=account, event_id="ev-open", request={
            "groupId": gid, "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                                                         "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}})
        write_log(logs, log_name(account, "us-east-1", "20240501T1005Z", 1), [rec])
        code, out, err = invoke("events", "replay", str(logs), "--guardrails", str(guard), "--db", db)
        assert code == 0, err
        assert "change.security-group" in out  # the detections still run beside the guardrails
        assert world_open(gid)  # assess: the port stays open
        store = open_store(db)
        (finding,) = store.findings.query(control="ec2.sg-admin-port-open-to-world")
        assert finding.resource_id == gid and finding.last_principal == rec["userIdentity"]["arn"]
        assert all(r.status != "applied" for r in store.journal.query())
