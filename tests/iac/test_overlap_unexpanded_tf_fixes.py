"""One world-open rule is one finding; constructs expanded by other tools are reported as such;
Terraform findings give their fix in Terraform terms."""

from __future__ import annotations

from pathlib import Path

from railguard.controls import IAC, all_controls
from railguard.engine.fixes_tf import FIXES_TF
from railguard.engine.iac import NOT_EXPANDED_ID, PARSE_ERROR, IacOptions, run_iac
from railguard.model import Result

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "iac"

OPEN_SG = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIpv6: "::/0"}
"""


def _admin(findings: list) -> list:  # type: ignore[type-arg]
    return [f for f in findings if "sg-admin-port" in f.control_id and f.result == Result.FAIL]


def test_one_world_open_rule_is_one_finding(tmp_path: Path) -> None:
    (tmp_path / "sg.yaml").write_text(OPEN_SG)
    run = run_iac([tmp_path], IacOptions())
    assert [f.control_id for f in _admin(run.findings)] == ["ec2.sg-admin-port-open-to-world"]
    # named explicitly, the address-family controls still run
    only = run_iac([tmp_path], IacOptions(only_controls=["ec2.sg-admin-port-open-to-world-ipv4"]))
    assert [f.control_id for f in _admin(only.findings)] == ["ec2.sg-admin-port-open-to-world-ipv4"]


RAIN = """AWSTemplateFormatVersion: "2010-09-09"
Transform: MyCompanyMacro
Resources:
  Bucket:
    Type: !Rain::Module "./bucket.yaml"
  Store:
    Type: Org::Storage::Bucket::MODULE
  Fn::ForEach::Topics:
    - Name
    - [a, b]
    - Topic${Name}:
        Type: AWS::SNS::Topic
  Plain:
    Type: AWS::SNS::Topic
"""


def test_unexpanded_constructs_are_reported_as_such(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(RAIN)
    run = run_iac([tmp_path], IacOptions())
    assert not [f for f in run.findings if f.control_id == PARSE_ERROR]
    unexpanded = [f for f in run.findings if f.control_id == NOT_EXPANDED_ID]
    reasons = " | ".join(f.reason for f in unexpanded)
    assert len(unexpanded) == 4 and all(f.result == Result.UNKNOWN for f in unexpanded)
    assert "Rain module" in reasons and "registry module" in reasons
    assert "Fn::ForEach" in reasons and "MyCompanyMacro" in reasons
    assert all("rain pkg" in (f.remediation or "") for f in unexpanded)
    items = {i.id: i for i in run.items}
    assert items[PARSE_ERROR].result == Result.PASS
    assert items[NOT_EXPANDED_ID].result == Result.UNKNOWN
    # the plain resource beside them is still assessed
    assert any(f.resource_id == "Plain" for f in run.findings)


def test_unexpanded_construct_makes_the_scan_partial(tmp_path: Path) -> None:
    from railguard.cli.iac import exit_code

    (tmp_path / "t.yaml").write_text(RAIN)
    assert exit_code(run_iac([tmp_path], IacOptions(only_controls=["sns.topic-encrypted"])), None) == 4


def test_terraform_findings_speak_terraform() -> None:
    tf = run_iac([FIXTURES / "tf" / "rds.multi-az" / "fail"], IacOptions(only_controls=["rds.multi-az"]))
    (f,) = [f for f in tf.findings if f.result == Result.FAIL]
    assert "multi_az = true" in (f.remediation or "") and "MultiAZ" not in (f.remediation or "")
    cfn_dir = FIXTURES / "cfn" / "rds.multi-az"
    cfn = run_iac([cfn_dir], IacOptions(only_controls=["rds.multi-az"]))
    assert any("MultiAZ" in (f.remediation or "") for f in cfn.findings if f.result == Result.FAIL)
    versioning = run_iac([FIXTURES / "tf" / "s3.versioning-enabled" / "fail"],
                         IacOptions(only_controls=["s3.versioning-enabled"]))
    assert any("aws_s3_bucket_versioning" in (f.remediation or "") for f in versioning.findings)


def test_every_control_with_a_terraform_fixture_has_a_terraform_fix() -> None:
    iac_ids = {c.id for c in all_controls() if IAC in c.places}
    with_tf = {p.name for p in (FIXTURES / "tf").iterdir() if p.is_dir()} & iac_ids
    assert with_tf, "no Terraform fixtures found"
    assert sorted(with_tf - set(FIXES_TF)) == []
    assert set(FIXES_TF) <= iac_ids  # no entry for a control that does not exist
