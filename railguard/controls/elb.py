"""Load balancer controls: Application/Network Load Balancer listeners
(`AWS::ElasticLoadBalancingV2::Listener`), Classic Load Balancers
(`AWS::ElasticLoadBalancing::LoadBalancer`, inline `Listeners`) and load balancer attributes
(`AWS::ElasticLoadBalancingV2::LoadBalancer`, `LoadBalancerAttributes`).

Live and templates: the collectors in `sources/aws/collectors/elb.py` yield the same shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import as_list
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed, require

LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"

_CLEAR = frozenset({"HTTP", "TCP"})
# A TCP listener on these ports is almost always TLS passed through to targets that end it.
TLS_PASSTHROUGH_PORTS = frozenset({443, 8443})


def _port(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _redirects_to_https(actions: Any) -> bool:
    """Does the listener's default action redirect to HTTPS (CloudFormation defaults the
    redirect protocol to `#{protocol}`, i.e. the same clear protocol)?"""
    for i, a in enumerate(as_list(actions)):
        require(a, f"DefaultActions.{i}")
        if not isinstance(a, Mapping) or str(a.get("Type", "")).lower() != "redirect":
            continue
        rc = require(a.get("RedirectConfig"), f"DefaultActions.{i}.RedirectConfig")
        proto = require(rc.get("Protocol"), f"DefaultActions.{i}.RedirectConfig.Protocol") if isinstance(rc, Mapping) else None
        if str(proto).upper() == "HTTPS":
            return True
    return False


@control(
    "elb.listener-without-tls",
    title="Load balancer listener accepts clear-text HTTP or TCP instead of HTTPS/TLS",
    resource=[LISTENER, CLASSIC],
    severity=Severity.MEDIUM,
    fix="Listen on HTTPS/TLS with an ACM certificate; keep port 80 only as a redirect to HTTPS.",
    places=(LIVE, IAC),
)
def listener_without_tls(r: Resource) -> Verdict | None:
    """Traffic between clients and the load balancer travels in clear over HTTP/TCP. An HTTP
    listener whose default action redirects to HTTPS passes; a TCP listener on 443/8443 is
    taken as TLS passthrough. Gateway Load Balancer listeners (no protocol) are out of scope."""
    if r.type == LISTENER:
        proto = r.get("Protocol")
        if proto is None:
            return None
        proto = str(proto).upper()
        if proto not in _CLEAR:
            return passed(f"listener protocol is {proto}", Protocol=proto)
        port = _port(r.get("Port"))
        if proto == "HTTP" and _redirects_to_https(r.get("DefaultActions")):
            return passed("HTTP listener only redirects to HTTPS", Protocol=proto, Port=port)
        if proto == "TCP" and port in TLS_PASSTHROUGH_PORTS:
            return passed(f"TCP listener on {port}, taken as TLS passthrough", Protocol=proto, Port=port)
        return failed(f"listener on port {port} uses {proto} without TLS", Protocol=proto, Port=port)

    offenders: list[dict[str, Any]] = []
    pending: UnknownValue | None = None
    listeners = as_list(r.get("Listeners"))
    for i, lst in enumerate(listeners):
        if isinstance(lst, Unknown):
            pending = pending or UnknownValue(f"Listeners.{i}", lst)
            continue
        if not isinstance(lst, Mapping):
            continue
        proto_v = lst.get("Protocol")
        if isinstance(proto_v, Unknown):
            pending = pending or UnknownValue(f"Listeners.{i}.Protocol", proto_v)
            continue
        proto = str(proto_v or "").upper()
        port = _port(lst.get("LoadBalancerPort"))
        if proto in _CLEAR and not (proto == "TCP" and port in TLS_PASSTHROUGH_PORTS):
            offenders.append({"Protocol": proto, "LoadBalancerPort": port})
    if offenders:
        ports = ", ".join(f"{o['Protocol']}:{o['LoadBalancerPort']}" for o in offenders)
        return failed(f"classic load balancer listens without TLS on {ports}", listeners=offenders)
    if pending is not None:
        raise pending
    if not listeners:
        return None
    return passed("every listener uses HTTPS or SSL")


# ---- TLS policies and header hygiene (issue 15 point 2) -----------------------------------------

LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LB_ATTRIBUTES = "AWS::ElasticLoadBalancingV2::LoadBalancer#Attributes"  # live facet (collectors/elb.py)
DROP_INVALID_HEADERS = "routing.http.drop_invalid_header_fields.enabled"
_TLS_PROTOCOLS = frozenset({"HTTPS", "TLS"})
# predefined ELB security policies that accept nothing older than TLS 1.2
_TLS_1_2_POLICY = re.compile(r"(TLS-1-2|TLS13-1-[23]|FS-1-2)(-|$)", re.IGNORECASE)
API_DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"


@control(
    "elb.listener-tls-policy-outdated",
    title="HTTPS/TLS load balancer listener accepts only TLS 1.2 or later",
    resource=LISTENER,
    severity=Severity.MEDIUM,
    params={"allowed_policies": []},
    fix="Set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS 1.2+ policy) on the listener",
    places=(LIVE, IAC),
)
def listener_tls_policy_outdated(r: Resource, ctx: Context) -> Verdict | None:
    """Policies such as ELBSecurityPolicy-2016-08 still accept TLS 1.0 and 1.1. A TLS 1.2+
    predefined policy (TLS-1-2, TLS13-1-2, TLS13-1-3, FS-1-2 in its name) or one listed in
    `allowed_policies` passes. A template that leaves SslPolicy out gets the API's long-standing
    default, ELBSecurityPolicy-2016-08: it fails, so the policy is stated. Clear-text and Gateway
    listeners are out of scope (see elb.listener-without-tls)."""
    proto = r.get("Protocol")
    if proto is None or str(proto).upper() not in _TLS_PROTOCOLS:
        return None
    policy = r.get("SslPolicy")
    if not policy:
        return failed(f"no SslPolicy: the API default {API_DEFAULT_POLICY} accepts TLS 1.0 and 1.1",
                      Protocol=str(proto).upper(), SslPolicy=None)
    allowed = {str(p) for p in as_list(ctx.params.get("allowed_policies"))}
    if str(policy) in allowed or _TLS_1_2_POLICY.search(str(policy)):
        return passed(f"listener policy {policy} requires TLS 1.2 or later", SslPolicy=policy)
    return failed(f"listener policy {policy} accepts protocols older than TLS 1.2", SslPolicy=policy,
                  Protocol=str(proto).upper(), Port=_port(r.get_raw("Port")))


@control(
    "elb.alb-drop-invalid-headers",
    title="Application Load Balancer drops HTTP headers with invalid field names",
    resource=LOAD_BALANCER,
    reads=[LB_ATTRIBUTES],
    severity=Severity.LOW,
    fix="Set the load balancer attribute routing.http.drop_invalid_header_fields.enabled to true",
    places=(LIVE, IAC),
)
def alb_drop_invalid_headers(r: Resource) -> Verdict | None:
    """Headers with invalid names pass through to the targets otherwise, which helps HTTP
    desync and request smuggling against them. Network and Gateway Load Balancers are out of
    scope; the attribute's default is false."""
    kind = r.get("Type")
    if kind is not None and str(kind).lower() != "application":
        return None
    value: Any = None
    for i, a in enumerate(as_list(r.get("LoadBalancerAttributes"))):
        a = require(a, f"LoadBalancerAttributes.{i}")
        if isinstance(a, Mapping) and require(a.get("Key"), f"LoadBalancerAttributes.{i}.Key") == DROP_INVALID_HEADERS:
            value = require(a.get("Value"), f"LoadBalancerAttributes.{i}.Value")
    if str(value).strip().lower() == "true":
        return passed("invalid header fields are dropped", **{DROP_INVALID_HEADERS: "true"})
    return failed("invalid header fields are forwarded to targets", **{DROP_INVALID_HEADERS: str(value or "false").lower()})
