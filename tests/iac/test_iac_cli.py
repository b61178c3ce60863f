"""`railguard iac scan` / `railguard iac baseline` through the CLI: outputs, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from railguard.cli.exitcodes import UserError
from railguard.cli.main import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "iac"
CFN = FIXTURES / "cfn"
SG_FAIL = CFN / "ec2.sg-admin-port-open-to-world" / "fail.yaml"
SG_PASS = CFN / "ec2.sg-admin-port-open-to-world" / "pass.yaml"
ONLY_SG = ["--controls", "ec2.sg-admin-port-open-to-world"]

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["iac", *[str(a) for a in args]])
    if isinstance(result.exception, UserError):  # `main()` turns these into a message and exit code
        return result.exception.code, result.stdout, str(result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_text_output_grouped_by_file_with_line_and_fix() -> None:
    code, out, _ = invoke("scan", SG_FAIL, SG_PASS, *ONLY_SG)
    assert code == 1
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.endswith("fail.yaml"))
    assert "FAIL" in lines[header + 1] and "HIGH" in lines[header + 1]
    assert lines[header + 1].split()[0] == "4"  # the line of the group's logical id
    assert "ec2.sg-admin-port-open-to-world" in lines[header + 1]
    assert any(line.strip().startswith("fix: ") for line in lines)
    assert "1 failed" in out and "1 passed" in out


def test_fail_on_threshold_and_none() -> None:
    assert invoke("scan", SG_FAIL, *ONLY_SG, "--fail-on", "critical")[0] == 0
    assert invoke("scan", SG_FAIL, *ONLY_SG, "--fail-on", "high")[0] == 1
    assert invoke("scan", SG_FAIL, *ONLY_SG, "--fail-on", "none")[0] == 0
    assert invoke("scan", SG_PASS, *ONLY_SG)[0] == 0


def test_severity_filter_and_unknown_control() -> None:
    code, out, _ = invoke("scan", SG_FAIL, "--severity", "critical")
    assert code == 0 and "0 failed" in out
    code, _, err = invoke("scan", SG_FAIL, "--controls", "no.such-control")
    assert code == 2 and "no.such-control" in err


def test_json_output_to_stdout_carries_file_and_line() -> None:
    code, out, _ = invoke("scan", SG_FAIL, *ONLY_SG, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    text = json.dumps(doc)
    assert "ec2.sg-admin-port-open-to-world" in text and "fail.yaml" in text


def test_sarif_output_is_valid_sarif(tmp_path: Path) -> None:
    out_file = tmp_path / "r.sarif"
    code, _, _ = invoke("scan", SG_FAIL, tmp_path, *ONLY_SG, "--format", "sarif", "--output", out_file)
    assert code == 1
    log = json.loads(out_file.read_text())
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    hit = next(r for r in results if r["ruleId"] == "ec2.sg-admin-port-open-to-world")
    loc = hit["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("fail.yaml") and loc["region"]["startLine"] == 4
    from railguard.report import sarif

    if sarif.SCHEMA_PATH.is_file():
        pytest.importorskip("jsonschema")
        sarif.validate(log)


def test_sarif_with_a_parse_error_is_valid(tmp_path: Path) -> None:
    from railguard.engine.iac import IacOptions, run_iac
    from railguard.report import render, sarif

    (tmp_path / "bad.yaml").write_text("Resources:\n  A: [\n")
    run = run_iac([SG_FAIL, tmp_path / "bad.yaml"], IacOptions(only_controls=["ec2.sg-admin-port-open-to-world"]))
    log = json.loads(render(run, "sarif"))
    pytest.importorskip("jsonschema")
    sarif.validate(log)
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"ec2.sg-admin-port-open-to-world", "iac.parse-error"}


def test_junit_and_several_formats_into_a_directory(tmp_path: Path) -> None:
    out_dir = tmp_path / "reports"
    code, _, err = invoke("scan", SG_FAIL, *ONLY_SG, "--format", "text,json,sarif,junit", "-o", out_dir)
    assert code == 1
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["railguard-iac.json", "railguard-iac.junit.xml", "railguard-iac.sarif"]
    root = ET.parse(out_dir / "railguard-iac.junit.xml").getroot()
    assert root.tag in ("testsuites", "testsuite")
    assert "wrote" in err


def test_unknown_format_is_a_usage_error() -> None:
    assert invoke("scan", SG_FAIL, "--format", "pdf")[0] == 2


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    assert invoke("scan", tmp_path / "nope")[0] == 2


def test_bad_param_syntax_is_a_usage_error() -> None:
    assert invoke("scan", SG_FAIL, "--param", "novalue")[0] == 2


def test_param_override_changes_the_verdict(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(
        "Parameters:\n  Cidr: {Type: String, Default: 10.0.0.0/8}\nResources:\n  G:\n"
        "    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n"
        "      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}]\n"
    )
    assert invoke("scan", p, *ONLY_SG)[0] == 0
    assert invoke("scan", p, *ONLY_SG, "--param", "Cidr=0.0.0.0/0")[0] == 1


def test_inline_ignore_and_no_inline_ignores(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(
        "Resources:\n  # railguard:ignore ec2.sg-admin-port-open-to-world bastion, SEC-42\n  G:\n"
        "    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n"
        "      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}]\n"
    )
    code, out, _ = invoke("scan", p, *ONLY_SG)
    assert code == 0 and "SUPPRESSED" in out and "SEC-42" in out
    assert invoke("scan", p, *ONLY_SG, "--no-inline-ignores")[0] == 1


def test_baseline_command_then_scan(tmp_path: Path) -> None:
    base = tmp_path / "base" / "railguard-baseline.json"
    code, _, err = invoke("baseline", SG_FAIL, "-o", base)
    assert code == 0 and base.is_file() and "baselined" in err
    assert invoke("scan", SG_FAIL, "--baseline", base)[0] == 0
    assert invoke("scan", SG_FAIL, "--baseline", tmp_path / "missing.json")[0] == 2


# --- bad input: per-file ERROR findings, exit 4, no traceback -------------------------------


def _alias_bomb() -> str:
    lines = ["Resources:", "  B:", "    Type: AWS::S3::Bucket", "    Properties:", '      a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"      a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("malformed.yaml", "Resources:\n  A:\n    Type: [x\n", "invalid YAML"),
        ("malformed.json", '{"Resources": {"A": {"Type": "AWS::S3::Bucket",}}}', "invalid JSON"),
        ("bomb.yaml", _alias_bomb(), "alias"),
        ("circular.yaml", "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !Ref B}\n"
         "  B:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !Ref A}\n", "circular"),
        ("latin1.yaml", b"Description: caf\xe9\nResources:\n  F: {Type: AWS::SNS::Topic}\n", "UTF-8"),
        ("notatemplate.yaml", "name: build\non: push\n", "not a CloudFormation template"),
    ],
)
def test_bad_input_gives_error_finding_and_exit_4(tmp_path: Path, name: str, content: str | bytes, needle: str) -> None:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    code, out, _ = invoke("scan", p, "--fail-on", "critical", "--format", "json")
    assert code == 4
    doc = json.loads(out)
    assert needle in json.dumps(doc)
    assert "Traceback" not in out


def test_big_file_is_refused_and_other_files_are_scanned(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n")
        chunk = "  B{i}:\n    Type: AWS::S3::Bucket\n    Properties: {{BucketName: bucket-{i}-" + "x" * 200 + "}}\n"
        i = 0
        while fh.tell() < 50 * 1024 * 1024:
            fh.write("".join(chunk.format(i=i + k) for k in range(1000)))
            i += 1000
    (tmp_path / "ok.yaml").write_text("Resources:\n  F: {Type: AWS::EFS::FileSystem}\n")
    code, out, _ = invoke("scan", tmp_path, "--fail-on", "none")
    assert code == 4
    assert "limit" in out and "big.yaml" in out
    assert "efs.encrypted" in out  # the other file was scanned


def test_subprocess_no_traceback_and_documented_help(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"Resources": {"A": ')
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-c", "from railguard.cli.main import main; main()", "iac", "scan", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    code, out, _ = invoke("scan", "--help")
    assert code == 0 and "Exit codes" in out and "PARTIAL" in out


def test_iac_scan_does_not_import_boto3(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from railguard.cli.main import app\n"
        "try:\n    app(['iac', 'scan', sys.argv[1], '--fail-on', 'none'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('boto3', 'botocore', 'moto', 'jinja2') if m in sys.modules]\n"
        "print('HEAVY', bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(SG_FAIL)], capture_output=True, text=True, timeout=60, check=False)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_skip_non_templates_for_pre_commit(tmp_path: Path) -> None:
    ci = tmp_path / "ci.yml"
    ci.write_text("on: [push]\njobs: {}\n")
    assert invoke("scan", ci)[0] == 4
    code, out, _ = invoke("scan", ci, SG_PASS, "--skip-non-templates", *ONLY_SG)
    assert code == 0 and "1 data file(s) skipped" in out


def test_pre_commit_hook_is_declared() -> None:
    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "railguard-iac")
    assert hook["entry"].startswith("railguard iac scan")
