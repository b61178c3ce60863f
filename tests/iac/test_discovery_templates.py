"""CloudFormation in directory scans (issue 15, point 6): templates are told by parsing, every
skipped file is listed with its reason, and AWS resources are never skipped silently."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from railguard.cli.main import app
from railguard.engine.iac import NOT_EXPANDED_ID, IacOptions, run_iac
from railguard.model import Result

INDENTED = """\
  AWSTemplateFormatVersion: "2010-09-09"
  Resources:
    Open:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: ssh
        SecurityGroupIngress:
          - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
"""

SERVERLESS = """\
service: orders
provider: {name: aws, runtime: python3.11}
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
"""

ONLY_SG = ["ec2.sg-admin-port-open-to-world"]


def test_a_template_with_indented_top_level_keys_is_scanned_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text(INDENTED)
    run = run_iac([tmp_path], IacOptions(only_controls=ONLY_SG))
    assert [(f.resource_id, f.result) for f in run.findings] == [("Open", Result.FAIL)]
    assert run.findings[0].origin.line == 3
    assert run.meta["skipped"] == []


def test_every_skipped_file_has_its_reason(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    (tmp_path / "values.yaml").write_text("replicas: 2\nimage: nginx\n")
    (tmp_path / "other.yaml").write_text("Resources:\n  - cpu\n  - memory\n")
    run = run_iac([tmp_path], IacOptions(only_controls=ONLY_SG))
    reasons = run.meta["skipped_reasons"]
    assert sorted(reasons) == sorted(run.meta["skipped"]) and len(reasons) == 3
    assert "no Resources or AWSTemplateFormatVersion" in next(v for k, v in reasons.items() if k.endswith("values.yaml"))
    assert "no top-level Resources mapping" in next(v for k, v in reasons.items() if k.endswith("other.yaml"))
    assert not run.findings


def test_aws_resources_in_another_tools_file_are_never_skipped_silently(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(SERVERLESS)
    run = run_iac([tmp_path], IacOptions())
    assert run.meta["skipped"] == []
    notes = [f for f in run.findings if f.control_id == NOT_EXPANDED_ID]
    assert len(notes) == 1 and "resources.Resources" in notes[0].reason and notes[0].result == Result.UNKNOWN


def test_text_that_is_no_yaml_is_skipped_with_the_parse_reason(tmp_path: Path) -> None:
    (tmp_path / "chart.yaml").write_text("spec:\n  Resources: {{ .Values.resources | toYaml }}\n  bad: [\n")
    run = run_iac([tmp_path], IacOptions())
    assert not run.findings
    assert "not valid YAML/JSON" in next(iter(run.meta["skipped_reasons"].values()))


def test_broken_yaml_that_names_aws_types_is_an_error_not_a_skip(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text("  Resources:\n    B:\n      Type: AWS::S3::Bucket\n     Properties: [\n")
    run = run_iac([tmp_path], IacOptions())
    assert run.meta["skipped"] == []
    assert [f.result for f in run.findings] == [Result.ERROR]


def test_text_report_lists_skipped_files_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("replicas: 2\n")
    (tmp_path / "stack.yaml").write_text(INDENTED)
    result = CliRunner().invoke(app, ["iac", "scan", str(tmp_path), "--controls", ONLY_SG[0], "--fail-on", "none"])
    assert "skipped: " in result.stdout and "values.yaml: no Resources or AWSTemplateFormatVersion" in result.stdout
    assert "Open" in result.stdout
