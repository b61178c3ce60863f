"""One control, three places: the central claim of railguard, checked end to end.

For each representative misconfiguration below, the same control id FAILs

- on a CloudFormation template (`railguard.sources.cloudformation.load_file`),
- on the equivalent Terraform configuration (`railguard.sources.terraform.load_directory`),
- on the live resource, created with boto3 under moto and collected by the live collectors,

and the three findings carry the same control id, title, severity and fix text: a developer
reading a template finding and an auditor reading a live finding see one rule.

Each case writes the misconfiguration three times, side by side, in the three languages.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import pytest

from railguard.controls import IAC, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Finding, Inventory, Resource, Result
from railguard.sources.aws import runner
from railguard.sources.cloudformation import load_file
from railguard.sources.terraform import load_directory
from tests.livehelp import run_control

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Case:
    """One misconfiguration, written for each place. `cfn_id` and `tf_id` name the offending
    resource (logical id, Terraform address); `live` creates it under moto and returns its id,
    name or ARN."""

    control_id: str
    cloudformation: str
    terraform: str
    cfn_id: str
    tf_id: str
    live: Callable[[], str]

    def __str__(self) -> str:
        return self.control_id


# ---- live setups (called inside moto) ---------------------------------------------------------


def live_ssh_open_to_world() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}]}])
    return sg


def live_bucket_without_public_access_block() -> str:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="acme-data")
    return "acme-data"


def live_unencrypted_volume() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    return ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, Encrypted=False)["VolumeId"]


def live_public_database() -> str:
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="orders", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="app", MasterUserPassword="not-a-real-pw-1", PubliclyAccessible=True)
    return "orders"


def live_trail_without_validation() -> str:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="acme-trail-logs")
    trail = boto3.client("cloudtrail", region_name=REGION)
    trail.create_trail(Name="main", S3BucketName="acme-trail-logs", EnableLogFileValidation=False)
    trail.start_logging(Name="main")
    return "main"


def live_key_without_rotation() -> str:
    return boto3.client("kms", region_name=REGION).create_key(Description="app key")["KeyMetadata"]["KeyId"]


def live_admin_policy() -> str:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="ops")
    arn = iam.create_policy(PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="ops", PolicyArn=arn)  # live, an unattached policy grants nothing
    return arn


def live_vpc_without_flow_logs() -> str:
    return boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


# ---- the cases --------------------------------------------------------------------------------

CASES = [
    Case(
        "ec2.sg-admin-port-open-to-world",
        cloudformation="""
            Resources:
              Web:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  GroupName: web
                  GroupDescription: web tier
                  VpcId: vpc-0123
                  SecurityGroupIngress:
                    - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0, Description: ssh}
            """,
        terraform="""
            resource "aws_security_group" "web" {
              name        = "web"
              description = "web tier"
              vpc_id      = "vpc-0123"
              ingress {
                protocol    = "tcp"
                from_port   = 22
                to_port     = 22
                cidr_blocks = ["0.0.0.0/0"]
                description = "ssh"
              }
            }
            """,
        cfn_id="Web", tf_id="aws_security_group.web", live=live_ssh_open_to_world,
    ),
    Case(
        "s3.bucket-public-access-block",
        cloudformation="""
            Resources:
              Data:
                Type: AWS::S3::Bucket
                Properties:
                  BucketName: acme-data
            """,
        terraform="""
            resource "aws_s3_bucket" "data" {
              bucket = "acme-data"
            }
            """,
        cfn_id="Data", tf_id="aws_s3_bucket.data", live=live_bucket_without_public_access_block,
    ),
    Case(
        "ec2.ebs-volume-encrypted",
        cloudformation="""
            Resources:
              Data:
                Type: AWS::EC2::Volume
                Properties:
                  AvailabilityZone: us-east-1a
                  Size: 10
                  Encrypted: false
            """,
        terraform="""
            resource "aws_ebs_volume" "data" {
              availability_zone = "us-east-1a"
              size              = 10
              encrypted         = false
            }
            """,
        cfn_id="Data", tf_id="aws_ebs_volume.data", live=live_unencrypted_volume,
    ),
    Case(
        "rds.publicly-accessible",
        cloudformation="""
            Resources:
              Orders:
                Type: AWS::RDS::DBInstance
                Properties:
                  DBInstanceIdentifier: orders
                  Engine: postgres
                  DBInstanceClass: db.t3.micro
                  AllocatedStorage: "20"
                  MasterUsername: app
                  ManageMasterUserPassword: true
                  PubliclyAccessible: true
            """,
        terraform="""
            resource "aws_db_instance" "orders" {
              identifier                  = "orders"
              engine                      = "postgres"
              instance_class              = "db.t3.micro"
              allocated_storage           = 20
              username                    = "app"
              manage_master_user_password = true
              publicly_accessible         = true
            }
            """,
        cfn_id="Orders", tf_id="aws_db_instance.orders", live=live_public_database,
    ),
    Case(
        "cloudtrail.log-file-validation",
        cloudformation="""
            Resources:
              Main:
                Type: AWS::CloudTrail::Trail
                Properties:
                  TrailName: main
                  IsLogging: true
                  S3BucketName: acme-trail-logs
                  EnableLogFileValidation: false
            """,
        terraform="""
            resource "aws_cloudtrail" "main" {
              name                       = "main"
              s3_bucket_name             = "acme-trail-logs"
              enable_log_file_validation = false
            }
            """,
        cfn_id="Main", tf_id="aws_cloudtrail.main", live=live_trail_without_validation,
    ),
    Case(
        "kms.rotation-enabled",
        cloudformation="""
            Resources:
              AppKey:
                Type: AWS::KMS::Key
                Properties:
                  Description: app key
                  EnableKeyRotation: false
            """,
        terraform="""
            resource "aws_kms_key" "app" {
              description         = "app key"
              enable_key_rotation = false
            }
            """,
        cfn_id="AppKey", tf_id="aws_kms_key.app", live=live_key_without_rotation,
    ),
    Case(
        "iam.policy-full-admin",
        cloudformation="""
            Resources:
              Ops:
                Type: AWS::IAM::User
                Properties:
                  UserName: ops
              Admin:
                Type: AWS::IAM::ManagedPolicy
                Properties:
                  ManagedPolicyName: admin
                  Users: [!Ref Ops]
                  PolicyDocument:
                    Version: "2012-10-17"
                    Statement:
                      - {Effect: Allow, Action: "*", Resource: "*"}
            """,
        terraform="""
            resource "aws_iam_user" "ops" {
              name = "ops"
            }
            resource "aws_iam_policy" "admin" {
              name = "admin"
              policy = jsonencode({
                Version   = "2012-10-17"
                Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
              })
            }
            resource "aws_iam_user_policy_attachment" "ops_admin" {
              user       = aws_iam_user.ops.name
              policy_arn = aws_iam_policy.admin.arn
            }
            """,
        cfn_id="Admin", tf_id="aws_iam_policy.admin", live=live_admin_policy,
    ),
    Case(
        "ec2.vpc-flow-logs",
        cloudformation="""
            Resources:
              Main:
                Type: AWS::EC2::VPC
                Properties:
                  CidrBlock: 10.0.0.0/16
            """,
        terraform="""
            resource "aws_vpc" "main" {
              cidr_block = "10.0.0.0/16"
            }
            """,
        cfn_id="Main", tf_id="aws_vpc.main", live=live_vpc_without_flow_logs,
    ),
]


# ---- the three places -------------------------------------------------------------------------


def on_template(control_id: str, resources: list[Resource]) -> list[Finding]:
    """The control on a loaded template: the same `evaluate` as a live scan, place "iac"."""
    c = get_control(control_id)
    return evaluate([PlannedControl(c, dict(c.params))], Inventory(resources), place=IAC)


def on_cloudformation(case: Case, tmp_path: Path) -> Finding:
    template = tmp_path / "template.yaml"
    template.write_text('AWSTemplateFormatVersion: "2010-09-09"\n' + textwrap.dedent(case.cloudformation))
    loaded = load_file(template)
    assert not loaded.errors, loaded.errors
    return the_finding(on_template(case.control_id, loaded.resources), case.cfn_id)


def on_terraform(case: Case, tmp_path: Path) -> Finding:
    root = tmp_path / "tf"
    root.mkdir()
    (root / "main.tf").write_text(textwrap.dedent(case.terraform))
    loaded = load_directory(root)
    assert not loaded.errors, loaded.errors
    return the_finding(on_template(case.control_id, loaded.resources), case.tf_id)


def on_live_account(case: Case) -> Finding:
    """Create the resource in moto's account, collect what the control reads, evaluate it."""
    resource = case.live()
    return the_finding(run_control(case.control_id), resource)


def the_finding(findings: list[Finding], resource: str) -> Finding:
    """The control's finding for `resource` (id, name or ARN): there are others in the live
    account (moto's default VPC and security group, ...)."""
    mine = [f for f in findings if resource in (f.resource_id, f.resource_name, f.arn)]
    assert len(mine) == 1, [(f.resource_id, f.resource_name, f.result, f.reason) for f in findings]
    return mine[0]


_LOADER = botocore.loaders.create_loader()


class _SharedModelsSession(boto3.Session):
    """A boto3 session reusing one botocore loader: the collectors open new sessions, and parsing
    the service models each time would be most of this test's time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session.register_component("data_loader", _LOADER)


@pytest.fixture(autouse=True)
def _fast_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS-managed IAM policies in moto, the region taken as given (moto's DescribeRegions
    builds the whole EC2 backend), service models parsed once: none is what this test is about."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    monkeypatch.setattr(runner, "discover_regions", lambda session, wanted: list(wanted or [REGION]))
    monkeypatch.setattr(boto3, "Session", _SharedModelsSession)


# ---- the claim --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_one_control_fails_the_same_way_in_three_places(case: Case, tmp_path: Path, aws: None) -> None:
    control = get_control(case.control_id)
    assert IAC in control.places and "live" in control.places

    found = {
        "CloudFormation": on_cloudformation(case, tmp_path),
        "Terraform": on_terraform(case, tmp_path),
        "live AWS": on_live_account(case),
    }

    for place, f in found.items():
        assert f.result == Result.FAIL, f"{place}: {f.result.value} ({f.reason})"
    # one rule: the same id, title, severity and fix wherever the resource is described
    assert {(f.control_id, f.title, f.severity, f.remediation) for f in found.values()} == {
        (control.id, control.title, control.severity, control.fix)
    }
    # the template findings point at the offending resource's file and line, the live one at its account
    assert found["CloudFormation"].origin.line and found["Terraform"].origin.line
    assert found["live AWS"].account == ACCOUNT and not found["live AWS"].origin.file
