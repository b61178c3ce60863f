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

from railguard.controls import IAC, LIVE, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Finding, Inventory, Resource, Result
from railguard.sources.aws import runner
from railguard.sources.cloudformation import load_file
from railguard.sources.terraform import load_directory
from tests.livehelp import live_inventory, run_control

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


# ---- the resource-policy family: one policy, three places, one verdict ---------------------------
#
# Each service below writes the *same* policy statement into its resource in a CloudFormation
# template, a Terraform configuration and a live (moto) account. Three variants: open to everyone
# (FAIL), narrowed to an organization (PASS), granted to another account (UNKNOWN without an owned
# list, FAIL with one that does not hold it). The verdict must be the same in the three places.

OTHER = "444455556666"
OWNED = ["111122223333"]
VARIANTS: dict[str, dict[str, Any]] = {
    "public": {"Principal": {"AWS": "*"}},
    "org": {"Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
    "external": {"Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}},
}
EXPECTED = {  # variant -> (verdict without owned list, verdict with OWNED)
    "public": (Result.FAIL, Result.FAIL),
    "org": (Result.PASS, Result.PASS),
    "external": (Result.UNKNOWN, Result.FAIL),
}


@dataclass(frozen=True)
class PolicyCase:
    """How one service holds a resource policy in each place. `cfn`/`tf` take the policy JSON and
    return the template text; `live` creates the resource named `name` with that policy (inside
    moto) and returns the id, name or ARN its finding carries."""

    control_id: str
    action: str
    resource: str | None  # the statement's Resource ("*", an ARN) or None where the service has none
    cfn: Callable[[str], str]
    cfn_id: str
    tf: Callable[[str], str]
    tf_id: str
    live: Callable[[str, str], str]

    def __str__(self) -> str:
        return self.control_id

    def policy(self, variant: str) -> str:
        st: dict[str, Any] = {"Sid": variant, "Effect": "Allow", "Action": self.action, **VARIANTS[variant]}
        if self.resource is not None:
            st["Resource"] = self.resource
        return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def _heredoc(policy: str) -> str:
    return f"<<POLICY\n{policy}\nPOLICY"


def _live_bucket(name: str, policy: str) -> str:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=name)
    boto3.client("s3", region_name=REGION).put_bucket_policy(Bucket=name, Policy=policy.replace("acme-data", name))
    return name


def _live_topic(name: str, policy: str) -> str:
    sns = boto3.client("sns", region_name=REGION)
    arn = sns.create_topic(Name=name)["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
    return name


def _live_queue(name: str, policy: str) -> str:
    boto3.client("sqs", region_name=REGION).create_queue(QueueName=name, Attributes={"Policy": policy})
    return name


def _live_key(name: str, policy: str) -> str:
    return boto3.client("kms", region_name=REGION).create_key(Description=name, Policy=policy)["KeyMetadata"]["KeyId"]


def _live_repository(name: str, policy: str) -> str:
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName=name)
    ecr.set_repository_policy(repositoryName=name, policyText=policy)
    return name


def _live_secret(name: str, policy: str) -> str:
    sm = boto3.client("secretsmanager", region_name=REGION)
    sm.create_secret(Name=name, SecretString="not-a-real-value")
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy)
    return name


def _live_domain(name: str, policy: str) -> str:
    boto3.client("opensearch", region_name=REGION).create_domain(DomainName=name, AccessPolicies=policy)
    return name


def _live_role(name: str, policy: str) -> str:
    boto3.client("iam", region_name=REGION).create_role(RoleName=name, AssumeRolePolicyDocument=policy)
    return name


def _live_function(name: str, policy: str) -> str:
    """A function whose policy is the statement: added as the permission Lambda writes for it."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=f"{name}-exec", AssumeRolePolicyDocument=json.dumps({
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    lam = boto3.client("lambda", region_name=REGION)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="index.handler",
                        Code={"ZipFile": b"def handler(e, c): return 1"})
    st = json.loads(policy)["Statement"][0]
    kwargs: dict[str, Any] = {"FunctionName": name, "StatementId": st["Sid"], "Action": st["Action"],
                              "Principal": "*" if st["Principal"]["AWS"] == "*" else OTHER}
    if "Condition" in st:
        kwargs["PrincipalOrgID"] = st["Condition"]["StringEquals"]["aws:PrincipalOrgID"]
    lam.add_permission(**kwargs)
    return name


def _permission_props(policy: str) -> dict[str, Any]:
    st = json.loads(policy)["Statement"][0]
    props: dict[str, Any] = {"Action": st["Action"], "Principal": "*" if st["Principal"]["AWS"] == "*" else OTHER}
    if "Condition" in st:
        props["PrincipalOrgID"] = st["Condition"]["StringEquals"]["aws:PrincipalOrgID"]
    return props


def _cfn_permission(policy: str) -> str:
    props = "\n".join(f"      {k}: {json.dumps(v)}" for k, v in _permission_props(policy).items())
    return f"""
Resources:
  Api:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: api
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::{ACCOUNT}:role/api
      Code: {{ZipFile: "def handler(e, c): return 1"}}
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Api
{props}
"""


def _tf_permission(policy: str) -> str:
    names = {"Action": "action", "Principal": "principal", "PrincipalOrgID": "principal_org_id"}
    args = "\n".join(f"  {names[k]} = {json.dumps(v)}" for k, v in _permission_props(policy).items())
    return f"""
resource "aws_lambda_function" "api" {{
  function_name = "api"
  runtime       = "python3.12"
  handler       = "index.handler"
  role          = "arn:aws:iam::{ACCOUNT}:role/api"
  filename      = "api.zip"
}}

resource "aws_lambda_permission" "invoke" {{
  function_name = aws_lambda_function.api.function_name
{args}
}}
"""


POLICY_CASES = [
    PolicyCase(
        "s3.bucket-policy-exposed", "s3:GetObject", "arn:aws:s3:::acme-data/*",
        cfn=lambda p: f"Resources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties: {{BucketName: acme-data}}\n"
                      f"  DataPolicy:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref Data\n"
                      f"      PolicyDocument: {p}\n",
        cfn_id="Data",
        tf=lambda p: f'resource "aws_s3_bucket" "data" {{\n  bucket = "acme-data"\n}}\n'
                     f'resource "aws_s3_bucket_policy" "data" {{\n  bucket = aws_s3_bucket.data.id\n  policy = {_heredoc(p)}\n}}\n',
        tf_id="aws_s3_bucket.data", live=_live_bucket,
    ),
    PolicyCase(
        "sns.topic-policy-exposed", "sns:Publish", "*",
        cfn=lambda p: f"Resources:\n  Alerts:\n    Type: AWS::SNS::Topic\n  AlertsPolicy:\n    Type: AWS::SNS::TopicPolicy\n"
                      f"    Properties:\n      Topics: [!Ref Alerts]\n      PolicyDocument: {p}\n",
        cfn_id="Alerts",
        tf=lambda p: f'resource "aws_sns_topic" "alerts" {{\n  name = "alerts"\n  policy = {_heredoc(p)}\n}}\n',
        tf_id="aws_sns_topic.alerts", live=_live_topic,
    ),
    PolicyCase(
        "sqs.queue-policy-exposed", "sqs:SendMessage", "*",
        cfn=lambda p: f"Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n  JobsPolicy:\n    Type: AWS::SQS::QueuePolicy\n"
                      f"    Properties:\n      Queues: [!Ref Jobs]\n      PolicyDocument: {p}\n",
        cfn_id="Jobs",
        tf=lambda p: f'resource "aws_sqs_queue" "jobs" {{\n  name = "jobs"\n}}\n'
                     f'resource "aws_sqs_queue_policy" "jobs" {{\n  queue_url = aws_sqs_queue.jobs.id\n  policy = {_heredoc(p)}\n}}\n',
        tf_id="aws_sqs_queue.jobs", live=_live_queue,
    ),
    PolicyCase(
        "kms.key-policy-exposed", "kms:Decrypt", "*",
        cfn=lambda p: f"Resources:\n  AppKey:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: {p}\n",
        cfn_id="AppKey",
        tf=lambda p: f'resource "aws_kms_key" "app" {{\n  policy = {_heredoc(p)}\n}}\n',
        tf_id="aws_kms_key.app", live=_live_key,
    ),
    PolicyCase(
        "lambda.function-policy-exposed", "lambda:InvokeFunction", None,
        cfn=_cfn_permission, cfn_id="Api", tf=_tf_permission, tf_id="aws_lambda_function.api", live=_live_function,
    ),
    PolicyCase(
        "ecr.repository-policy-exposed", "ecr:BatchGetImage", None,
        cfn=lambda p: f"Resources:\n  Images:\n    Type: AWS::ECR::Repository\n    Properties:\n"
                      f"      RepositoryName: images\n      RepositoryPolicyText: {p}\n",
        cfn_id="Images",
        tf=lambda p: f'resource "aws_ecr_repository" "images" {{\n  name = "images"\n}}\n'
                     f'resource "aws_ecr_repository_policy" "images" {{\n  repository = aws_ecr_repository.images.name\n'
                     f'  policy = {_heredoc(p)}\n}}\n',
        tf_id="aws_ecr_repository.images", live=_live_repository,
    ),
    PolicyCase(
        "secretsmanager.secret-policy-exposed", "secretsmanager:GetSecretValue", "*",
        cfn=lambda p: f"Resources:\n  Db:\n    Type: AWS::SecretsManager::Secret\n  DbPolicy:\n"
                      f"    Type: AWS::SecretsManager::ResourcePolicy\n    Properties:\n      SecretId: !Ref Db\n"
                      f"      ResourcePolicy: {p}\n",
        cfn_id="Db",
        tf=lambda p: f'resource "aws_secretsmanager_secret" "db" {{\n  name = "db"\n}}\n'
                     f'resource "aws_secretsmanager_secret_policy" "db" {{\n  secret_arn = aws_secretsmanager_secret.db.arn\n'
                     f'  policy = {_heredoc(p)}\n}}\n',
        tf_id="aws_secretsmanager_secret.db", live=_live_secret,
    ),
    PolicyCase(
        "opensearch.domain-policy-exposed", "es:ESHttpGet", "*",
        cfn=lambda p: f"Resources:\n  Search:\n    Type: AWS::OpenSearchService::Domain\n    Properties:\n"
                      f"      AccessPolicies: {p}\n",
        cfn_id="Search",
        tf=lambda p: f'resource "aws_opensearch_domain" "search" {{\n  domain_name = "search"\n'
                     f'  access_policies = {_heredoc(p)}\n}}\n',
        tf_id="aws_opensearch_domain.search", live=_live_domain,
    ),
    PolicyCase(
        "iam.role-trust-exposed", "sts:AssumeRole", None,
        cfn=lambda p: f"Resources:\n  Shared:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {p}\n",
        cfn_id="Shared",
        tf=lambda p: f'resource "aws_iam_role" "shared" {{\n  name = "shared"\n  assume_role_policy = {_heredoc(p)}\n}}\n',
        tf_id="aws_iam_role.shared", live=_live_role,
    ),
]


def _on(control_id: str, resources: list[Resource], params: dict[str, Any], place: str) -> list[Finding]:
    c = get_control(control_id)
    return evaluate([PlannedControl(c, {**c.params, **params})], Inventory(resources), place=place)


@pytest.mark.parametrize("case", POLICY_CASES, ids=str)
def test_one_policy_one_verdict_in_three_places(case: PolicyCase, tmp_path: Path, aws: None) -> None:
    control = get_control(case.control_id)
    assert IAC in control.places and "live" in control.places
    live_ids = {v: case.live(f"acme-{v}-data", case.policy(v).replace("acme-data", f"acme-{v}-data")) for v in VARIANTS}
    inventory = live_inventory(control.types)
    for variant, expected in EXPECTED.items():
        for owned, want in zip(([], OWNED), expected, strict=True):
            params = {"owned_accounts": owned}
            template = tmp_path / f"{variant}-{len(owned)}.yaml"
            template.write_text('AWSTemplateFormatVersion: "2010-09-09"\n' + case.cfn(case.policy(variant)))
            cfn = load_file(template)
            assert not cfn.errors, cfn.errors
            root = tmp_path / f"tf-{variant}-{len(owned)}"
            root.mkdir()
            (root / "main.tf").write_text(case.tf(case.policy(variant)))
            tf = load_directory(root)
            assert not tf.errors, tf.errors
            found = {
                "CloudFormation": the_finding(_on(case.control_id, cfn.resources, params, IAC), case.cfn_id),
                "Terraform": the_finding(_on(case.control_id, tf.resources, params, IAC), case.tf_id),
                "live AWS": the_finding(_on(case.control_id, list(inventory), params, LIVE), live_ids[variant]),
            }
            got = {place: f.result for place, f in found.items()}
            assert set(got.values()) == {want}, (variant, owned, {p: (f.result, f.reason) for p, f in found.items()})
