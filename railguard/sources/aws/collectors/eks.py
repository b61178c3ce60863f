"""EKS: clusters of a region, `ListClusters` (paginated) then `DescribeCluster` once per cluster.

`AWS::EKS::Cluster` properties (CloudFormation shape): Name, Version, RoleArn, ResourcesVpcConfig
(EndpointPublicAccess, EndpointPrivateAccess, PublicAccessCidrs, SubnetIds, SecurityGroupIds),
EncryptionConfig ([{Resources, Provider: {KeyArn}}]; [] without one). An endpoint flag the API did
not report is `Unknown` (AWS always reports them); a failed DescribeCluster makes both properties
`Unknown` for that cluster. Live facts: status, endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource, Unknown
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource

CLUSTER = "AWS::EKS::Cluster"
_VPC = (("endpointPublicAccess", "EndpointPublicAccess"), ("endpointPrivateAccess", "EndpointPrivateAccess"),
        ("publicAccessCidrs", "PublicAccessCidrs"))


@collector("eks", yields=[CLUSTER], scope=REGIONAL, calls=["eks:ListClusters", "eks:DescribeCluster"])
def collect_clusters(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("eks")

    def read(name: str) -> Resource:
        try:
            c = client.describe_cluster(name=name)["cluster"]
        except Exception as exc:
            u = ctx.unknown(exc, "eks:DescribeCluster")
            return ctx.resource(CLUSTER, name, {"Name": name, "ResourcesVpcConfig": u, "EncryptionConfig": u}, name=name)
        return _cluster(ctx, c)

    yield from per_resource(read, list(ctx.paginate("eks", "list_clusters", "clusters")))


def _cluster(ctx: CollectContext, c: dict[str, Any]) -> Resource:
    name = c["name"]
    vpc_in = c.get("resourcesVpcConfig") or {}
    vpc: dict[str, Any] = {}
    for api, cfn in _VPC:
        value = vpc_in.get(api)
        vpc[cfn] = value if value is not None else Unknown(f"DescribeCluster did not report {api}")
    vpc["SubnetIds"] = vpc_in.get("subnetIds") or []
    vpc["SecurityGroupIds"] = vpc_in.get("securityGroupIds") or []
    encs = [{"Resources": e.get("resources") or [], "Provider": {"KeyArn": (e.get("provider") or {}).get("keyArn")}}
            for e in c.get("encryptionConfig") or []]
    props: dict[str, Any] = {"Name": name, "ResourcesVpcConfig": vpc, "EncryptionConfig": encs}
    for api, cfn in (("version", "Version"), ("roleArn", "RoleArn")):
        if c.get(api):
            props[cfn] = c[api]
    arn = c.get("arn")
    return ctx.resource(CLUSTER, arn or name, props, arn=arn, name=name, tags=dict(c.get("tags") or {}),
                        live={"status": c.get("status"), "endpoint": c.get("endpoint")})
