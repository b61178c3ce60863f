"""Findings on folded resources point at the offending piece (issue 15, point 7): a stand-alone
security group rule folded into its group gives the finding its own file and line, so that a
pull-request annotation lands on the rule."""

from __future__ import annotations

from pathlib import Path

from railguard.engine.iac import IacOptions, run_iac
from railguard.model import Result

ONLY = ["ec2.sg-admin-port-open-to-world"]

GROUP_TF = '''
resource "aws_security_group" "web" {
  name        = "web"
  description = "web"
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
'''

RULE_TF = '''
# the rule that opens SSH, in another file
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.web.id
}
'''


def test_terraform_rule_in_another_file_gets_the_finding(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GROUP_TF)
    (tmp_path / "rules.tf").write_text(RULE_TF)
    run = run_iac([tmp_path], IacOptions(only_controls=ONLY))
    [f] = [f for f in run.findings if f.result == Result.FAIL]
    assert f.resource_id == "aws_security_group.web"
    assert f.origin.file is not None and f.origin.file.endswith("rules.tf") and f.origin.line == 3


def test_terraform_inline_block_gets_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GROUP_TF.replace("443", "22"))
    run = run_iac([tmp_path], IacOptions(only_controls=ONLY))
    [f] = [f for f in run.findings if f.result == Result.FAIL]
    assert f.origin.file is not None and f.origin.file.endswith("main.tf") and f.origin.line == 5


def test_an_ignore_on_the_group_still_covers_a_rule_in_another_file(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        "# railguard:ignore ec2.sg-admin-port-open-to-world bastion, ticket SEC-1\n" + GROUP_TF.lstrip("\n"))
    (tmp_path / "rules.tf").write_text(RULE_TF)
    run = run_iac([tmp_path], IacOptions(only_controls=ONLY))
    assert [f.result for f in run.findings if f.control_id == ONLY[0]] == [Result.SUPPRESSED]


CFN = '''AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
  Ssh:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref Web
      IpProtocol: tcp
      FromPort: 22
      ToPort: 22
      CidrIp: 0.0.0.0/0
'''


def test_cloudformation_standalone_ingress_gets_the_finding(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(CFN)
    run = run_iac([tmp_path], IacOptions(only_controls=ONLY))
    [f] = [f for f in run.findings if f.result == Result.FAIL]
    assert f.resource_id == "Web" and f.origin.line == 9
