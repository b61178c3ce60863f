"""Terraform read as faithfully as CloudFormation (issue 15, point 5).

Each test is a defect found on third-party configurations: split resources whose owner is
elsewhere, references to keys and log buckets outside the module, Aurora, a listener without
`protocol`, S3 sub-resources bound by reference, and files python-hcl2 misreads.
"""

from __future__ import annotations

from pathlib import Path

from railguard.engine.iac import IacOptions, run_iac
from railguard.model import Finding, Result
from railguard.sources.terraform import load_directory
from railguard.sources.terraform.hcl import ParsedFile, block_count_error, parse_text


def _scan(root: Path, main: str, *controls: str) -> list[Finding]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(main)
    run = run_iac([root], IacOptions(only_controls=list(controls), show_pass=True))
    return run.findings


def _results(findings: list[Finding], control_id: str) -> dict[str, Result]:
    return {f.resource_id: f.result for f in findings if f.control_id == control_id}


# ---- split resources whose owner is outside the configuration ----------------------------------


def test_rules_on_a_literal_group_are_judged_like_a_standalone_cfn_ingress(tmp_path: Path) -> None:
    found = _scan(tmp_path, '''
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-0123456789abcdef0"
}
resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = "sg-0fedcba9876543210"
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}
''', "ec2.sg-admin-port-open-to-world")
    got = _results(found, "ec2.sg-admin-port-open-to-world")
    assert got == {"aws_security_group_rule.ssh": Result.FAIL, "aws_vpc_security_group_ingress_rule.https": Result.PASS}


def test_rules_naming_one_outside_group_are_judged_together(tmp_path: Path) -> None:
    """0.0.0.0/1 and 128.0.0.0/1 on one group are the whole IPv4 space, whichever resource holds each."""
    found = _scan(tmp_path, '''
resource "aws_vpc_security_group_ingress_rule" "low" {
  security_group_id = "sg-0123456789abcdef0"
  cidr_ipv4         = "0.0.0.0/1"
  from_port         = 3389
  to_port           = 3389
  ip_protocol       = "tcp"
}
resource "aws_vpc_security_group_ingress_rule" "high" {
  security_group_id = "sg-0123456789abcdef0"
  cidr_ipv4         = "128.0.0.0/1"
  from_port         = 3389
  to_port           = 3389
  ip_protocol       = "tcp"
}
''', "ec2.sg-admin-port-open-to-world")
    assert list(_results(found, "ec2.sg-admin-port-open-to-world").values()) == [Result.FAIL]


def test_acl_on_an_outside_bucket_reaches_the_bucket_controls(tmp_path: Path) -> None:
    found = _scan(tmp_path, '''
resource "aws_s3_bucket_acl" "outside" {
  bucket = "someone-elses-bucket"
  acl    = "public-read"
}
''', "s3.public-acl", "s3.versioning-enabled")
    acl = [f for f in found if f.control_id == "s3.public-acl"]
    # the public ACL is seen; whether the bucket's own public access block ignores it is not known here
    assert [f.result for f in acl] == [Result.UNKNOWN] and "IgnorePublicAcls" in acl[0].reason
    # what the configuration does not say about that bucket is UNKNOWN, never a FAIL
    assert _results(found, "s3.versioning-enabled") == {"aws_s3_bucket_acl.outside": Result.UNKNOWN}


def test_policy_attached_to_an_outside_user_is_judged(tmp_path: Path) -> None:
    found = _scan(tmp_path, '''
resource "aws_iam_user_policy_attachment" "adm" {
  user       = "alice"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
''', "iam.user-direct-policies")
    assert _results(found, "iam.user-direct-policies") == {"aws_iam_user_policy_attachment.adm": Result.FAIL}


# ---- references to keys, log buckets and roles outside the module --------------------------------


OUTSIDE_REFS = '''
variable "log_bucket" {}
variable "kms" {}
data "aws_kms_key" "k" { key_id = "alias/mine" }
resource "aws_cloudtrail" "t" {
  name                       = "t"
  s3_bucket_name             = var.log_bucket
  kms_key_id                 = data.aws_kms_key.k.arn
  is_multi_region_trail      = true
  enable_log_file_validation = true
}
resource "aws_s3_bucket" "b" { bucket = "bkt" }
resource "aws_s3_bucket_logging" "b" {
  bucket        = aws_s3_bucket.b.id
  target_bucket = var.log_bucket
  target_prefix = "log/"
}
resource "aws_sns_topic" "t" {
  name              = "t"
  kms_master_key_id = aws_kms_key.declared_elsewhere.arn
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  size              = 10
  encrypted         = true
  kms_key_id        = var.kms
}
'''


def test_outside_key_and_log_bucket_are_present_values(tmp_path: Path) -> None:
    found = _scan(tmp_path, OUTSIDE_REFS, "cloudtrail.kms-encryption", "s3.access-logging-enabled",
                  "sns.topic-encrypted", "cloudtrail.bucket-access-logging")
    assert _results(found, "cloudtrail.kms-encryption") == {"aws_cloudtrail.t": Result.PASS}
    assert _results(found, "s3.access-logging-enabled") == {"aws_s3_bucket.b": Result.PASS}
    assert _results(found, "sns.topic-encrypted") == {"aws_sns_topic.t": Result.PASS}
    # the trail's bucket must be known by identity to judge its logging: UNKNOWN
    assert _results(found, "cloudtrail.bucket-access-logging") == {"aws_cloudtrail.t": Result.UNKNOWN}


def test_a_conditional_reference_stays_unknown(tmp_path: Path) -> None:
    """Only a reference is a present value: `var.on ? key : null` may well be null."""
    found = _scan(tmp_path, '''
variable "on" {}
data "aws_kms_key" "k" { key_id = "alias/mine" }
resource "aws_sns_topic" "t" {
  name              = "t"
  kms_master_key_id = var.on ? data.aws_kms_key.k.arn : null
}
''', "sns.topic-encrypted")
    assert _results(found, "sns.topic-encrypted") == {"aws_sns_topic.t": Result.UNKNOWN}


# ---- Aurora and listeners ----------------------------------------------------------------------


def test_aurora_cluster_and_instances_are_mapped(tmp_path: Path) -> None:
    loaded = load_directory(_write(tmp_path, '''
resource "aws_rds_cluster" "c" {
  cluster_identifier = "aurora"
  engine             = "aurora-mysql"
  storage_encrypted  = true
}
resource "aws_rds_cluster_instance" "i" {
  count               = 2
  identifier          = "aurora-${count.index}"
  cluster_identifier  = aws_rds_cluster.c.id
  instance_class      = "db.r5.large"
  engine              = aws_rds_cluster.c.engine
  publicly_accessible = count.index == 0
}
'''))
    types = sorted(r.type for r in loaded.resources)
    assert types == ["AWS::RDS::DBCluster", "AWS::RDS::DBInstance", "AWS::RDS::DBInstance"]
    members = [r for r in loaded.resources if r.type == "AWS::RDS::DBInstance"]
    assert {r.get("DBClusterIdentifier") for r in members} == {"aurora"}
    found = _scan(tmp_path / "scan", (tmp_path / "main.tf").read_text(), "rds.publicly-accessible")
    assert _results(found, "rds.publicly-accessible") == {
        "aws_rds_cluster_instance.i[0]": Result.FAIL, "aws_rds_cluster_instance.i[1]": Result.PASS}


def test_alb_listener_without_protocol_is_http(tmp_path: Path) -> None:
    found = _scan(tmp_path, '''
resource "aws_lb" "a" { name = "a" }
resource "aws_lb_listener" "l" {
  load_balancer_arn = aws_lb.a.arn
  port              = 80
  default_action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/t/1"
  }
}
resource "aws_lb" "g" {
  name               = "g"
  load_balancer_type = "gateway"
}
resource "aws_lb_listener" "gw" {
  load_balancer_arn = aws_lb.g.arn
  default_action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/g/1"
  }
}
''', "elb.listener-without-tls")
    assert _results(found, "elb.listener-without-tls") == {"aws_lb_listener.l": Result.FAIL}


# ---- S3 sub-resources bound by reference --------------------------------------------------------


def test_two_buckets_with_one_name_never_share_sub_resources(tmp_path: Path) -> None:
    found = _scan(tmp_path, '''
resource "aws_s3_bucket" "a" { bucket = "same-name" }
resource "aws_s3_bucket" "b" { bucket = "same-name" }
resource "aws_s3_bucket_versioning" "a" {
  bucket = aws_s3_bucket.a.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket_versioning" "b" {
  bucket = aws_s3_bucket.b.bucket
  versioning_configuration { status = "Suspended" }
}
''', "s3.versioning-enabled")
    assert _results(found, "s3.versioning-enabled") == {"aws_s3_bucket.a": Result.PASS, "aws_s3_bucket.b": Result.FAIL}


def test_a_literal_name_two_buckets_share_is_unknown_for_both(tmp_path: Path) -> None:
    found = _scan(tmp_path, '''
resource "aws_s3_bucket" "a" { bucket = "same-name" }
resource "aws_s3_bucket" "b" { bucket = "same-name" }
resource "aws_s3_bucket_versioning" "v" {
  bucket = "same-name"
  versioning_configuration { status = "Enabled" }
}
''', "s3.versioning-enabled")
    assert _results(found, "s3.versioning-enabled") == {"aws_s3_bucket.a": Result.UNKNOWN,
                                                        "aws_s3_bucket.b": Result.UNKNOWN}


def test_unresolved_bucket_name_on_both_sides_is_never_a_fail(tmp_path: Path) -> None:
    found = _scan(tmp_path, '''
variable "name" {}
variable "other" {}
resource "aws_s3_bucket" "a" { bucket = var.name }
resource "aws_s3_bucket_versioning" "a" {
  bucket = var.name
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket_public_access_block" "x" {
  bucket                  = var.other
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
''', "s3.versioning-enabled", "s3.bucket-public-access-block")
    assert _results(found, "s3.versioning-enabled") == {"aws_s3_bucket.a": Result.PASS}
    assert _results(found, "s3.bucket-public-access-block") == {"aws_s3_bucket.a": Result.UNKNOWN}


# ---- files python-hcl2 misreads -----------------------------------------------------------------

HEREDOC_TRAILING = (
    'resource "aws_iam_policy" "p" {\n  name = "p"\n  policy = <<EOF\n'
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}\nEOF  \n}\n\n'
    'resource "aws_s3_bucket" "lost" {\n  bucket = "lost"\n}\n\n'
    'resource "aws_iam_policy" "q" {\n  name = "q"\n  policy = <<EOF\n{}\nEOF\n}\n'
)


def test_heredoc_closed_with_trailing_spaces_loses_no_resource(tmp_path: Path) -> None:
    loaded = load_directory(_write(tmp_path, HEREDOC_TRAILING))
    assert sorted(r.id for r in loaded.resources) == ["aws_iam_policy.p", "aws_iam_policy.q", "aws_s3_bucket.lost"]
    assert not loaded.errors
    policy = next(r for r in loaded.resources if r.id == "aws_iam_policy.p")
    assert policy.get("PolicyDocument.Statement.0.Action") == "*"


def test_a_block_count_that_differs_is_a_per_file_error() -> None:
    """What the parser returns is checked against a line scan of the text."""
    parsed = parse_text('resource "aws_s3_bucket" "a" {\n  bucket = "a"\n}\n', "main.tf")
    text = parsed.text + 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    err = block_count_error(ParsedFile("main.tf", text, parsed.body))
    assert err is not None and err[1] == 4 and "2 resource block(s) in the text, 1 parsed" in err[0]
    assert block_count_error(parsed) is None


def test_block_heads_inside_heredocs_and_comments_are_not_counted() -> None:
    text = ('resource "aws_instance" "a" {\n  user_data = <<-EOT\n'
            'resource "not" "real" {\n  EOT\n}\n/*\nresource "aws_s3_bucket" "old" {\n}\n*/\n')
    assert block_count_error(parse_text(text, "main.tf")) is None


def _write(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(text)
    return root


def test_heredoc_policy_with_unknown_interpolations_keeps_its_principal(tmp_path: Path) -> None:
    """terraform-provider-aws examples/elasticsearch-domain: the ARN interpolates data sources, the
    principal is "*": the exposure is seen, the unknown ARN stays unknown."""
    found = _scan(tmp_path, '''
data "aws_region" "current" {}
variable "domain" {}
resource "aws_elasticsearch_domain" "test" {
  domain_name = var.domain
  access_policies = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*",
                 "Resource": "arn:aws:es:${data.aws_region.current.region}:1:domain/${var.domain}/*"}]
}
POLICY
}
''', "opensearch.domain-policy-exposed")
    assert _results(found, "opensearch.domain-policy-exposed") == {"aws_elasticsearch_domain.test": Result.FAIL}
