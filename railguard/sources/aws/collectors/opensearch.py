"""OpenSearch Service domains: `AWS::OpenSearchService::Domain`, per region.

Calls per region: `ListDomainNames`, then `DescribeDomains` for five domains at a time (its
limit). Elasticsearch domains are OpenSearch Service domains too and come back from the same calls.

Properties (CloudFormation shape): DomainName, EngineVersion, AccessPolicies (parsed JSON; None
without one), VPCOptions (SubnetIds, SecurityGroupIds), EncryptionAtRestOptions (Enabled,
KmsKeyId), NodeToNodeEncryptionOptions (Enabled), DomainEndpointOptions (EnforceHTTPS,
TLSSecurityPolicy). A failed DescribeDomains call makes those properties `Unknown` for the five
domains it was about. Live facts: endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, json_document

DOMAIN = "AWS::OpenSearchService::Domain"
_BATCH = 5  # DescribeDomains accepts at most five names
_OPTIONS = ("EncryptionAtRestOptions", "NodeToNodeEncryptionOptions", "DomainEndpointOptions")


# DescribeDomains answers for legacy Elasticsearch domains too (as OpenSearch domains): covered, never yielded
ES_DOMAIN = "AWS::Elasticsearch::Domain"


@collector("opensearch", yields=[DOMAIN, ES_DOMAIN], scope=REGIONAL, calls=["es:ListDomainNames", "es:DescribeDomains"])
def collect_domains(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("opensearch")
    names = [d["DomainName"] for d in client.list_domain_names().get("DomainNames") or []]
    for i in range(0, len(names), _BATCH):
        batch = names[i : i + _BATCH]
        try:
            statuses = client.describe_domains(DomainNames=batch)["DomainStatusList"]
        except Exception as exc:
            u = ctx.unknown(exc, "es:DescribeDomains")
            for name in batch:
                yield ctx.resource(DOMAIN, name, {"DomainName": name, "AccessPolicies": u, "VPCOptions": u,
                                                  **dict.fromkeys(_OPTIONS, u)}, name=name)
            continue
        for d in statuses:
            yield _domain(ctx, d)


def _domain(ctx: CollectContext, d: dict[str, Any]) -> Resource:
    name = d["DomainName"]
    props: dict[str, Any] = {"DomainName": name, "AccessPolicies": json_document(d.get("AccessPolicies"))}
    if d.get("EngineVersion"):
        props["EngineVersion"] = d["EngineVersion"]
    vpc = d.get("VPCOptions") or {}
    props["VPCOptions"] = {"SubnetIds": vpc.get("SubnetIds") or [], "SecurityGroupIds": vpc.get("SecurityGroupIds") or []}
    for key in _OPTIONS:
        if d.get(key):
            props[key] = {k: v for k, v in d[key].items() if k in ("Enabled", "KmsKeyId", "EnforceHTTPS", "TLSSecurityPolicy")}
    arn = d.get("ARN")
    return ctx.resource(DOMAIN, arn or name, props, arn=arn, name=name, live={"endpoint": d.get("Endpoint")})
