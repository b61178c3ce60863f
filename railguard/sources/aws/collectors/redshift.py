"""Redshift: provisioned clusters of a region, one paginated DescribeClusters.

`AWS::Redshift::Cluster` properties (CloudFormation shape): ClusterIdentifier, PubliclyAccessible,
Encrypted, KmsKeyId, NodeType, MasterUsername, DBName. A flag the API did not report is `Unknown`
(AWS always reports both), so no control guesses it. Tags from Tags.

Live facts: `status` (ClusterStatus), `endpoint` (Endpoint.Address).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource, Unknown
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, tag_map

CLUSTER = "AWS::Redshift::Cluster"

_FLAGS = ("PubliclyAccessible", "Encrypted")
_OPTIONAL = ("KmsKeyId", "NodeType", "MasterUsername", "DBName")


@collector("redshift", yields=[CLUSTER], scope=REGIONAL, calls=["redshift:DescribeClusters"])
def collect_clusters(ctx: CollectContext) -> Iterator[Resource]:
    for c in ctx.paginate("redshift", "describe_clusters", "Clusters", PaginationConfig={"PageSize": 100}):
        yield _cluster(ctx, c)


def _cluster(ctx: CollectContext, c: dict[str, Any]) -> Resource:
    ident = c["ClusterIdentifier"]
    props: dict[str, Any] = {"ClusterIdentifier": ident}
    for key in _FLAGS:
        value = c.get(key)
        props[key] = bool(value) if value is not None else Unknown(f"DescribeClusters did not report {key}")
    for key in _OPTIONAL:
        if c.get(key):
            props[key] = c[key]
    arn = f"arn:{ctx.partition}:redshift:{ctx.region}:{ctx.account}:cluster:{ident}"
    return ctx.resource(CLUSTER, ident, props, arn=arn, tags=tag_map(c.get("Tags")), name=ident,
                        live={"status": c.get("ClusterStatus"), "endpoint": (c.get("Endpoint") or {}).get("Address")})
