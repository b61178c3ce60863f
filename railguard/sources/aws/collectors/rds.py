"""RDS: DB instances of a region, one paginated DescribeDBInstances.

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
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, tag_map

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
