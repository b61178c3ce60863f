"""Control families of issue 15 point 2, second part: public RDS snapshots, Lambda function URLs
without auth, API Gateway methods without authorization, secrets in EC2 user data, IAM
privilege-escalation paths, launch templates and configurations with public IPs, public DMS
replication instances and MQ brokers. Pure tests and live (moto) tests here; template fixtures
under tests/fixtures/iac/{cfn,tf}/<control-id>/."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from railguard.model import Resource, Result
from railguard.sources.aws.session import CallCounter
from tests.controls.test_ec2 import result
from tests.livehelp import live_inventory, results, run_control


@pytest.fixture(autouse=True)
def _no_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


def _live(type_: str, id_: str, props: dict[str, Any], **live: Any) -> Resource:
    from railguard.model import Origin

    return Resource(type_, id_, props, account="111111111111", region="us-east-1",
                    origin=Origin(account="111111111111", region="us-east-1"), live=live, name=id_)


# ---- a. RDS snapshots -------------------------------------------------------------------------------

SNAP = "rds.snapshot-public"


def test_snapshot_public_pure() -> None:
    from railguard.model import Unknown

    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=["all"])) == Result.FAIL
    assert result(SNAP, _live("AWS::RDS::DBClusterSnapshot", "c", {}, restore=["all", "222222222222"])) == Result.FAIL
    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=["222222222222"])) == Result.PASS
    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=[])) == Result.PASS
    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=Unknown("AccessDenied"))) == Result.UNKNOWN


def test_live_rds_snapshots(aws: None) -> None:
    rds = boto3.client("rds", region_name="us-east-1")
    rds.create_db_instance(DBInstanceIdentifier="db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="x" * 12)
    rds.create_db_snapshot(DBSnapshotIdentifier="open-snap", DBInstanceIdentifier="db")
    rds.create_db_snapshot(DBSnapshotIdentifier="shut-snap", DBInstanceIdentifier="db")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="open-snap", AttributeName="restore", ValuesToAdd=["all"])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="shut-snap", AttributeName="restore",
                                     ValuesToAdd=["222222222222"])
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="x" * 12)
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="open-csnap", DBClusterIdentifier="aurora")
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="shut-csnap", DBClusterIdentifier="aurora")
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="open-csnap", AttributeName="restore",
                                             ValuesToAdd=["all"])
    counter = CallCounter()
    inv = live_inventory(["AWS::RDS::DBSnapshot", "AWS::RDS::DBClusterSnapshot"], counter=counter)
    got = results(run_control(SNAP, inventory=inv))
    assert got == {"open-snap": Result.FAIL, "shut-snap": Result.PASS,
                   "open-csnap": Result.FAIL, "shut-csnap": Result.PASS}
    calls = counter.snapshot()
    # one list call per kind, one attributes call per manual snapshot, nothing else
    assert calls.get("rds:DescribeDBSnapshotAttributes") == 2
    assert calls.get("rds:DescribeDBClusterSnapshotAttributes") == 2
    assert "rds:DescribeDBInstances" not in calls
