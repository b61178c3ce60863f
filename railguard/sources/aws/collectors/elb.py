"""Elastic Load Balancing, per region: Application/Network/Gateway Load Balancers (elbv2), their
listeners, and Classic Load Balancers (elb).

Calls per region (elbv2): `DescribeLoadBalancers` (paginated); `DescribeListeners` once per load
balancer only when a selected control reads `AWS::ElasticLoadBalancingV2::Listener`;
`DescribeLoadBalancerAttributes` once per Application Load Balancer only when one reads the facet
`AWS::ElasticLoadBalancingV2::LoadBalancer#Attributes`. Classic: one paginated
`DescribeLoadBalancers` (listeners are inline).

Properties (CloudFormation shape):
- `AWS::ElasticLoadBalancingV2::LoadBalancer`: Name, Type, Scheme, SecurityGroups,
  LoadBalancerAttributes ([{Key, Value}]; `Unknown` when the facet was not read or the call failed).
- `AWS::ElasticLoadBalancingV2::Listener`: LoadBalancerArn, Protocol, Port, SslPolicy,
  Certificates ([{CertificateArn}]), DefaultActions ([{Type, TargetGroupArn, RedirectConfig}]).
- `AWS::ElasticLoadBalancing::LoadBalancer`: LoadBalancerName, Scheme, Listeners ([{Protocol,
  LoadBalancerPort, InstanceProtocol, InstancePort, SSLCertificateId, PolicyNames}]).
Live facts: dns_name (load balancers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource

LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LB_ATTRIBUTES = "AWS::ElasticLoadBalancingV2::LoadBalancer#Attributes"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"


@collector("elbv2", yields=[LOAD_BALANCER, LB_ATTRIBUTES, LISTENER], scope=REGIONAL,
           calls=["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
                  "elasticloadbalancing:DescribeLoadBalancerAttributes"])
def collect_load_balancers(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("elbv2")
    lbs = list(ctx.paginate("elbv2", "describe_load_balancers", "LoadBalancers"))

    def attributes(lb: dict[str, Any]) -> Any:
        if not ctx.wants(LB_ATTRIBUTES):
            return ctx.not_collected(LB_ATTRIBUTES)
        try:
            return client.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
        except Exception as exc:
            return ctx.unknown(exc, "elasticloadbalancing:DescribeLoadBalancerAttributes")

    def read(lb: dict[str, Any]) -> list[Resource]:
        kind = lb.get("Type", "application")
        props: dict[str, Any] = {"Name": lb.get("LoadBalancerName"), "Type": kind, "Scheme": lb.get("Scheme"),
                                 "SecurityGroups": list(lb.get("SecurityGroups") or [])}
        if kind == "application":
            props["LoadBalancerAttributes"] = attributes(lb)
        arn = lb["LoadBalancerArn"]
        out = [ctx.resource(LOAD_BALANCER, arn, props, arn=arn, name=lb.get("LoadBalancerName"),
                            live={"dns_name": lb.get("DNSName")})]
        if ctx.wants(LISTENER):
            out += [_listener(ctx, lst) for lst in ctx.paginate("elbv2", "describe_listeners", "Listeners",
                                                                   LoadBalancerArn=arn)]
        return out

    for batch in per_resource(read, lbs):
        yield from batch


def _listener(ctx: CollectContext, lst: dict[str, Any]) -> Resource:
    props: dict[str, Any] = {"LoadBalancerArn": lst.get("LoadBalancerArn"), "Protocol": lst.get("Protocol"),
                             "Port": lst.get("Port")}
    if lst.get("Protocol") in ("HTTPS", "TLS") and lst.get("SslPolicy"):
        props["SslPolicy"] = lst["SslPolicy"]
    if lst.get("Certificates"):
        props["Certificates"] = [{"CertificateArn": c.get("CertificateArn")} for c in lst["Certificates"]]
    props["DefaultActions"] = [{k: a[k] for k in ("Type", "TargetGroupArn", "RedirectConfig") if k in a}
                               for a in lst.get("DefaultActions") or []]
    arn = lst["ListenerArn"]
    return ctx.resource(LISTENER, arn, props, arn=arn, name=f"{lst.get('Protocol')}:{lst.get('Port')}")


@collector("elb", yields=[CLASSIC], scope=REGIONAL, calls=["elasticloadbalancing:DescribeLoadBalancers"])
def collect_classic(ctx: CollectContext) -> Iterator[Resource]:
    for lb in ctx.paginate("elb", "describe_load_balancers", "LoadBalancerDescriptions"):
        listeners = []
        for d in lb.get("ListenerDescriptions") or []:
            lst = d.get("Listener") or {}
            e = {k: lst[k] for k in ("Protocol", "LoadBalancerPort", "InstanceProtocol", "InstancePort",
                                     "SSLCertificateId") if k in lst}
            e["PolicyNames"] = list(d.get("PolicyNames") or [])
            listeners.append(e)
        name = lb["LoadBalancerName"]
        arn = f"arn:{ctx.partition}:elasticloadbalancing:{ctx.region}:{ctx.account}:loadbalancer/{name}"
        yield ctx.resource(CLASSIC, name, {"LoadBalancerName": name, "Scheme": lb.get("Scheme"), "Listeners": listeners},
                           arn=arn, name=name, live={"dns_name": lb.get("DNSName")})
