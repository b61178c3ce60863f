"""RDS: DB instances (one paginated DescribeDBInstances), DB clusters (one paginated DescribeDBClusters)
and manual DB and cluster snapshots of a region.

`AWS::RDS::DBInstance` properties (CloudFormation shape): DBInstanceIdentifier, Engine,
EngineVersion, DBInstanceClass, StorageEncrypted, KmsKeyId, PubliclyAccessible,
AutoMinorVersionUpgrade, MultiAZ, DBClusterIdentifier (Aurora members only). Tags from TagList.
A flag the API did not report (moto leaves PubliclyAccessible out when it was not given at
creation; real AWS always reports it) is `Unknown`, so no control guesses it.

Live facts: `status` (DBInstanceStatus).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource, Unknown
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource, tag_map

DB_INSTANCE = "AWS::RDS::DBInstance"

_FLAGS = ("StorageEncrypted", "PubliclyAccessible", "AutoMinorVersionUpgrade", "MultiAZ")
_OPTIONAL = ("Engine", "EngineVersion", "DBInstanceClass", "KmsKeyId", "DBClusterIdentifier")


@collector("rds", yields=[DB_INSTANCE], scope=REGIONAL, calls=["rds:DescribeDBInstances"])
def collect_rds(ctx: CollectContext) -> Iterator[Resource]:
    for db in ctx.paginate("rds", "describe_db_instances", "DBInstances", PaginationConfig={"PageSize": 100}):
        yield _instance(ctx, db)


def _instance(ctx: CollectContext, db: dict[str, Any]) -> Resource:
    ident = db["DBInstanceIdentifier"]
    props: dict[str, Any] = {"DBInstanceIdentifier": ident}
    for key in _FLAGS:
        value = db.get(key)
        props[key] = bool(value) if value is not None else Unknown(f"DescribeDBInstances did not report {key}")
    for key in _OPTIONAL:
        if db.get(key):
            props[key] = db[key]
    tags = tag_map(db.get("TagList"))
    return ctx.resource(
        DB_INSTANCE, ident, props, arn=db.get("DBInstanceArn"), tags=tags,
        live={"status": db.get("DBInstanceStatus")}, name=ident,
    )


# ---------------------------------------------------------------- DB clusters (Aurora, Multi-AZ DB clusters)

DB_CLUSTER = "AWS::RDS::DBCluster"
_CLUSTER_KEYS = ("StorageEncrypted", "DeletionProtection", "BackupRetentionPeriod")
_CLUSTER_OPTIONAL = ("Engine", "EngineVersion", "EngineMode", "KmsKeyId")


@collector("rds-clusters", yields=[DB_CLUSTER], scope=REGIONAL, calls=["rds:DescribeDBClusters"])
def collect_rds_clusters(ctx: CollectContext) -> Iterator[Resource]:
    """`AWS::RDS::DBCluster` in the CloudFormation shape the cluster controls read; a value the API
    did not report is `Unknown` (never a default that could PASS)."""
    for c in ctx.paginate("rds", "describe_db_clusters", "DBClusters", PaginationConfig={"PageSize": 100}):
        ident = c["DBClusterIdentifier"]
        props: dict[str, Any] = {"DBClusterIdentifier": ident}
        for key in _CLUSTER_KEYS:
            props[key] = c[key] if c.get(key) is not None else Unknown(f"DescribeDBClusters did not report {key}")
        for key in _CLUSTER_OPTIONAL:
            if c.get(key):
                props[key] = c[key]
        yield ctx.resource(DB_CLUSTER, ident, props, arn=c.get("DBClusterArn"), tags=tag_map(c.get("TagList")),
                           live={"status": c.get("Status")}, name=ident)


# ---------------------------------------------------------------- manual snapshots and who may restore them

DB_SNAPSHOT = "AWS::RDS::DBSnapshot"  # AWS Config's type names (CloudFormation has no snapshot types)
DB_CLUSTER_SNAPSHOT = "AWS::RDS::DBClusterSnapshot"


@collector(
    "rds-snapshots",
    yields=[DB_SNAPSHOT, DB_CLUSTER_SNAPSHOT],
    scope=REGIONAL,
    calls=["rds:DescribeDBSnapshots", "rds:DescribeDBSnapshotAttributes",
           "rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusterSnapshotAttributes"],
)
def collect_rds_snapshots(ctx: CollectContext) -> Iterator[Resource]:
    """Manual snapshots only (automated ones cannot be shared), then one attributes call per manual
    snapshot, the only way to read its `restore` attribute. Shapes: `AWS::RDS::DBSnapshot`
    {DBSnapshotIdentifier, DBInstanceIdentifier, Engine, Encrypted, SnapshotType} and
    `AWS::RDS::DBClusterSnapshot` {DBClusterSnapshotIdentifier, DBClusterIdentifier, Engine,
    StorageEncrypted, SnapshotType}; live fact `restore`: the accounts allowed to restore it (`all`
    means everyone), or `Unknown` when the attributes call failed."""
    if ctx.wants(DB_SNAPSHOT):
        snaps = list(ctx.paginate("rds", "describe_db_snapshots", "DBSnapshots", SnapshotType="manual"))
        yield from per_resource(lambda s: _snapshot(ctx, s, cluster=False), snaps)
    if ctx.wants(DB_CLUSTER_SNAPSHOT):
        snaps = list(ctx.paginate("rds", "describe_db_cluster_snapshots", "DBClusterSnapshots", SnapshotType="manual"))
        yield from per_resource(lambda s: _snapshot(ctx, s, cluster=True), snaps)


def _restore_accounts(ctx: CollectContext, ident: str, *, cluster: bool) -> Any:
    op = "describe_db_cluster_snapshot_attributes" if cluster else "describe_db_snapshot_attributes"
    try:
        if cluster:
            answer = ctx.client("rds").describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=ident)
            attrs = (answer.get("DBClusterSnapshotAttributesResult") or {}).get("DBClusterSnapshotAttributes")
        else:
            answer = ctx.client("rds").describe_db_snapshot_attributes(DBSnapshotIdentifier=ident)
            attrs = (answer.get("DBSnapshotAttributesResult") or {}).get("DBSnapshotAttributes")
    except Exception as exc:
        return ctx.unknown(exc, op)
    return sorted({v for a in attrs or [] if a.get("AttributeName") == "restore" for v in a.get("AttributeValues") or []})


def _snapshot(ctx: CollectContext, s: dict[str, Any], *, cluster: bool) -> Resource:
    if cluster:
        ident, type_ = s["DBClusterSnapshotIdentifier"], DB_CLUSTER_SNAPSHOT
        props = {"DBClusterSnapshotIdentifier": ident, "DBClusterIdentifier": s.get("DBClusterIdentifier"),
                 "StorageEncrypted": bool(s.get("StorageEncrypted"))}
        arn = s.get("DBClusterSnapshotArn")
    else:
        ident, type_ = s["DBSnapshotIdentifier"], DB_SNAPSHOT
        props = {"DBSnapshotIdentifier": ident, "DBInstanceIdentifier": s.get("DBInstanceIdentifier"),
                 "Encrypted": bool(s.get("Encrypted"))}
        arn = s.get("DBSnapshotArn")
    props.update({"Engine": s.get("Engine"), "SnapshotType": s.get("SnapshotType")})
    return ctx.resource(type_, ident, props, arn=arn, tags=tag_map(s.get("TagList")), name=ident,
                        live={"restore": _restore_accounts(ctx, ident, cluster=cluster)})
