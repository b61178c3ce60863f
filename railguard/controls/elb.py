"""Load balancer listener controls: Application/Network Load Balancer listeners
(`AWS::ElasticLoadBalancingV2::Listener`) and Classic Load Balancers
(`AWS::ElasticLoadBalancing::LoadBalancer`, inline `Listeners`).

Template-only for now (places=("iac",)): there is no live ELB collector yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from railguard.controls import IAC, control
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
    places=(IAC,),
)
def listener_without_tls(r: Resource) -> Verdict | None:
    """Traffic between clients and the load balancer travels in clear over HTTP/TCP. An HTTP
    listener whose default action redirects to HTTPS passes; a TCP listener on 443/8443 is
    taken as TLS passthrough. Gateway Load Balancer listeners (no protocol) are out of scope.
    Template-only: no live ELB collector."""
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
