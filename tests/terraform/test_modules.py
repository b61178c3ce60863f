"""Local modules: inputs, outputs, addresses, count/for_each, remote sources, circular references."""

from __future__ import annotations

from pathlib import Path

from railguard.model import Unknown

from .helpers import load, of, one

NET_MODULE = {
    "modules/net/main.tf": '''
variable "ports" { default = [22] }
variable "name" {}
resource "aws_vpc" "this" { cidr_block = "10.0.0.0/16" }
resource "aws_security_group" "web" {
  count  = 1
  name   = var.name
  vpc_id = aws_vpc.this.id
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
output "vpc_id" { value = aws_vpc.this.id }
''',
}


def test_module_inputs_outputs_and_addresses(tmp_path):
    ld = load(tmp_path, '''
module "net" {
  source = "./modules/net"
  name   = "web-${local.env}"
  ports  = [22, 3389]
}
locals { env = "prod" }
resource "aws_flow_log" "f" {
  vpc_id       = module.net.vpc_id
  traffic_type = "ALL"
}''', files=NET_MODULE)
    sg = one(ld, "AWS::EC2::SecurityGroup")
    assert sg.id == "module.net.aws_security_group.web[0]" and sg.name == "web-prod"
    assert sg.origin.file.endswith("modules/net/main.tf") and sg.origin.line == 5
    assert [r["FromPort"] for r in sg.get("SecurityGroupIngress")] == [22, 3389]
    assert sg.get("VpcId") == "module.net.aws_vpc.this"
    assert one(ld, "AWS::EC2::FlowLog").get("ResourceId") == one(ld, "AWS::EC2::VPC").id == "module.net.aws_vpc.this"
    assert not ld.errors
    assert any(f.endswith("modules/net/main.tf") for f in ld.files)


def test_module_files_keep_relative_paths(tmp_path, monkeypatch):
    from railguard.sources.terraform import load_directory

    load(tmp_path / "root", 'module "net" {\n  source = "../modules/net"\n  name = "n"\n}\n',
         files={"../" + k: v for k, v in NET_MODULE.items()})
    monkeypatch.chdir(tmp_path)
    ld = load_directory(Path("root"))
    assert sorted(ld.files) == ["modules/net/main.tf", "root/main.tf"]
    assert one(ld, "AWS::EC2::SecurityGroup").origin.file == "modules/net/main.tf"


def test_module_count_and_for_each(tmp_path):
    ld = load(tmp_path, '''
module "a" {
  count  = 2
  source = "./modules/net"
  name   = "a${count.index}"
}
module "b" {
  for_each = toset(["x", "y"])
  source   = "./modules/net"
  name     = "b-${each.key}"
}''', files=NET_MODULE)
    ids = sorted(r.id for r in of(ld, "AWS::EC2::SecurityGroup"))
    assert ids == [
        "module.a[0].aws_security_group.web[0]", "module.a[1].aws_security_group.web[0]",
        'module.b["x"].aws_security_group.web[0]', 'module.b["y"].aws_security_group.web[0]',
    ]
    assert sorted(r.name for r in of(ld, "AWS::EC2::SecurityGroup")) == ["a0", "a1", "b-x", "b-y"]


def test_remote_module_outputs_are_unknown(tmp_path):
    ld = load(tmp_path, '''
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
resource "aws_flow_log" "f" {
  vpc_id       = module.vpc.vpc_id
  traffic_type = "ALL"
}''')
    assert isinstance(one(ld, "AWS::EC2::FlowLog").get_raw("ResourceId"), Unknown)
    assert not ld.errors


def test_circular_module_reference_is_a_parse_error(tmp_path):
    ld = load(tmp_path, '''
module "a" { source = "./a" }
resource "aws_sns_topic" "t" { name = "still-loaded" }''', files={
        "a/main.tf": 'module "b" {\n  source = "../b"\n}\nresource "aws_sqs_queue" "q" { name = "qa" }\n',
        "b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
    })
    assert [e.message for e in ld.errors if "circular" in e.message]
    err = next(e for e in ld.errors if "circular" in e.message)
    assert err.file.endswith("b/main.tf") and err.line == 1
    assert one(ld, "AWS::SNS::Topic").name == "still-loaded"
    assert one(ld, "AWS::SQS::Queue").id == "module.a.aws_sqs_queue.q"


def test_module_calling_its_own_directory(tmp_path):
    ld = load(tmp_path, 'module "self" {\n  source = "./"\n}\n')
    assert any("circular" in e.message for e in ld.errors)


def test_missing_module_directory(tmp_path):
    ld = load(tmp_path, 'module "x" {\n  source = "./nope"\n}\n')
    assert any("not a directory" in e.message and e.line == 1 for e in ld.errors)


def test_registry_module_installed_by_terraform_init_is_read(tmp_path):
    manifest = ('{"Modules": [{"Key": "", "Source": "", "Dir": "."},'
                ' {"Key": "net", "Source": "registry.terraform.io/acme/net/aws", "Version": "1.0.0",'
                ' "Dir": ".terraform/modules/net"}]}')
    ld = load(tmp_path, '''
module "net" {
  source  = "acme/net/aws"
  version = "1.0.0"
  name    = "from-registry"
}''', files={".terraform/modules/modules.json": manifest,
             **{".terraform/modules/net/main.tf": NET_MODULE["modules/net/main.tf"]}})
    sg = one(ld, "AWS::EC2::SecurityGroup")
    assert sg.id == "module.net.aws_security_group.web[0]" and sg.name == "from-registry"
    assert not ld.errors
