"""Benchmark `railguard iac scan` against Checkov on the same inputs (not part of `make test`).

    .venv/bin/python benchmarks/iac_scan.py                    # shared corpus + 2,000 generated files
    .venv/bin/python benchmarks/iac_scan.py --generated 200 --no-checkov

What it does (everything under benchmarks/.work/, which is git-ignored):

1. Installs Checkov into its own venv (benchmarks/.work/checkov-venv) unless it is there, and
   runs it offline (`--skip-download`, no API key).
2. Generates a deterministic (seeded) corpus of CloudFormation (YAML and JSON) and Terraform
   files whose resources are secure or insecure by category (security groups, NACLs, S3, EBS,
   RDS, EFS, DynamoDB, SNS, SQS, KMS, CloudTrail, VPC flow logs, IAM, EC2 IMDSv2).
3. Runs each tool as a separate process on the shared corpus
   (../shared/corpus/iac/aws-cloudformation-templates) and on the generated corpus, measuring
   wall time, CPU time (user + system of the child), peak RSS (wait4) and files per second,
   and the start-up time on one small template.
4. Compares, per category of issue 3 point 4, the resources each tool flags (resource = file +
   logical id / Terraform address), and how many of Checkov's flagged resources railguard flags.
5. Runs the cases Checkov is known to miss and says, for each tool, whether it flags them.

It prints a Markdown report (also written to benchmarks/.work/iac-results.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
CHECKOV_VENV = WORK / "checkov-venv"
RAILGUARD = ROOT / ".venv" / "bin" / "railguard"
INPUT_SUFFIXES = {".yaml", ".yml", ".json", ".template", ".tf"}


def default_corpus() -> Path:
    for c in (ROOT.parent / "shared" / "corpus" / "iac" / "aws-cloudformation-templates",
              Path("/work/shared/corpus/iac/aws-cloudformation-templates")):
        if c.is_dir():
            return c
    return ROOT.parent / "shared" / "corpus" / "iac" / "aws-cloudformation-templates"


# --------------------------------------------------------------------------------------------
# Categories (issue 3, point 4)
# --------------------------------------------------------------------------------------------

# Category -> (Checkov check ids, railguard control ids). Checkov ids with no railguard
# counterpart by design are listed under EXTRA_CHECKOV and reported apart.
CATEGORIES: dict[str, tuple[set[str], set[str]]] = {
    "security group: admin ports / all traffic open to the world": (
        {"CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"},
        {"ec2.sg-admin-port-open-to-world", "ec2.sg-admin-port-open-to-world-ipv4",
         "ec2.sg-admin-port-open-to-world-ipv6", "ec2.sg-cifs-open-to-world", "ec2.sg-open-to-world"}),
    "NACL: admin ports open to the world": ({"CKV_AWS_231", "CKV_AWS_232"}, {"ec2.nacl-admin-port-open-to-world"}),
    "S3: public access block": ({"CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"},
                                {"s3.bucket-public-access-block"}),
    "S3: public ACL": ({"CKV_AWS_20", "CKV_AWS_57"}, {"s3.public-acl"}),
    "S3: policy (any principal / deny HTTP)": ({"CKV_AWS_70"}, {"s3.deny-http", "s3.policy-public"}),
    "S3: default encryption": ({"CKV_AWS_19"}, {"s3.default-encryption"}),
    "S3: versioning": ({"CKV_AWS_21"}, {"s3.versioning-enabled"}),
    "S3: access logging": ({"CKV_AWS_18"}, {"s3.access-logging-enabled"}),
    "EBS volume encryption": ({"CKV_AWS_3"}, {"ec2.ebs-volume-encrypted"}),
    "RDS encryption": ({"CKV_AWS_16"}, {"rds.storage-encrypted"}),
    "RDS public access": ({"CKV_AWS_17"}, {"rds.publicly-accessible"}),
    "RDS minor version upgrade": ({"CKV_AWS_226"}, {"rds.auto-minor-version-upgrade"}),
    "RDS Multi-AZ": ({"CKV_AWS_157"}, {"rds.multi-az"}),
    "EFS encryption": ({"CKV_AWS_42"}, {"efs.encrypted"}),
    "DynamoDB KMS encryption": ({"CKV_AWS_119"}, {"dynamodb.table-kms"}),
    "SNS encryption": ({"CKV_AWS_26"}, {"sns.topic-encrypted"}),
    "SQS encryption": ({"CKV_AWS_27"}, {"sqs.queue-encrypted"}),
    "KMS rotation": ({"CKV_AWS_7"}, {"kms.rotation-enabled"}),
    "KMS key policy wildcard principal": ({"CKV_AWS_33"}, {"kms.key-policy-wildcard-principal"}),
    "CloudTrail (multi-region, validation, KMS)": (
        {"CKV_AWS_35", "CKV_AWS_36", "CKV_AWS_67"},
        {"cloudtrail.multi-region-enabled", "cloudtrail.log-file-validation", "cloudtrail.kms-encryption"}),
    "VPC flow logs": ({"CKV2_AWS_11"}, {"ec2.vpc-flow-logs"}),
    "IAM *:* admin policies": ({"CKV_AWS_1", "CKV_AWS_62"}, {"iam.policy-full-admin"}),
    "IAM users with policies": ({"CKV_AWS_40"}, {"iam.user-direct-policies"}),
    "EC2 IMDSv2": ({"CKV_AWS_79"}, {"ec2.imdsv2-required", "ec2.launch-config-imdsv2"}),
    "EC2 public IP": ({"CKV_AWS_88"}, {"ec2.instance-public-ip"}),
}
EXTRA_CHECKOV = {
    "CKV_AWS_23": "every security group rule has a description (railguard: world-open rules only)",
    "CKV_AWS_260": "security group port 80 open to the world (railguard: web ports are no finding)",
    "CKV_AWS_229": "NACL port 21 open to the world",
    "CKV_AWS_230": "NACL port 20 open to the world",
    "CKV_AWS_145": "S3 default encryption with KMS (railguard: param require_kms, off by default)",
    "CKV_AWS_63": "IAM action '*' on any resource (railguard flags '*' on '*')",
}
CHECKOV_CATEGORY = {cid: cat for cat, (ids, _) in CATEGORIES.items() for cid in ids}
CHECKOV_CATEGORY.update({cid: f"(no railguard counterpart) {why}" for cid, why in EXTRA_CHECKOV.items()})
RAILGUARD_CATEGORY = {cid: cat for cat, (_, ids) in CATEGORIES.items() for cid in ids}
# Checkov flags these rule/facet resources; railguard folds them into their owner (group, ACL,
# bucket, principal), so a flag on them is matched by file and category.
FOLDED = ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress", "AWS::EC2::NetworkAclEntry",
          "aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_network_acl_rule",
          "aws_s3_bucket_", "aws_iam_policy_attachment", "aws_iam_user_policy")


# --------------------------------------------------------------------------------------------
# Generated corpus
# --------------------------------------------------------------------------------------------

def _cfn_resources(r: random.Random, n: int, prefix: str) -> dict[str, Any]:
    """CloudFormation resources, each category secure or not at random."""
    res: dict[str, Any] = {}
    for i in range(n):
        kind = r.choice(["sg", "sg", "nacl", "bucket", "bucket", "volume", "db", "efs", "table", "topic", "queue",
                         "key", "trail", "vpc", "policy", "user", "instance"])
        bad = r.random() < 0.5
        lid = f"{prefix}{kind.capitalize()}{i}"
        if kind == "sg":
            port = r.choice([22, 3389, 443, 5432])
            proto = r.choice(["tcp", "tcp", "-1"])
            rule: dict[str, Any] = {"IpProtocol": proto, "CidrIp": "0.0.0.0/0" if bad else "10.0.0.0/8"}
            if proto != "-1":
                rule.update(FromPort=port, ToPort=port)
            if r.random() < 0.5:
                rule["Description"] = "service access"
            res[lid] = {"Type": "AWS::EC2::SecurityGroup",
                        "Properties": {"GroupDescription": "generated", "VpcId": "vpc-0123", "SecurityGroupIngress": [rule]}}
        elif kind == "nacl":
            res[lid] = {"Type": "AWS::EC2::NetworkAcl", "Properties": {"VpcId": "vpc-0123"}}
            res[lid + "Entry"] = {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {
                "NetworkAclId": {"Ref": lid}, "RuleNumber": 100, "Protocol": 6, "RuleAction": "allow",
                "Egress": False, "CidrBlock": "0.0.0.0/0" if bad else "10.0.0.0/8",
                "PortRange": {"From": r.choice([22, 3389]), "To": r.choice([22, 3389])}}}
        elif kind == "bucket":
            props: dict[str, Any] = {}
            if not bad or r.random() < 0.3:
                props["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
            if not bad or r.random() < 0.3:
                props["VersioningConfiguration"] = {"Status": "Enabled"}
            if not bad or r.random() < 0.3:
                props["PublicAccessBlockConfiguration"] = {k: True for k in (
                    "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
            if not bad or r.random() < 0.3:
                props["LoggingConfiguration"] = {"DestinationBucketName": "central-logs"}
            if bad and r.random() < 0.3:
                props["AccessControl"] = "PublicRead"
            res[lid] = {"Type": "AWS::S3::Bucket", "Properties": props}
        elif kind == "volume":
            res[lid] = {"Type": "AWS::EC2::Volume", "Properties": {"AvailabilityZone": "us-east-1a", "Size": 10,
                                                                  **({} if bad else {"Encrypted": True})}}
        elif kind == "db":
            res[lid] = {"Type": "AWS::RDS::DBInstance", "Properties": {
                "Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
                "StorageEncrypted": not bad, "PubliclyAccessible": bad and r.random() < 0.5,
                "AutoMinorVersionUpgrade": not (bad and r.random() < 0.5), "MultiAZ": not bad}}
        elif kind == "efs":
            res[lid] = {"Type": "AWS::EFS::FileSystem", "Properties": {} if bad else {"Encrypted": True}}
        elif kind == "table":
            props = {"BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                     "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}
            if not bad:
                props["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/app"}
            res[lid] = {"Type": "AWS::DynamoDB::Table", "Properties": props}
        elif kind == "topic":
            res[lid] = {"Type": "AWS::SNS::Topic", "Properties": {} if bad else {"KmsMasterKeyId": "alias/app"}}
        elif kind == "queue":
            res[lid] = {"Type": "AWS::SQS::Queue", "Properties": {} if bad else {"KmsMasterKeyId": "alias/app"}}
        elif kind == "key":
            res[lid] = {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": not bad}}
        elif kind == "trail":
            res[lid] = {"Type": "AWS::CloudTrail::Trail", "Properties": {
                "IsLogging": True, "S3BucketName": "trail-logs", "IsMultiRegionTrail": not bad,
                "EnableLogFileValidation": not bad, **({} if bad else {"KMSKeyId": "alias/trail"})}}
        elif kind == "vpc":
            res[lid] = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}
            if not bad:
                res[lid + "Flow"] = {"Type": "AWS::EC2::FlowLog", "Properties": {
                    "ResourceId": {"Ref": lid}, "ResourceType": "VPC", "TrafficType": "ALL",
                    "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::flow-logs"}}
        elif kind == "policy":
            action = "*" if bad else "s3:GetObject"
            res[lid] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}}}
        elif kind == "user":
            res[lid] = {"Type": "AWS::IAM::User", "Properties": (
                {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]} if bad else {"Groups": ["devs"]})}
        elif kind == "instance":
            props = {"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro"}
            if not bad:
                props["MetadataOptions"] = {"HttpTokens": "required"}
            res[lid] = {"Type": "AWS::EC2::Instance", "Properties": props}
    return res


def _yaml_dump(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def _tf_block(r: random.Random, i: int) -> str:
    bad = r.random() < 0.5
    kind = r.choice(["sg", "sg", "bucket", "bucket", "volume", "db", "efs", "topic", "queue", "key", "trail",
                     "policy", "instance", "table"])
    name = f"r{i}"
    if kind == "sg":
        port = r.choice([22, 3389, 443])
        cidr = "0.0.0.0/0" if bad else "10.0.0.0/8"
        return (f'resource "aws_security_group" "{name}" {{\n  name = "{name}"\n  vpc_id = "vpc-0123"\n'
                f'  ingress {{\n    from_port = {port}\n    to_port = {port}\n    protocol = "tcp"\n'
                f'    cidr_blocks = ["{cidr}"]\n  }}\n}}\n')
    if kind == "bucket":
        out = f'resource "aws_s3_bucket" "{name}" {{\n  bucket = "bucket-{name}-{r.randint(0, 10**9)}"\n}}\n'
        if not bad:
            out += (f'resource "aws_s3_bucket_versioning" "{name}" {{\n  bucket = aws_s3_bucket.{name}.id\n'
                    f'  versioning_configuration {{\n    status = "Enabled"\n  }}\n}}\n'
                    f'resource "aws_s3_bucket_server_side_encryption_configuration" "{name}" {{\n'
                    f'  bucket = aws_s3_bucket.{name}.id\n  rule {{\n    apply_server_side_encryption_by_default {{\n'
                    f'      sse_algorithm = "aws:kms"\n    }}\n  }}\n}}\n'
                    f'resource "aws_s3_bucket_public_access_block" "{name}" {{\n  bucket = aws_s3_bucket.{name}.id\n'
                    f'  block_public_acls = true\n  block_public_policy = true\n  ignore_public_acls = true\n'
                    f'  restrict_public_buckets = true\n}}\n')
        return out
    if kind == "volume":
        return (f'resource "aws_ebs_volume" "{name}" {{\n  availability_zone = "us-east-1a"\n  size = 10\n'
                f'  encrypted = {"false" if bad else "true"}\n}}\n')
    if kind == "db":
        return (f'resource "aws_db_instance" "{name}" {{\n  engine = "postgres"\n  instance_class = "db.t3.micro"\n'
                f'  allocated_storage = 20\n  storage_encrypted = {"false" if bad else "true"}\n'
                f'  publicly_accessible = {"true" if bad else "false"}\n}}\n')
    if kind == "efs":
        return f'resource "aws_efs_file_system" "{name}" {{\n  encrypted = {"false" if bad else "true"}\n}}\n'
    if kind == "topic":
        return f'resource "aws_sns_topic" "{name}" {{\n  name = "{name}"\n' + ("" if bad else '  kms_master_key_id = "alias/app"\n') + "}\n"
    if kind == "queue":
        return f'resource "aws_sqs_queue" "{name}" {{\n  name = "{name}"\n' + ("" if bad else '  kms_master_key_id = "alias/app"\n') + "}\n"
    if kind == "key":
        return f'resource "aws_kms_key" "{name}" {{\n  enable_key_rotation = {"false" if bad else "true"}\n}}\n'
    if kind == "trail":
        return (f'resource "aws_cloudtrail" "{name}" {{\n  name = "{name}"\n  s3_bucket_name = "trail-logs"\n'
                f'  is_multi_region_trail = {"false" if bad else "true"}\n'
                f'  enable_log_file_validation = {"false" if bad else "true"}\n'
                + ("" if bad else '  kms_key_id = "alias/trail"\n') + "}\n")
    if kind == "policy":
        action = "*" if bad else "s3:GetObject"
        return (f'resource "aws_iam_policy" "{name}" {{\n  name = "{name}"\n  policy = jsonencode({{\n'
                f'    Version = "2012-10-17"\n    Statement = [{{ Effect = "Allow", Action = "{action}", Resource = "*" }}]\n'
                f'  }})\n}}\n')
    if kind == "table":
        return (f'resource "aws_dynamodb_table" "{name}" {{\n  name = "{name}"\n  hash_key = "id"\n'
                f'  billing_mode = "PAY_PER_REQUEST"\n  attribute {{\n    name = "id"\n    type = "S"\n  }}\n'
                + ("" if bad else '  server_side_encryption {\n    enabled = true\n  }\n') + "}\n")
    return (f'resource "aws_instance" "{name}" {{\n  ami = "ami-0123456789abcdef0"\n  instance_type = "t3.micro"\n'
            + ("" if bad else '  metadata_options {\n    http_tokens = "required"\n  }\n') + "}\n")


def generate(root: Path, total: int, seed: int) -> Path:
    """`total` files: half CloudFormation (YAML and JSON), half Terraform (10 files per module)."""
    marker = root / f".generated-{total}-{seed}"
    if marker.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    r = random.Random(seed)
    n_cfn = total // 2
    for i in range(n_cfn):
        d = root / "cloudformation" / f"stack{i // 50:03d}"
        d.mkdir(parents=True, exist_ok=True)
        template = {"AWSTemplateFormatVersion": "2010-09-09", "Description": f"generated {i}",
                    "Resources": _cfn_resources(r, r.randint(3, 12), "")}
        if i % 3 == 0:
            (d / f"t{i:04d}.json").write_text(json.dumps(template, indent=2))
        else:
            (d / f"t{i:04d}.yaml").write_text(_yaml_dump(template))
    for i in range(total - n_cfn):
        d = root / "terraform" / f"module{i // 10:03d}"
        d.mkdir(parents=True, exist_ok=True)
        blocks = "\n".join(_tf_block(r, i * 100 + k) for k in range(r.randint(2, 8)))
        (d / f"f{i:04d}.tf").write_text(blocks)
    marker.write_text("ok")
    return root


# --------------------------------------------------------------------------------------------
# Special cases Checkov misses
# --------------------------------------------------------------------------------------------

SG = "security group: admin ports / all traffic open to the world"
SPECIAL: dict[str, tuple[str, str, str]] = {
    # name: (file, resource id, category)
    "protocol -1 open to the world": ("cfn/protocol-all.yaml", "AllTraffic", SG),
    "VPC without flow logs (CloudFormation)": ("cfn/vpc-no-flow-logs.yaml", "Vpc", "VPC flow logs"),
    "*:* in AWS::IAM::ManagedPolicy": ("cfn/managed-policy-admin.yaml", "Admin", "IAM *:* admin policies"),
    "open CIDR built with !Sub": ("cfn/sub-cidr.yaml", "SubCidr", SG),
    "open CIDR built with !FindInMap": ("cfn/findinmap-cidr.yaml", "MapCidr", SG),
    'Terraform dynamic "ingress" over admin ports': ("tf/main.tf", "aws_security_group.dynamic", SG),
}


def write_special(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    (root / "cfn").mkdir(parents=True)
    (root / "tf").mkdir()
    (root / "cfn" / "protocol-all.yaml").write_text(
        "Resources:\n  AllTraffic:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
        "      GroupDescription: everything\n      VpcId: vpc-0123\n"
        "      SecurityGroupIngress:\n        - {IpProtocol: \"-1\", CidrIp: 0.0.0.0/0, Description: all}\n")
    (root / "cfn" / "vpc-no-flow-logs.yaml").write_text(
        "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n")
    (root / "cfn" / "managed-policy-admin.yaml").write_text(
        "Resources:\n  Admin:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n"
        "        Version: \"2012-10-17\"\n        Statement:\n          - {Effect: Allow, Action: \"*:*\", Resource: \"*\"}\n")
    (root / "cfn" / "sub-cidr.yaml").write_text(
        "Parameters:\n  World: {Type: String, Default: 0.0.0.0}\nResources:\n  SubCidr:\n"
        "    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: sub\n      VpcId: vpc-0123\n"
        "      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Sub \"${World}/0\", Description: ssh}\n")
    (root / "cfn" / "findinmap-cidr.yaml").write_text(
        "Mappings:\n  Nets: {any: {v4: 0.0.0.0/0}}\nResources:\n  MapCidr:\n    Type: AWS::EC2::SecurityGroup\n"
        "    Properties:\n      GroupDescription: map\n      VpcId: vpc-0123\n      SecurityGroupIngress:\n"
        "        - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: !FindInMap [Nets, any, v4], Description: rdp}\n")
    (root / "tf" / "main.tf").write_text(
        'variable "admin_ports" {\n  default = [22, 3389]\n}\n\n'
        'resource "aws_security_group" "dynamic" {\n  name   = "dynamic"\n  vpc_id = "vpc-0123"\n'
        '  dynamic "ingress" {\n    for_each = var.admin_ports\n    content {\n'
        '      description = "admin"\n      from_port   = ingress.value\n      to_port     = ingress.value\n'
        '      protocol    = "tcp"\n      cidr_blocks = ["0.0.0.0/0"]\n    }\n  }\n}\n')
    return root


# --------------------------------------------------------------------------------------------
# Running the tools
# --------------------------------------------------------------------------------------------


@dataclass
class Measure:
    tool: str
    target: str
    files: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int
    flagged: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # category -> {(file, resource)}
    folded: set[tuple[str, str]] = field(default_factory=set)  # flagged rule resources railguard folds
    note: str = ""

    @property
    def files_per_s(self) -> float:
        return self.files / self.wall_s if self.wall_s else 0.0


def run_measured(cmd: list[str], cwd: Path, stdout_path: Path, env: dict[str, str] | None = None) -> tuple[float, float, float, int]:
    """wall s, cpu s (user+sys of the child), peak RSS MB, exit code."""
    start = time.perf_counter()
    with stdout_path.open("wb") as out, (stdout_path.with_suffix(".stderr")).open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def count_inputs(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)


def _norm_file(path: str) -> str:
    return path.lstrip("/").removeprefix("./")


def railguard_run(target: Path, label: str, out_dir: Path) -> Measure:
    out = out_dir / f"railguard-{label}.json"
    cmd = [str(RAILGUARD), "iac", "scan", ".", "--format", "json", "--fail-on", "none"]
    wall, cpu, rss, code = run_measured(cmd, target, out)
    m = Measure("railguard", label, count_inputs(target), wall, cpu, rss, code)
    try:
        doc = json.loads(out.read_text())
    except json.JSONDecodeError:
        m.note = "no JSON output"
        return m
    findings = doc.get("findings") or []
    for f in findings:
        if f.get("result") != "FAIL":
            continue
        cat = RAILGUARD_CATEGORY.get(f.get("control_id", ""))
        if cat and f.get("file"):
            m.flagged.setdefault(cat, set()).add((_norm_file(f["file"]), _resource_key(f.get("resource_id", ""))))
    m.note = f"{sum(1 for f in findings if f.get('result') == 'ERROR')} per-file errors"
    return m


def _resource_key(rid: str) -> str:
    """`AWS::EC2::SecurityGroup.Group` / `aws_security_group.web` / `Group` -> a comparable key."""
    if rid.startswith("AWS::") or rid.startswith("RailGuard::"):
        return rid.rsplit(".", 1)[-1]
    return rid


def checkov_bin() -> Path:
    return CHECKOV_VENV / "bin" / "checkov"


def ensure_checkov() -> bool:
    if checkov_bin().exists():
        return True
    print("installing Checkov into", CHECKOV_VENV, file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
    proc = subprocess.run([str(CHECKOV_VENV / "bin" / "pip"), "install", "--quiet", "checkov"], check=False)
    return proc.returncode == 0 and checkov_bin().exists()


def checkov_run(target: Path, label: str, out_dir: Path, frameworks: str, skip: list[str] | None = None) -> Measure:
    out = out_dir / f"checkov-{label}.json"
    cmd = [str(checkov_bin()), "-d", ".", "--skip-download", "-o", "json", "--quiet", "--compact",
           "--framework", frameworks]
    for path in skip or []:
        cmd += ["--skip-path", re.escape(path)]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    wall, cpu, rss, code = run_measured(cmd, target, out, env)
    m = Measure(f"checkov ({frameworks})", label, count_inputs(target), wall, cpu, rss, code)
    try:
        doc = json.loads(out.read_text() or "null")
    except json.JSONDecodeError:
        m.note = "no JSON output (crashed?): " + out.with_suffix(".stderr").read_text()[-300:].replace("\n", " ")
        return m
    reports = doc if isinstance(doc, list) else [doc] if isinstance(doc, dict) else []
    for rep in reports:
        for fc in (rep.get("results") or {}).get("failed_checks", []):
            cat = CHECKOV_CATEGORY.get(fc.get("check_id", ""))
            if cat is None:
                continue
            resource = fc.get("resource", "")
            key = (_norm_file(fc.get("file_path", "")), _resource_key(resource))
            m.flagged.setdefault(cat, set()).add(key)
            if resource.startswith(FOLDED):
                m.folded.add(key)
    if not reports:
        m.note = "empty output: " + out.with_suffix(".stderr").read_text()[-300:].replace("\n", " ")
    return m


def startup(out_dir: Path, use_checkov: bool) -> dict[str, float]:
    small = out_dir / "startup"
    small.mkdir(parents=True, exist_ok=True)
    (small / "small.yaml").write_text(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      VersioningConfiguration: {Status: Enabled}\n")
    out: dict[str, float] = {}
    runs = {"railguard": [str(RAILGUARD), "iac", "scan", "small.yaml", "--fail-on", "none"]}
    if use_checkov:
        runs["checkov"] = [str(checkov_bin()), "-f", "small.yaml", "--skip-download", "--quiet", "--compact",
                           "--framework", "cloudformation"]
    for tool, cmd in runs.items():
        best = float("inf")
        for _ in range(5 if tool == "railguard" else 3):
            wall, _, _, _ = run_measured(cmd, small, small / f"{tool}.out")
            best = min(best, wall)
        out[tool] = best
    return out


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def coverage_table(rg: Measure, ck: Measure) -> list[str]:
    lines = ["| category | Checkov flags | railguard flags | of Checkov's, railguard flags | share |",
             "|---|---:|---:|---:|---:|"]
    total_ck = total_hit = 0
    for cat in CATEGORIES:
        c = ck.flagged.get(cat, set())
        g = rg.flagged.get(cat, set())
        files_flagged = {f for f, _ in g}
        hit = sum(1 for key in c if key in g or (key in ck.folded and key[0] in files_flagged))
        total_ck += len(c)
        total_hit += hit
        share = f"{100 * hit / len(c):.0f}%" if c else "-"
        if c or g:
            lines.append(f"| {cat} | {len(c)} | {len(g)} | {hit} | {share} |")
    share = f"{100 * total_hit / total_ck:.1f}%" if total_ck else "-"
    lines.append(f"| **all of the above** | {total_ck} | {sum(len(v) for v in rg.flagged.values())} | "
                 f"{total_hit} | **{share}** |")
    extra = {cat: len(v) for cat, v in ck.flagged.items() if cat.startswith("(no railguard")}
    for cat, n in sorted(extra.items()):
        lines.append(f"| {cat} | {n} | - | - | - |")
    return lines


def special_cases(out_dir: Path, use_checkov: bool) -> list[str]:
    root = write_special(out_dir / "special")
    rg = railguard_run(root, "special", out_dir)
    ck = checkov_run(root, "special", out_dir, "cloudformation,terraform") if use_checkov else None
    lines = ["| case | railguard | Checkov |", "|---|---|---|"]
    for name, (file, rid, cat) in SPECIAL.items():
        key = (file, _resource_key(rid))
        got_rg = key in rg.flagged.get(cat, set())
        got_ck = "not run" if ck is None else ("flags it" if key in ck.flagged.get(cat, set()) else "**misses it**")
        lines.append(f"| {name} | {'flags it' if got_rg else '**misses it**'} | {got_ck} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--generated", type=int, default=2000, help="files in the generated corpus")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--no-checkov", action="store_true")
    args = ap.parse_args()

    out_dir = WORK / "iac-bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    use_checkov = not args.no_checkov and ensure_checkov()
    gen = generate(WORK / "iac-generated", args.generated, args.seed)

    measures: list[Measure] = []
    report: list[str] = ["# IaC scan benchmark", ""]
    targets = [("corpus", args.corpus), ("generated", gen)] if args.corpus.is_dir() else [("generated", gen)]
    pairs: list[tuple[str, Measure, Measure | None]] = []
    for label, path in targets:
        rg = railguard_run(path, label, out_dir)
        measures.append(rg)
        ck = None
        if use_checkov:
            if label == "corpus":
                ck = checkov_run(path, label, out_dir, "cloudformation")
                measures.append(ck)
                ck_all = checkov_run(path, label + "-default", out_dir, "all")
                ck_all.tool = "checkov (default frameworks)"
                measures.append(ck_all)
                if not ck.flagged:
                    # Checkov's whole CloudFormation run dies on the Rain-module templates: rerun
                    # without them so that there is something to compare with.
                    rain = sorted(p.relative_to(path).as_posix() for p in path.rglob("*")
                                  if p.is_file() and "Rain::Module" in p.read_text(errors="replace"))
                    ck = checkov_run(path, label + "-without-rain", out_dir, "cloudformation", rain)
                    ck.target = f"corpus minus {len(rain)} Rain-module files"
                    ck.files -= len(rain)
                    measures.append(ck)
                    for tool, frameworks in (("checkov (default frameworks)", "all"),):
                        again = checkov_run(path, label + "-default-without-rain", out_dir, frameworks, rain)
                        again.tool, again.target = tool, ck.target
                        again.files -= len(rain)
                        measures.append(again)
            else:
                ck = checkov_run(path, label, out_dir, "cloudformation,terraform")
                measures.append(ck)
        pairs.append((label, rg, ck))

    report += ["## Speed and memory", "",
               "| tool | input | files | wall s | CPU s | peak RSS MB | files/s | exit | note |",
               "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for m in measures:
        report.append(f"| {m.tool} | {m.target} | {m.files} | {m.wall_s:.2f} | {m.cpu_s:.2f} | {m.peak_rss_mb:.0f} | "
                      f"{m.files_per_s:.0f} | {m.exit_code} | {m.note} |")
    st = startup(out_dir, use_checkov)
    report += ["", "Start-up, one small template (best of several runs): "
               + ", ".join(f"{k} {v:.2f} s" for k, v in st.items()), ""]
    for label, rg, ck in pairs:
        if ck is None:
            continue
        report += [f"## Resources flagged per category: {label}", "", *coverage_table(rg, ck), ""]
    report += ["## Cases Checkov misses", "", *special_cases(out_dir, use_checkov), ""]
    text = "\n".join(report) + "\n"
    (WORK / "iac-results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
