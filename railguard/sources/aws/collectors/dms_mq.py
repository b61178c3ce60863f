"""DMS replication instances and Amazon MQ brokers, per region: where a database copy or a message
broker may face the internet.

- `AWS::DMS::ReplicationInstance` (id = ReplicationInstanceIdentifier): one paginated
  `DescribeReplicationInstances`. Properties: ReplicationInstanceIdentifier,
  ReplicationInstanceClass, EngineVersion, PubliclyAccessible, MultiAZ, KmsKeyId,
  AutoMinorVersionUpgrade. Live facts: status, public_ips.
- `AWS::AmazonMQ::Broker` (id = BrokerId, name = BrokerName): `ListBrokers` (paginated), then one
  `DescribeBroker` per broker (the list does not say whether a broker is public). Properties:
  BrokerName, EngineType, EngineVersion, DeploymentMode, PubliclyAccessible (`Unknown` when the
  describe call failed), AutoMinorVersionUpgrade. Live fact: state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource

DMS_INSTANCE = "AWS::DMS::ReplicationInstance"
MQ_BROKER = "AWS::AmazonMQ::Broker"


@collector("dms", yields=[DMS_INSTANCE], scope=REGIONAL, calls=["dms:DescribeReplicationInstances"])
def collect_dms(ctx: CollectContext) -> Iterator[Resource]:
    for ri in ctx.paginate("dms", "describe_replication_instances", "ReplicationInstances"):
        ident = ri["ReplicationInstanceIdentifier"]
        props: dict[str, Any] = {"ReplicationInstanceIdentifier": ident,
                                 "PubliclyAccessible": bool(ri.get("PubliclyAccessible"))}
        for key in ("ReplicationInstanceClass", "EngineVersion", "MultiAZ", "KmsKeyId", "AutoMinorVersionUpgrade"):
            if ri.get(key) is not None:
                props[key] = ri[key]
        public = [ip for ip in ri.get("ReplicationInstancePublicIpAddresses") or [] if ip]
        yield ctx.resource(DMS_INSTANCE, ident, props, arn=ri.get("ReplicationInstanceArn"), name=ident,
                           live={"status": ri.get("ReplicationInstanceStatus"), "public_ips": public})


@collector("mq", yields=[MQ_BROKER], scope=REGIONAL, calls=["mq:ListBrokers", "mq:DescribeBroker"])
def collect_mq(ctx: CollectContext) -> Iterator[Resource]:
    brokers = list(ctx.paginate("mq", "list_brokers", "BrokerSummaries"))
    yield from per_resource(lambda b: _broker(ctx, b), brokers)


def _broker(ctx: CollectContext, summary: dict[str, Any]) -> Resource:
    bid, name = summary["BrokerId"], summary.get("BrokerName") or summary["BrokerId"]
    props: dict[str, Any] = {"BrokerName": name}
    for key in ("EngineType", "DeploymentMode"):
        if summary.get(key) is not None:
            props[key] = summary[key]
    try:
        b = ctx.client("mq").describe_broker(BrokerId=bid)
        props["PubliclyAccessible"] = bool(b.get("PubliclyAccessible"))
        for key in ("EngineVersion", "AutoMinorVersionUpgrade"):
            if b.get(key) is not None:
                props[key] = b[key]
    except Exception as exc:
        props["PubliclyAccessible"] = ctx.unknown(exc, "mq:DescribeBroker")
    return ctx.resource(MQ_BROKER, bid, props, arn=summary.get("BrokerArn"), name=name,
                        live={"state": summary.get("BrokerState")})
