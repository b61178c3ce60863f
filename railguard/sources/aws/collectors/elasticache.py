"""ElastiCache: replication groups (Redis OSS / Valkey) of a region, one paginated
DescribeReplicationGroups; one paginated DescribeCacheClusters more only when a selected control
reads the `AWS::ElastiCache::ReplicationGroup#EngineVersion` facet (replication groups do not
report their engine version; their member clusters do).

`AWS::ElastiCache::ReplicationGroup` properties (CloudFormation shape): ReplicationGroupId,
TransitEncryptionEnabled, TransitEncryptionMode, AtRestEncryptionEnabled, KmsKeyId, UserGroupIds,
Engine, EngineVersion (`Unknown` when the facet was not read or no member reported it). The AUTH
token is never returned: live fact `auth_token_enabled` (AuthTokenEnabled). Live facts: status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource, Unknown
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

GROUP = "AWS::ElastiCache::ReplicationGroup"
ENGINE_VERSION = "AWS::ElastiCache::ReplicationGroup#EngineVersion"


@collector("elasticache", yields=[GROUP, ENGINE_VERSION], scope=REGIONAL,
           calls=["elasticache:DescribeReplicationGroups", "elasticache:DescribeCacheClusters"])
def collect_replication_groups(ctx: CollectContext) -> Iterator[Resource]:
    groups = list(ctx.paginate("elasticache", "describe_replication_groups", "ReplicationGroups"))
    versions: dict[str, Any] | Unknown = ctx.not_collected(ENGINE_VERSION)
    if groups and ctx.wants(ENGINE_VERSION):
        try:
            versions = {c["ReplicationGroupId"]: c.get("EngineVersion")
                        for c in ctx.paginate("elasticache", "describe_cache_clusters", "CacheClusters")
                        if c.get("ReplicationGroupId")}
        except Exception as exc:
            versions = ctx.unknown(exc, "elasticache:DescribeCacheClusters")
    for g in groups:
        yield _group(ctx, g, versions)


def _group(ctx: CollectContext, g: dict[str, Any], versions: dict[str, Any] | Unknown) -> Resource:
    ident = g["ReplicationGroupId"]
    props: dict[str, Any] = {
        "ReplicationGroupId": ident,
        "TransitEncryptionEnabled": bool(g.get("TransitEncryptionEnabled")),
        "AtRestEncryptionEnabled": bool(g.get("AtRestEncryptionEnabled")),
        "UserGroupIds": list(g.get("UserGroupIds") or []),
    }
    for key in ("TransitEncryptionMode", "KmsKeyId", "Engine"):
        if g.get(key):
            props[key] = g[key]
    if isinstance(versions, Unknown):
        props["EngineVersion"] = versions
    else:
        props["EngineVersion"] = versions.get(ident) or Unknown("no member cluster reported its engine version")
    arn = g.get("ARN")
    return ctx.resource(GROUP, arn or ident, props, arn=arn, name=ident,
                        live={"auth_token_enabled": bool(g.get("AuthTokenEnabled")), "status": g.get("Status")})
