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


# ---- policies written as resources of their own: the finding points at the policy --------------

POLICY_CFN = '''AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Data:
    Type: AWS::S3::Bucket
  Topic:
    Type: AWS::SNS::Topic
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: !Sub "${Data.Arn}/*"}
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {AWS: "*"}, Action: "sns:Publish", Resource: !Ref Topic}
'''


def test_cloudformation_bucket_and_topic_policies_get_the_finding(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(POLICY_CFN)
    run = run_iac([tmp_path], IacOptions(only_controls=["s3.bucket-policy-exposed", "sns.topic-policy-exposed"]))
    fails = {f.control_id: f for f in run.findings if f.result == Result.FAIL}
    assert fails["s3.bucket-policy-exposed"].resource_id == "Data"
    assert fails["s3.bucket-policy-exposed"].origin.line == 7  # DataPolicy, not the bucket (line 3)
    assert fails["sns.topic-policy-exposed"].resource_id == "Topic"
    assert fails["sns.topic-policy-exposed"].origin.line == 14  # TopicPolicy, not the topic (line 5)


BUCKET_TF = '''
resource "aws_s3_bucket" "data" {
  bucket = "data-bucket"
}
'''

BUCKET_POLICY_TF = '''
# the policy that opens the bucket, in another file
resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::data-bucket/*" }]
  })
}
'''


def test_terraform_bucket_policy_in_another_file_gets_the_finding(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BUCKET_TF)
    (tmp_path / "policy.tf").write_text(BUCKET_POLICY_TF)
    run = run_iac([tmp_path], IacOptions(only_controls=["s3.bucket-policy-exposed"]))
    [f] = [f for f in run.findings if f.result == Result.FAIL]
    assert f.resource_id == "aws_s3_bucket.data"
    assert f.origin.file is not None and f.origin.file.endswith("policy.tf") and f.origin.line == 3


def test_a_policy_granting_a_named_account_is_no_fail(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BUCKET_TF)
    (tmp_path / "policy.tf").write_text(BUCKET_POLICY_TF.replace(
        'Principal = "*"', 'Principal = { AWS = "arn:aws:iam::111122223333:root" }'))
    run = run_iac([tmp_path], IacOptions(only_controls=["s3.bucket-policy-exposed"]))
    assert [f.result for f in run.findings if f.control_id == "s3.bucket-policy-exposed"] != []
    assert not [f for f in run.findings if f.result == Result.FAIL]
