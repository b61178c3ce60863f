"""Control families of issue 15 point 2: security groups open to the world on all ports or on
high-risk (database, cache, queue) ports, and RDS DB cluster encryption, deletion protection and
backups. Pure tests here; template fixtures under tests/fixtures/iac; live ones under moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from railguard.controls import get_control
from railguard.model import Resource, Result, Unknown
from tests.controls.test_ec2 import result, rule, sg
from tests.livehelp import live_inventory, results, run_control

ALL = "ec2.sg-all-ports-open-to-world"
RISK = "ec2.sg-high-risk-port-open-to-world"


def test_all_ports() -> None:
    assert result(ALL, sg([rule("-1", None, None)])) == Result.FAIL
    assert result(ALL, sg([rule("tcp", 0, 65535, v6="::/0", cidr=None)])) == Result.FAIL
    assert result(ALL, sg([rule("udp", 1, 65535)])) == Result.FAIL
    assert result(ALL, sg([rule("tcp", 1, 1024)])) == Result.PASS  # wide, not every port
    assert result(ALL, sg([rule("-1", None, None, cidr="10.0.0.0/8")])) == Result.PASS
    assert result(ALL, sg([rule("icmp", -1, -1)])) == Result.PASS
    assert result(ALL, sg([rule(Unknown("var.proto"), 0, 65535)])) == Result.UNKNOWN
    assert result(ALL, sg(Unknown("!If unresolved"))) == Result.UNKNOWN


def test_high_risk_ports() -> None:
    for port in (3306, 5432, 6379, 11211, 27017, 9200, 5672):
        assert result(RISK, sg([rule("tcp", port, port)])) == Result.FAIL, port
    assert result(RISK, sg([rule("tcp", 5432, 5432, "10.0.0.0/16")])) == Result.PASS
    assert result(RISK, sg([rule("tcp", 443, 443)])) == Result.PASS
    assert result(RISK, sg([rule("-1", None, None)])) == Result.FAIL
    # adjacent halves make the whole IPv4 space
    assert result(RISK, sg([rule("tcp", 6379, 6379, "0.0.0.0/1"), rule("tcp", 6379, 6379, "128.0.0.0/1")])) == Result.FAIL
    # the ports are a parameter (AWS FSBP EC2.19 pins its own list)
    assert result(RISK, sg([rule("tcp", 6379, 6379)]), params={"ports": [3306]}) == Result.PASS


def test_high_risk_finding_blames_the_rule() -> None:
    from railguard.sources.loaded import Piece

    piece = Piece({"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "CidrIp": "0.0.0.0/0"}, "rules.tf", 12)
    from tests.controls.test_ec2 import verdict

    v = verdict(RISK, sg([piece]))
    assert v.result == Result.FAIL and v.evidence["file"] == "rules.tf" and v.evidence["line"] == 12


def _cluster(**props: Any) -> Resource:
    from railguard.model import Origin

    return Resource("AWS::RDS::DBCluster", "Cluster", {"Engine": "aurora-mysql", **props},
                    origin=Origin(file="t.yaml", line=3))


def test_cluster_storage_encrypted() -> None:
    c = "rds.cluster-storage-encrypted"
    assert get_control(c).places == frozenset({"iac", "live"})  # live: DescribeDBClusters
    assert result(c, _cluster(StorageEncrypted=True)) == Result.PASS
    assert result(c, _cluster(StorageEncrypted=False)) == Result.FAIL
    assert result(c, _cluster()) == Result.FAIL
    assert result(c, _cluster(EngineMode="serverless")) == Result.PASS
    assert result(c, _cluster(SnapshotIdentifier="snap-1")) == Result.UNKNOWN
    assert result(c, _cluster(StorageEncrypted=Unknown("param Enc"))) == Result.UNKNOWN


def test_cluster_deletion_protection_and_backups() -> None:
    assert result("rds.cluster-deletion-protection", _cluster(DeletionProtection=True)) == Result.PASS
    assert result("rds.cluster-deletion-protection", _cluster()) == Result.FAIL
    b = "rds.cluster-backup-retention"
    assert result(b, _cluster()) == Result.FAIL  # default: 1 day
    assert result(b, _cluster(BackupRetentionPeriod="7")) == Result.PASS
    assert result(b, _cluster(BackupRetentionPeriod=3), params={"min_days": 3}) == Result.PASS
    assert result(b, _cluster(BackupRetentionPeriod=Unknown("param Days"))) == Result.UNKNOWN


# ---- live, under moto -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


def _group(ec2: Any, vpc: str, name: str, perms: list[dict[str, Any]]) -> None:
    gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)


def test_live_world_open_families(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    _group(ec2, vpc, "all-world", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    _group(ec2, vpc, "pg-world", [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                   "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    _group(ec2, vpc, "pg-vpc", [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                 "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    _group(ec2, vpc, "https", [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    inv = live_inventory(["AWS::EC2::SecurityGroup"])
    every = results(run_control(ALL, inventory=inv))
    assert every["all-world"] == Result.FAIL
    assert every["pg-world"] == every["pg-vpc"] == every["https"] == Result.PASS
    risky = results(run_control(RISK, inventory=inv))
    assert risky["all-world"] == risky["pg-world"] == Result.FAIL
    assert risky["pg-vpc"] == risky["https"] == Result.PASS


def _repo(**props: Any) -> Resource:
    from railguard.model import Origin

    return Resource("AWS::ECR::Repository", "Repo", {"RepositoryName": "app", **props}, origin=Origin(file="t.yaml", line=3))


def test_ecr_scan_on_push_and_tag_immutability() -> None:
    assert result("ecr.scan-on-push", _repo(ImageScanningConfiguration={"ScanOnPush": True})) == Result.PASS
    assert result("ecr.scan-on-push", _repo()) == Result.FAIL
    assert result("ecr.scan-on-push", _repo(ImageScanningConfiguration={"ScanOnPush": Unknown("var.scan")})) == Result.UNKNOWN
    assert result("ecr.tag-immutability", _repo(ImageTagMutability="IMMUTABLE")) == Result.PASS
    assert result("ecr.tag-immutability", _repo()) == Result.FAIL
    assert result("ecr.tag-immutability", _repo(ImageTagMutability="MUTABLE")) == Result.FAIL


def test_live_ecr_repositories(aws: None) -> None:
    ecr = boto3.client("ecr", region_name="us-east-1")
    ecr.create_repository(repositoryName="loose")
    ecr.create_repository(repositoryName="tight", imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True})
    inv = live_inventory(["AWS::ECR::Repository"])
    scan = results(run_control("ecr.scan-on-push", inventory=inv))
    tags = results(run_control("ecr.tag-immutability", inventory=inv))
    assert scan == {"loose": Result.FAIL, "tight": Result.PASS}
    assert tags == {"loose": Result.FAIL, "tight": Result.PASS}
