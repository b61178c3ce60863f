"""Expressions: variables, tfvars, -var, locals, count/for_each/dynamic, references, functions, unknowns."""

from __future__ import annotations

import json

from railguard.model import Unknown

from .helpers import load, of, one

SG_FROM_VARS = '''
variable "cidr" {
  type    = string
  default = "10.0.0.0/8"
}
variable "port" { type = number }
resource "aws_security_group" "g" {
  name = "g"
  ingress {
    from_port   = var.port
    to_port     = var.port
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }
}
'''


def _rule(ld):
    return one(ld, "AWS::EC2::SecurityGroup").get_raw("SecurityGroupIngress")[0]


def test_variable_default_and_missing_value_is_unknown(tmp_path):
    rule = _rule(load(tmp_path, SG_FROM_VARS))
    assert rule["CidrIp"] == "10.0.0.0/8"
    assert rule["FromPort"] == Unknown("var.port has no value")


def test_tfvars_auto_tfvars_var_files_and_cli_precedence(tmp_path):
    (tmp_path / "extra.tfvars").write_text('cidr = "192.168.0.0/16"\n')
    ld = load(tmp_path, SG_FROM_VARS, files={
        "terraform.tfvars": 'cidr = "0.0.0.0/0"\nport = 22\n',
        "b.auto.tfvars.json": json.dumps({"port": 2222}),
        "a.auto.tfvars": "port = 3389\n",
    })
    rule = _rule(ld)
    assert rule["CidrIp"] == "0.0.0.0/0" and rule["FromPort"] == 2222  # auto files in lexical order, json after hcl
    from railguard.sources.terraform import load_directory

    ld2 = load_directory(tmp_path, variables={"port": "22"}, var_files=[tmp_path / "extra.tfvars"])
    rule = _rule(ld2)
    assert rule["CidrIp"] == "192.168.0.0/16" and rule["FromPort"] == 22  # -var is a string, converted by type


def test_cli_var_of_complex_type_is_parsed_as_hcl(tmp_path):
    from railguard.sources.terraform import load_directory

    load(tmp_path, '''
variable "ports" { type = list(number) }
resource "aws_security_group" "g" {
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}''')
    sg = one(load_directory(tmp_path, variables={"ports": "[22, 3389]"}), "AWS::EC2::SecurityGroup")
    assert [r["FromPort"] for r in sg.get("SecurityGroupIngress")] == [22, 3389]


def test_locals_interpolation_and_functions(tmp_path):
    ld = load(tmp_path, '''
variable "env" { default = "prod" }
locals {
  prefix = "acme-${var.env}"
  names  = [for s in ["a", "b", ""] : upper(s) if s != ""]
  tags   = merge({ env = var.env }, { team = "sec" })
  joined = join(",", concat(local.names, ["C"]))
  obj    = { for k, v in { x = 1, y = 2 } : k => v * 10 }
  fmt    = format("%s-%03d", local.prefix, 7)
  cond   = var.env == "prod" ? "yes" : "no"
  looked = lookup({ a = "1" }, "b", "default")
  n      = length(local.names) + 2 * 3 % 4
  esc    = "$${not.interpolated}"
  cidr   = cidrsubnet("10.0.0.0/8", 8, 1)
  host   = cidrhost("10.1.0.0/16", 5)
  regex  = regex("[a-z]+", "abc")
}
resource "aws_sqs_queue" "q" {
  name = local.prefix
  tags = local.tags
  policy = jsonencode({
    names = local.names, joined = local.joined, obj = local.obj, fmt = local.fmt, cond = local.cond,
    looked = local.looked, n = local.n, esc = local.esc
  })
}
resource "aws_sns_topic" "t" { kms_master_key_id = local.regex }
resource "aws_vpc" "v" { cidr_block = "${local.cidr} ${local.host}" }''')
    q = one(ld, "AWS::SQS::Queue")
    assert q.name == "acme-prod" and q.tags == {"env": "prod", "team": "sec"}
    doc = one(ld, "AWS::SQS::QueuePolicy").get("PolicyDocument")
    assert doc == {"names": ["A", "B"], "joined": "A,B,C", "obj": {"x": 10, "y": 20}, "fmt": "acme-prod-007",
                   "cond": "yes", "looked": "default", "n": 4, "esc": "${not.interpolated}"}
    key = one(ld, "AWS::SNS::Topic").get_raw("KmsMasterKeyId")
    assert isinstance(key, Unknown) and "regex" in key.reason
    assert one(ld, "AWS::EC2::VPC").get("CidrBlock") == "10.1.0.0/16 10.1.0.5"


def test_count_and_for_each(tmp_path):
    ld = load(tmp_path, '''
variable "buckets" { default = { logs = "acme-logs", data = "acme-data" } }
resource "aws_s3_bucket" "b" {
  for_each = var.buckets
  bucket   = each.value
  tags     = { key = each.key }
}
resource "aws_s3_bucket_versioning" "v" {
  for_each = var.buckets
  bucket   = aws_s3_bucket.b[each.key].id
  versioning_configuration { status = "Enabled" }
}
resource "aws_ebs_volume" "v" {
  count             = 2
  availability_zone = "az-${count.index}"
  encrypted         = count.index == 0
}
resource "aws_ebs_volume" "none" {
  count = 0
  availability_zone = "x"
}''')
    buckets = {r.id: r for r in of(ld, "AWS::S3::Bucket")}
    assert set(buckets) == {'aws_s3_bucket.b["data"]', 'aws_s3_bucket.b["logs"]'}
    assert buckets['aws_s3_bucket.b["logs"]'].name == "acme-logs"
    assert all(b.get("VersioningConfiguration.Status") == "Enabled" for b in buckets.values())
    vols = {r.id: r.get("Encrypted") for r in of(ld, "AWS::EC2::Volume")}
    assert vols == {"aws_ebs_volume.v[0]": True, "aws_ebs_volume.v[1]": False}


def test_unknown_count_gives_one_instance_with_unknowns(tmp_path):
    ld = load(tmp_path, '''
variable "n" {}
resource "aws_ebs_volume" "v" {
  count             = var.n
  availability_zone = "a"
  encrypted         = count.index > 0
}''')
    v = one(ld, "AWS::EC2::Volume")
    assert v.id == "aws_ebs_volume.v" and isinstance(v.get_raw("Encrypted"), Unknown)


def test_dynamic_ingress_over_admin_ports(tmp_path):
    ld = load(tmp_path, '''
locals {
  admin_ports = [22, 3389]
  rules = { ssh = { port = 22, cidr = "0.0.0.0/0" }, web = { port = 443, cidr = "0.0.0.0/0" } }
}
resource "aws_security_group" "g" {
  name = "g"
  dynamic "ingress" {
    for_each = local.admin_ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
      description = "admin ${ingress.key}"
    }
  }
  dynamic "ingress" {
    for_each = local.rules
    iterator = rule
    content {
      from_port   = rule.value.port
      to_port     = rule.value.port
      protocol    = "tcp"
      cidr_blocks = [rule.value.cidr]
      description = rule.key
    }
  }
}''')
    ing = one(ld, "AWS::EC2::SecurityGroup").get("SecurityGroupIngress")
    assert [(r["FromPort"], r["Description"]) for r in ing] == [(22, "admin 0"), (3389, "admin 1"), (22, "ssh"), (443, "web")]


def test_dynamic_over_unknown_collection_gives_unknown_rule(tmp_path):
    ld = load(tmp_path, '''
variable "ports" {}
resource "aws_security_group" "g" {
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}''')
    ing = one(ld, "AWS::EC2::SecurityGroup").get_raw("SecurityGroupIngress")
    assert len(ing) == 1 and isinstance(ing[0]["FromPort"], Unknown)


def test_references_and_computed_attributes(tmp_path):
    ld = load(tmp_path, '''
resource "aws_iam_role" "r" { name = "app-role" }
resource "aws_instance" "i" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_role.r.name
  subnet_id            = aws_subnet.s.id
  user_data            = aws_db_instance.db.endpoint
  key_name             = data.aws_key_pair.k.key_name
}
resource "aws_subnet" "s" { cidr_block = "10.0.1.0/24" }
resource "aws_db_instance" "db" { engine = "mysql" }''')
    i = one(ld, "AWS::EC2::Instance")
    assert i.get("IamInstanceProfile") == "app-role"
    assert i.get("SubnetId") == "aws_subnet.s"
    assert "only after apply" in i.get_raw("UserData").reason
    assert "data.aws_key_pair.k" in i.get_raw("KeyName").reason


def test_self_referencing_locals_do_not_crash(tmp_path):
    ld = load(tmp_path, '''
locals {
  a = local.b
  b = local.a
}
resource "aws_sns_topic" "t" { kms_master_key_id = local.a }''')
    assert isinstance(one(ld, "AWS::SNS::Topic").get_raw("KmsMasterKeyId"), Unknown)


def test_conditional_on_unknown_with_equal_branches_is_known(tmp_path):
    ld = load(tmp_path, '''
variable "x" {}
resource "aws_kms_key" "k" {
  enable_key_rotation = var.x ? true : true
  description         = var.x ? "a" : "b"
}''')
    k = one(ld, "AWS::KMS::Key")
    assert k.get("EnableKeyRotation") is True and isinstance(k.get_raw("Description"), Unknown)


def test_try_file_and_templates(tmp_path):
    (tmp_path / "policy.json").write_text('{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}')
    ld = load(tmp_path, '''
variable "missing" {}
variable "m" { default = {} }
resource "aws_iam_policy" "u" {
  name   = try(var.missing, "not a guess")
  policy = "{}"
}
resource "aws_iam_policy" "p" {
  name   = try(var.m["missing"], "fallback")
  policy = file("${path.module}/policy.json")
}
resource "aws_iam_policy" "t" {
  name   = "t"
  policy = <<-EOT
    {"Statement": [{"Effect": "Allow", "Action": "${lower("S3:*")}", "Resource": "*"}]}
  EOT
}
resource "aws_iam_policy" "d" {
  name   = "d"
  policy = "%{ if true }x%{ endif }"
}''')
    assert isinstance(one(ld, "AWS::IAM::ManagedPolicy", "aws_iam_policy.u").get_raw("ManagedPolicyName"), Unknown)
    p = one(ld, "AWS::IAM::ManagedPolicy", "aws_iam_policy.p")
    assert p.name == "fallback" and p.get("PolicyDocument.Statement.0.Action") == "*"
    assert one(ld, "AWS::IAM::ManagedPolicy", "aws_iam_policy.t").get("PolicyDocument.Statement.0.Action") == "s3:*"
    assert isinstance(one(ld, "AWS::IAM::ManagedPolicy", "aws_iam_policy.d").get_raw("PolicyDocument"), Unknown)


def test_jsonencode_keeps_known_parts_of_a_partly_unknown_policy(tmp_path):
    ld = load(tmp_path, '''
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = data.aws_s3_bucket.b.arn }] })
}''')
    st = one(ld, "AWS::IAM::ManagedPolicy").get_raw("PolicyDocument")["Statement"][0]
    assert st["Action"] == "*" and isinstance(st["Resource"], Unknown)


def test_splat_and_index_references(tmp_path):
    ld = load(tmp_path, '''
resource "aws_security_group" "g" {
  count = 2
  name  = "g${count.index}"
}
resource "aws_instance" "i" {
  ami                    = "ami-1"
  vpc_security_group_ids = aws_security_group.g[*].id
  security_groups        = [aws_security_group.g[1].name]
}''')
    i = one(ld, "AWS::EC2::Instance")
    assert i.get("SecurityGroupIds") == ["aws_security_group.g[0]", "aws_security_group.g[1]"]
    assert i.get("SecurityGroups") == ["g1"]


def test_templatefile(tmp_path):
    (tmp_path / "policy.json.tpl").write_text(
        '{"Statement": [{"Effect": "Allow", "Action": "${action}", "Resource": "${arn}/*"}]}')
    ld = load(tmp_path, '''
resource "aws_s3_bucket" "b" { bucket = "tpl" }
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = templatefile("${path.module}/policy.json.tpl", { action = "s3:*", arn = aws_s3_bucket.b.arn })
}''')
    assert one(ld, "AWS::IAM::ManagedPolicy").get("PolicyDocument.Statement.0") == {
        "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::tpl/*"}


def test_file_outside_the_configuration_is_not_read(tmp_path):
    (tmp_path / "secret.txt").write_text("AKIA-not-for-reports")
    ld = load(tmp_path / "root", '''
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = file("../secret.txt")
}
resource "aws_iam_policy" "q" {
  name   = "q"
  policy = file("/etc/hostname")
}''')
    for r in ld.resources:
        doc = r.get_raw("PolicyDocument")
        assert isinstance(doc, Unknown) and "outside the configuration" in doc.reason


def test_cli_var_for_any_type_keeps_a_bare_word_as_string(tmp_path):
    from railguard.sources.terraform import load_directory

    load(tmp_path, 'variable "n" { type = any }\nresource "aws_sns_topic" "t" { name = var.n }\n')
    assert one(load_directory(tmp_path, variables={"n": "alerts"}), "AWS::SNS::Topic").name == "alerts"


def test_optional_object_attributes_get_their_defaults(tmp_path):
    ld = load(tmp_path, '''
variable "rules" {
  type = map(object({
    port        = number
    protocol    = optional(string, "tcp")
    description = optional(string)
    cidrs       = optional(list(string), ["0.0.0.0/0"])
  }))
  default = {
    ssh = { port = "22" }
    dns = { port = 53, protocol = "udp", cidrs = ["10.0.0.0/8"], description = "dns" }
  }
}
resource "aws_security_group" "g" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = ingress.value.protocol
      cidr_blocks = ingress.value.cidrs
      description = ingress.value.description
    }
  }
}''')
    ing = one(ld, "AWS::EC2::SecurityGroup").get("SecurityGroupIngress")
    assert ing == [
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Description": "dns", "CidrIp": "10.0.0.0/8"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
    ]


def test_can_and_replace_inside_documents(tmp_path):
    ld = load(tmp_path, '''
variable "m" { default = { a = 1 } }
variable "unset" {}
locals {
  doc = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "_ARN_/*", Sid = "_ACCOUNT_" }] })
}
resource "aws_iam_policy" "p" {
  name        = "p"
  policy      = replace(replace(local.doc, "_ARN_", "arn:aws:s3:::b"), "_ACCOUNT_", data.aws_caller_identity.me.account_id)
  description = "${can(var.m["a"])}-${can(var.m["zz"])}"
  path        = can(var.unset)
}''')
    p = one(ld, "AWS::IAM::ManagedPolicy")
    st = p.get_raw("PolicyDocument")["Statement"][0]
    assert st["Action"] == "*" and st["Resource"] == "arn:aws:s3:::b/*" and isinstance(st["Sid"], Unknown)
    assert p.get("Description") == "true-false"
    assert isinstance(p.get_raw("Path"), Unknown)


def test_unknown_names_still_link_resources(tmp_path):
    ld = load(tmp_path, '''
variable "prefix" {}
resource "aws_iam_role" "r" { name = "${var.prefix}-role" }
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.r.name
  policy_arn = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
}
resource "aws_s3_bucket" "b" { bucket = "${var.prefix}-data" }
resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({ Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*",
    Resource = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"],
    Condition = { Bool = { "aws:SecureTransport" = "false" } } }] })
}''')
    role = one(ld, "AWS::IAM::Role")
    assert isinstance(role.get_raw("RoleName"), Unknown)  # the property stays unknown
    assert role.get("ManagedPolicyArns") == ["arn:aws:iam::aws:policy/AWSCloudShellFullAccess"]
    p = one(ld, "AWS::S3::BucketPolicy")
    assert p.get("Bucket") == "aws_s3_bucket.b"
    assert p.get("PolicyDocument.Statement.0.Resource") == ["arn:aws:s3:::aws_s3_bucket.b", "arn:aws:s3:::aws_s3_bucket.b/*"]
