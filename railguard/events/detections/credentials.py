"""Stolen credentials in use: denial bursts, instance credentials off the instance, one key many places."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from railguard.events import record as R
from railguard.events.detections.registry import Hit, RuleContext, rule
from railguard.model import Severity

_INSTANCE_SESSION = re.compile(r"/(i-[0-9a-f]{8,17})$")


@rule("iam.access-denied-burst", title="Burst of AccessDenied / UnauthorizedOperation by one principal",
      severity=Severity.MEDIUM, events=None, errors=True, technique="T1580",
      params={"threshold": 10, "window": 300})
def denied_burst(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """Probing what stolen credentials may do looks like many denied calls in a row (CIS 4.1)."""
    if rec.get("errorCode") not in R.AccessDeniedCodes or R.is_aws_service(rec) or ctx.allowed(rec):
        return None
    who = R.principal_arn(rec)
    ids = ctx.burst.add(who, R.time_of(rec), R.s(rec.get("eventID")))
    if ids is None:
        return None
    return Hit(f"{len(ids)} denied calls by {who or 'unknown principal'} within {int(ctx.burst.window)}s", tuple(ids))


def learn_association(rec: dict[str, Any], ctx: RuleContext) -> None:
    """`AssociateAddress` gives an instance its public address: learned whoever made the call."""
    if not R.succeeded(rec):
        return None
    req = R.request(rec)
    instance, ip = R.s(req.get("instanceId")), R.s(req.get("publicIp"))
    if instance and ip:
        ctx.state.setdefault("instance_ip", {})[instance] = (ip, R.time_of(rec))
    return None


def _last_seen(entry: Any) -> float:
    return float(entry[1]) if isinstance(entry, tuple | list) and len(entry) == 2 else 0.0


@lru_cache(maxsize=4096)
def _instance_of(arn: str) -> str:
    m = _INSTANCE_SESSION.search(arn)
    return m.group(1) if m else ""


@rule("ec2.instance-credentials-outside", title="Instance-role credentials used from outside AWS",
      severity=Severity.HIGH, events=None, identities=["AssumedRole"], learn=(["AssociateAddress"], learn_association),
      technique="T1552.005", params={"window": 86400})
def instance_credentials(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """An EC2 instance's role session called AWS from a public address other than the instance's own.

    The instance's address is learned from the stream: the first public address its session is
    seen from, and the address `AssociateAddress` gives it. Calls over a VPC endpoint, from private
    addresses, from AWS services or from `trusted_cidrs` never count. The first address could be
    the thief's own if the credentials were stolen before any legitimate call: the worker can
    confirm with DescribeInstances.
    """
    ui = R.identity(rec)
    if ui.get("type") != "AssumedRole":
        return None
    instance = _instance_of(R.s(ui.get("arn")))
    if not instance:
        return None
    ip = R.source_ip(rec)
    if not R.from_outside_aws(rec) or ctx.trusted_ip(ip) or ctx.allowed(rec):
        return None
    # instance -> (its address, when last seen there); forgotten after a window without a call from it
    known: dict[str, tuple[str, float]] = ctx.state.setdefault("instance_ip", {})
    t = R.time_of(rec)
    seen = known.get(instance)
    if isinstance(seen, str):  # state saved by an earlier version: the address alone
        seen = (seen, t)
    if seen is None or t - seen[1] > float(ctx.params.get("window", 86400)):
        ctx.sweep(known, t, _last_seen)
        known[instance] = (ip, t)
        return None
    if seen[0] == ip:
        known[instance] = (ip, t)
        return None
    return f"credentials of instance {instance} used from {ip} (instance seen at {seen[0]})"


@rule("iam.access-key-many-ips", title="One access key used from several source addresses",
      severity=Severity.HIGH, events=None, technique="T1078.004", params={"threshold": 3, "window": 600})
def key_many_ips(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """A long-term key (AKIA...) used from `threshold` public addresses within the window: copied."""
    key = R.access_key(rec)
    if not key.startswith("AKIA"):
        return None
    ip = R.source_ip(rec)
    if not R.from_outside_aws(rec) or ctx.trusted_ip(ip) or ctx.allowed(rec):
        return None
    fired = ctx.distinct.add(key, ip, R.time_of(rec), R.s(rec.get("eventID")))
    if fired is None:
        return None
    ips, ids = fired
    return Hit(f"access key {key} used from {len(ips)} addresses within {int(ctx.distinct.window)}s: "
               f"{', '.join(ips)}", tuple(ids))
