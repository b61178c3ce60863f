"""Records in the shape of the AWS CloudTrail User Guide's examples (log file examples; sign-in events),
including their quirks: eventVersion 1.0 records without `eventID`, an empty root `accessKeyId`, a
failed sign-in without the user's ARN, `requestParameters: null`. Read as a log file, run through
the detections, the touched-resources table and the replay CLI."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from railguard.cli.main import app
from railguard.events.detector import Detector
from railguard.events.touched import touched
from railguard.sources.cloudtrail.logfile import LogFile, read_log_file
from railguard.sources.cloudtrail.records import usable

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "cloudtrail" / "aws-docs-examples.json"


def records() -> list[dict]:
    recs, problems = usable(read_log_file(LogFile(str(SAMPLE), SAMPLE.read_bytes)), SAMPLE.name)
    assert problems == [] and len(recs) == 5
    return recs


def test_detections_on_the_documented_records() -> None:
    det = Detector()
    found = {r["eventName"] + ("!" if r.get("errorCode") else ""): [d.rule for d in det.process(r)] for r in records()}
    assert found["StopInstances"] == []  # an ordinary stop: nothing to say
    assert "iam.user-created" in found["CreateUser"]
    assert found["CreateUser!"] == []  # EntityAlreadyExists: nothing was created
    login_rules = [d.rule for r in records()[3:] for d in Detector().process(r)]
    assert Counter(login_rules) == Counter(["root.console-login", "signin.console-login-without-mfa"])


def test_touched_on_the_documented_records() -> None:
    recs = records()
    create, failed = recs[1], recs[2]
    assert [(t.type, t.id, t.account, t.region) for t in touched(create)] == [
        ("AWS::IAM::User", "Bob", "123456789012", "us-east-2")]
    assert touched(failed) == [] and touched(recs[3]) == []


def test_replay_cli_reads_the_documented_file() -> None:
    result = CliRunner().invoke(app, ["events", "replay", str(SAMPLE), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert "root.console-login" in result.stdout and "replayed 5 records from 1 files" in result.stderr
