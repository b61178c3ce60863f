"""RDS controls on hand-built CloudFormation-shaped DB instances (template and live)."""

from __future__ import annotations

from typing import Any

from railguard.controls import IAC, LIVE, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Origin, Resource, Result, Unknown

ACCT = "123456789012"


def tpl(logical: str, **props: Any) -> Resource:
    return Resource("AWS::RDS::DBInstance", logical, props, origin=Origin(file="db.yaml", line=5))


def live(ident: str, tags: dict[str, str] | None = None, **props: Any) -> Resource:
    base = {"DBInstanceIdentifier": ident, "StorageEncrypted": True, "PubliclyAccessible": False,
            "AutoMinorVersionUpgrade": True, "MultiAZ": True, "Engine": "postgres"}
    return Resource("AWS::RDS::DBInstance", ident, {**base, **props}, account=ACCT, region="us-east-1",
                    origin=Origin(account=ACCT, region="us-east-1"), tags=tags or {}, name=ident)


def check(control_id: str, *resources: Resource, place: str = IAC, **params: Any) -> dict[str, Result]:
    c = get_control(control_id)
    findings = evaluate([PlannedControl(c, {**c.params, **params})], Inventory(resources), place=place)
    return {f.resource_id: f.result for f in findings}


def test_storage_encrypted() -> None:
    out = check("rds.storage-encrypted", tpl("Enc", StorageEncrypted=True), tpl("Plain"),
                tpl("Str", StorageEncrypted="true"), tpl("Member", DBClusterIdentifier="aurora"),
                tpl("FromSnap", DBSnapshotIdentifier="snap-1"), tpl("Unres", StorageEncrypted=Unknown("!Ref E")))
    assert out == {"Enc": Result.PASS, "Plain": Result.FAIL, "Str": Result.PASS, "Member": Result.UNKNOWN,
                   "FromSnap": Result.UNKNOWN, "Unres": Result.UNKNOWN}
    live_out = check("rds.storage-encrypted", live("enc-db"), live("plain-db", StorageEncrypted=False), place=LIVE)
    assert live_out == {"enc-db": Result.PASS, "plain-db": Result.FAIL}


def test_auto_minor_version_upgrade() -> None:
    out = check("rds.auto-minor-version-upgrade", tpl("Default"), tpl("Off", AutoMinorVersionUpgrade="false"),
                tpl("On", AutoMinorVersionUpgrade=True), tpl("Unres", AutoMinorVersionUpgrade=Unknown("!Ref X")))
    assert out == {"Default": Result.PASS, "Off": Result.FAIL, "On": Result.PASS, "Unres": Result.UNKNOWN}
    assert check("rds.auto-minor-version-upgrade", live("off-db", AutoMinorVersionUpgrade=False),
                 place=LIVE) == {"off-db": Result.FAIL}


def test_publicly_accessible() -> None:
    out = check("rds.publicly-accessible", tpl("Default"), tpl("Public", PubliclyAccessible=True),
                tpl("Private", PubliclyAccessible="false"), tpl("Unres", PubliclyAccessible=Unknown("!Ref P")))
    assert out == {"Default": Result.PASS, "Public": Result.FAIL, "Private": Result.PASS, "Unres": Result.UNKNOWN}
    pub = live("pub-db", PubliclyAccessible=True)
    tagged = live("tagged-db", tags={"exposure": "public"}, PubliclyAccessible=True)
    unreported = live("unk-db", PubliclyAccessible=Unknown("DescribeDBInstances did not report PubliclyAccessible"))
    assert check("rds.publicly-accessible", pub, tagged, unreported, place=LIVE) == {
        "pub-db": Result.FAIL, "tagged-db": Result.FAIL, "unk-db": Result.UNKNOWN}
    allowed = check("rds.publicly-accessible", pub, tagged, place=LIVE, public_tag="exposure=public")
    assert allowed == {"pub-db": Result.FAIL, "tagged-db": Result.PASS}


def test_multi_az() -> None:
    out = check("rds.multi-az", tpl("Single"), tpl("Multi", MultiAZ=True), tpl("Member", DBClusterIdentifier="c1"),
                tpl("Unres", MultiAZ=Unknown("!If")))
    assert out == {"Single": Result.FAIL, "Multi": Result.PASS, "Member": Result.UNKNOWN, "Unres": Result.UNKNOWN}
    assert check("rds.multi-az", live("one-db", MultiAZ=False), place=LIVE) == {"one-db": Result.FAIL}
    assert get_control("rds.multi-az").places == frozenset({LIVE, IAC})


def test_public_tag_forms() -> None:
    key_only = live("k-db", tags={"railguard:public": "yes"}, PubliclyAccessible=True)
    said_no = live("no-db", tags={"railguard:public": "false"}, PubliclyAccessible=True)
    out = check("rds.publicly-accessible", key_only, said_no, place=LIVE, public_tag="railguard:public")
    assert out == {"k-db": Result.PASS, "no-db": Result.FAIL}
    t = tpl("Public", PubliclyAccessible=True, Tags=[{"Key": "railguard:public", "Value": "true"}])
    assert check("rds.publicly-accessible", t, public_tag="railguard:public") == {"Public": Result.PASS}


def test_live_cluster_controls_against_moto(aws: None) -> None:
    """Aurora clusters read live (one DescribeDBClusters): an unencrypted, unprotected cluster with a
    day of backups fails all three; an encrypted, protected one keeping 7 days passes."""
    import boto3

    from railguard.sources.aws.session import CallCounter
    from tests.livehelp import live_inventory, results, run_control

    rds = boto3.client("rds", region_name="us-east-1")
    rds.create_db_cluster(DBClusterIdentifier="weak", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="x" * 12, StorageEncrypted=False, DeletionProtection=False,
                          BackupRetentionPeriod=1)
    rds.create_db_cluster(DBClusterIdentifier="strong", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="x" * 12, StorageEncrypted=True, DeletionProtection=True,
                          BackupRetentionPeriod=7)
    counter = CallCounter()
    inv = live_inventory(["AWS::RDS::DBCluster"], counter=counter)
    for cid in ("rds.cluster-storage-encrypted", "rds.cluster-deletion-protection", "rds.cluster-backup-retention"):
        assert results(run_control(cid, inventory=inv)) == {"weak": Result.FAIL, "strong": Result.PASS}, cid
    assert counter.snapshot().get("rds:DescribeDBClusters") == 1
    assert "rds:DescribeDBInstances" not in counter.snapshot()


def test_a_cluster_value_the_api_left_out_is_unknown() -> None:
    c = Resource("AWS::RDS::DBCluster", "c", {"StorageEncrypted": Unknown("DescribeDBClusters did not report it")},
                 account=ACCT, region="us-east-1", origin=Origin(account=ACCT, region="us-east-1"))
    assert check("rds.cluster-storage-encrypted", c, place=LIVE) == {"c": Result.UNKNOWN}
