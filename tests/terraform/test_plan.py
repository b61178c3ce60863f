"""`terraform show -json` plans through the same mapping."""

from __future__ import annotations

import json

from railguard.model import Unknown
from railguard.sources.terraform import load_plan

from .helpers import of, one


def _res(address, type_, values, index=None):
    name = address.split(".")[-1].split("[")[0]
    r = {"address": address, "mode": "managed", "type": type_, "name": name, "values": values,
         "provider_name": "registry.terraform.io/hashicorp/aws"}
    if index is not None:
        r["index"] = index
    return r


PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.9.0",
    "planned_values": {
        "root_module": {
            "resources": [
                _res("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "plan-bucket", "force_destroy": False, "id": None}),
                _res("aws_s3_bucket_public_access_block.b", "aws_s3_bucket_public_access_block", {
                    "block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
                    "restrict_public_buckets": False}),
                _res("aws_s3_bucket_versioning.b", "aws_s3_bucket_versioning",
                     {"bucket": "plan-bucket", "versioning_configuration": [{"status": "Enabled", "mfa_delete": None}]}),
                {"address": "data.aws_caller_identity.me", "mode": "data", "type": "aws_caller_identity",
                 "name": "me", "values": {}},
            ],
            "child_modules": [{
                "address": "module.net",
                "resources": [
                    _res("module.net.aws_security_group.web[0]", "aws_security_group", {
                        "name": "web", "description": "Managed by Terraform",
                        "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                                     "ipv6_cidr_blocks": [], "description": "", "self": False,
                                     "security_groups": [], "prefix_list_ids": []}],
                        "egress": []}, index=0),
                    _res("module.net.aws_vpc.this", "aws_vpc", {"cidr_block": "10.0.0.0/16"}),
                    _res("module.net.aws_flow_log.f", "aws_flow_log", {"traffic_type": "ALL"}),
                ],
            }],
        }
    },
    "resource_changes": [
        {"address": "aws_s3_bucket_public_access_block.b", "change": {"after_unknown": {"bucket": True, "id": True}}},
        {"address": "module.net.aws_flow_log.f", "change": {"after_unknown": {"vpc_id": True, "arn": True}}},
        {"address": "module.net.aws_security_group.web[0]", "change": {"after_unknown": {"vpc_id": True}}},
    ],
    "configuration": {
        "root_module": {
            "resources": [
                {"address": "aws_s3_bucket_public_access_block.b", "expressions": {
                    "bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}}},
            ],
            "module_calls": {"net": {"module": {"resources": [
                {"address": "aws_flow_log.f", "expressions": {"vpc_id": {"references": ["aws_vpc.this.id", "aws_vpc.this"]}}},
                {"address": "aws_security_group.web", "expressions": {"vpc_id": {"references": ["var.vpc_id"]}}},
            ]}}},
        }
    },
}


def test_plan_maps_and_folds(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(PLAN, indent=2))
    ld = load_plan(p)
    assert not ld.errors and ld.files == [str(p)]
    b = one(ld, "AWS::S3::Bucket")
    assert b.name == "plan-bucket"
    assert b.get("PublicAccessBlockConfiguration.RestrictPublicBuckets") is False
    assert b.get("VersioningConfiguration.Status") == "Enabled"
    sg = one(ld, "AWS::EC2::SecurityGroup")
    assert sg.id == "module.net.aws_security_group.web[0]"
    assert sg.get("SecurityGroupIngress") == [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]
    assert isinstance(sg.get_raw("VpcId"), Unknown)
    assert one(ld, "AWS::EC2::FlowLog").get("ResourceId") == "module.net.aws_vpc.this"
    assert sg.origin.file == str(p) and isinstance(sg.origin.line, int)
    assert not of(ld, "Terraform::aws_caller_identity")


def test_state_json_values_are_read_too(tmp_path):
    state = {"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {"resources": [
        _res("aws_ebs_volume.v", "aws_ebs_volume", {"encrypted": False, "availability_zone": "a"})]}}}
    p = tmp_path / "state.json"
    p.write_text(json.dumps(state))
    assert one(load_plan(p), "AWS::EC2::Volume").get("Encrypted") is False


def test_bad_plans(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"planned_values": \n {')
    err = load_plan(bad).errors[0]
    assert "invalid JSON" in err.message and err.line == 2
    other = tmp_path / "other.json"
    other.write_text('{"Resources": {}}')
    assert "not a Terraform plan" in load_plan(other).errors[0].message
    big = tmp_path / "big.json"
    big.write_text("{}" + " " * 2048)
    assert "limit" in load_plan(big, max_bytes=1024).errors[0].message
