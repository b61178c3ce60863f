"""Triggers: detections and the Tainted tag open cases; the marker script tags the instance via IMDSv2."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from railguard.cli.main import app
from railguard.ir.triggers import CaseRequest, marker_script, read_items, request_for
from tests.ir.scenario import build, eni_groups

# A CreateTags record as CloudTrail writes it (shape from the CloudTrail documentation's EC2 examples)
TAINTED = {
    "eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "CreateTags", "awsRegion": "us-east-1",
    "eventTime": "2026-12-03T10:00:00Z", "recipientAccountId": "123456789012",
    "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/app-role/i-0abc1234def567890"},
    "requestParameters": {"resourcesSet": {"items": [{"resourceId": "i-0abc1234def567890"}]},
                          "tagSet": {"items": [{"key": "Tainted", "value": "2026-12-03T10:00:00Z ec2-user from 203.0.113.9"}]}},
}
OUTSIDE = {"rule": "ec2.instance-credentials-outside", "title": "x", "severity": "high", "summary":
           "credentials of instance i-0abc1234def567890 used from 198.51.100.7 (instance seen at 54.1.2.3)",
           "region": "eu-west-1", "account": "123456789012",
           "principal": {"arn": "arn:aws:sts::123456789012:assumed-role/app-role/i-0abc1234def567890",
                         "access_key_id": "ASIAEXAMPLE"}}
ROOT = {"rule": "root.access-key-used", "summary": "root key used", "region": "us-east-1", "account": "123456789012",
        "principal": {"arn": "arn:aws:iam::123456789012:root"}}


def test_detections_and_tags_map_to_cases() -> None:
    assert request_for(TAINTED) == CaseRequest("isolate", "i-0abc1234def567890", "us-east-1", "123456789012",
                                               request_for(TAINTED).reason, "tag:Tainted")  # type: ignore[union-attr]
    out = request_for(OUTSIDE)
    assert out is not None and (out.kind, out.subject, out.region) == ("isolate", "i-0abc1234def567890", "eu-west-1")
    root = request_for(ROOT)
    assert root is not None and (root.kind, root.subject) == ("contain", "root")
    # what does not call for a case
    assert request_for({**TAINTED, "errorCode": "UnauthorizedOperation"}) is None
    other = json.loads(json.dumps(TAINTED))
    other["requestParameters"]["tagSet"]["items"][0]["key"] = "Owner"
    assert request_for(other) is None
    assert request_for({"rule": "iam.user-created", "summary": "x"}) is None
    assert read_items(json.dumps({"Records": [TAINTED, ROOT]})) == [TAINTED, ROOT]
    assert read_items(json.dumps(OUTSIDE) + "\n" + json.dumps(ROOT) + "\n") == [OUTSIDE, ROOT]
    with pytest.raises(ValueError, match="line 2"):
        read_items(json.dumps(ROOT) + "\n{nope\n")


def test_a_tainted_tag_isolates_the_instance_through_the_cli(aws: None, tmp_path: Path) -> None:
    sc = build(1)
    s = sc.suspects[0]
    rec = json.loads(json.dumps(TAINTED).replace("i-0abc1234def567890", s["id"]))
    src = tmp_path / "records.json"
    src.write_text(json.dumps({"Records": [rec]}))
    runner = CliRunner()
    dry = runner.invoke(app, ["ir", "from-events", str(src)])
    assert dry.exit_code == 0 and f"would open: isolate {s['id']}" in dry.output
    assert eni_groups(s["eni1"]) == [sc.app_sg]
    db = str(tmp_path / "ir.db")
    res = runner.invoke(app, ["ir", "from-events", str(src), "--apply", "--db", db])
    assert res.exit_code == 0, res.output
    assert f"isolate {s['id']}: done" in res.output
    assert eni_groups(s["eni1"]) != [sc.app_sg]
    again = runner.invoke(app, ["ir", "from-events", str(src), "--apply", "--db", db])  # the same records again
    assert again.exit_code == 0 and "(already open: not opened again)" in again.output, again.output
    from railguard.store import open_store

    with open_store(f"sqlite:///{db}") as store:
        assert len(store.cases.query()) == 1


def test_marker_script_tags_the_instance_using_imdsv2(tmp_path: Path) -> None:
    """Runs the script with stand-ins for curl and aws that record how they were called."""
    script = tmp_path / "railguard-tainted"
    script.write_text(marker_script())
    script.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    _tool(bin_dir / "curl", f"""echo "curl $*" >> {log}
case "$*" in
  *api/token*) echo -n TOKEN123 ;;
  *instance-id*) case "$*" in *"X-aws-ec2-metadata-token: TOKEN123"*) echo -n i-0abc1234def567890 ;; *) exit 22 ;; esac ;;
  *placement/region*) echo -n eu-west-1 ;;
esac""")
    _tool(bin_dir / "aws", f'echo "aws $*" >> {log}')
    _tool(bin_dir / "logger", f'echo "logger $*" >> {log}')
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PAM_TYPE": "open_session", "PAM_USER": "ec2-user",
           "PAM_RHOST": "203.0.113.9;rm -rf /", "PAM_SERVICE": "sshd"}
    assert subprocess.run([str(script)], env=env, timeout=30).returncode == 0
    for _ in range(50):  # the tag call runs in the background so that login never waits
        if "aws ec2 create-tags" in (log.read_text() if log.exists() else ""):
            break
        import time

        time.sleep(0.1)
    calls = log.read_text()
    assert "-X PUT http://169.254.169.254/latest/api/token" in calls
    line = next(c for c in calls.splitlines() if c.startswith("aws "))
    assert "--region eu-west-1 --resources i-0abc1234def567890 --tags Key=Tainted,Value=" in line
    assert "ec2-user from 203.0.113.9rm -rf /" in line and ";" not in line  # value sanitised
    # a non-login PAM phase does nothing
    log.unlink()
    assert subprocess.run([str(script)], env={**env, "PAM_TYPE": "close_session"}, timeout=30).returncode == 0
    assert not log.exists()


def _tool(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


