"""elb.listener-without-tls on ALB/NLB listeners and Classic Load Balancers."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.model import Resource, Result, Unknown
from tests.containers.helpers import result_of

V2 = "AWS::ElasticLoadBalancingV2::Listener"
CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"
REDIRECT = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
FORWARD = [{"Type": "forward", "TargetGroupArn": "tg"}]


def _listener(**props: Any) -> Resource:
    return Resource(V2, "l", props)


@pytest.mark.parametrize(("props", "expect"), [
    ({"Protocol": "HTTP", "Port": 80, "DefaultActions": FORWARD}, Result.FAIL),
    ({"Protocol": "http", "Port": "8080", "DefaultActions": FORWARD}, Result.FAIL),
    ({"Protocol": "HTTP", "Port": 80, "DefaultActions": REDIRECT}, Result.PASS),
    ({"Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Port": "8080", "StatusCode": "HTTP_302"}}]}, Result.FAIL),
    ({"Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": Unknown("p")}}]}, Result.UNKNOWN),
    ({"Protocol": "TCP", "Port": 6379}, Result.FAIL),
    ({"Protocol": "TCP", "Port": 443}, Result.PASS),
    ({"Protocol": "HTTPS", "Port": 443, "Certificates": [{"CertificateArn": "c"}]}, Result.PASS),
    ({"Protocol": "TLS", "Port": 443}, Result.PASS),
    ({"Protocol": "UDP", "Port": 53}, Result.PASS),
    ({"Protocol": Unknown("parameter Proto has no Default")}, Result.UNKNOWN),
    ({"Port": 6081}, None),  # Gateway Load Balancer listener
])
def test_v2_listener(props: dict[str, Any], expect: Result | None) -> None:
    assert result_of("elb.listener-without-tls", _listener(**props)) == expect


@pytest.mark.parametrize(("listeners", "expect"), [
    ([{"LoadBalancerPort": "80", "InstancePort": "80", "Protocol": "HTTP"}], Result.FAIL),
    ([{"LoadBalancerPort": "443", "InstancePort": "80", "Protocol": "HTTPS", "SSLCertificateId": "c"},
      {"LoadBalancerPort": "25", "InstancePort": "25", "Protocol": "TCP"}], Result.FAIL),
    ([{"LoadBalancerPort": "443", "InstancePort": "80", "Protocol": "HTTPS", "SSLCertificateId": "c"}], Result.PASS),
    ([{"LoadBalancerPort": "443", "InstancePort": "443", "Protocol": "SSL", "SSLCertificateId": "c"}], Result.PASS),
    ([{"LoadBalancerPort": "80", "Protocol": Unknown("p")}], Result.UNKNOWN),
])
def test_classic(listeners: list[dict[str, Any]], expect: Result) -> None:
    assert result_of("elb.listener-without-tls", Resource(CLASSIC, "lb", {"Listeners": listeners})) == expect
