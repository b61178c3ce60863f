"""ElastiCache (Redis OSS / Valkey) replication groups (`AWS::ElastiCache::ReplicationGroup`):
encryption in transit, encryption at rest, and authentication (AUTH token or RBAC user groups).

CloudFormation and Terraform (`aws_elasticache_replication_group`) default both encryption flags to
false. Live (DescribeReplicationGroups) the token itself is never returned: the collector records
the `auth_token_enabled` fact instead; the engine version comes from the facet
`AWS::ElastiCache::ReplicationGroup#EngineVersion` (DescribeCacheClusters), read only for the
AUTH control.
"""

from __future__ import annotations

from typing import Any

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import as_list, truthy
from railguard.controls.secretlike import deploy_input
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed

GROUP = "AWS::ElastiCache::ReplicationGroup"
ENGINE_VERSION = "AWS::ElastiCache::ReplicationGroup#EngineVersion"  # live facet (collectors/elasticache.py)


@control(
    "elasticache.redis-in-transit-encryption",
    title="ElastiCache replication group encrypts traffic in transit (TLS required)",
    resource=GROUP,
    severity=Severity.MEDIUM,
    fix="Set TransitEncryptionEnabled: true (and TransitEncryptionMode: required once clients use TLS)",
    places=(LIVE, IAC),
)
def in_transit_encryption(r: Resource) -> Verdict:
    """Without TLS, cached data and AUTH tokens cross the VPC in clear. `TransitEncryptionMode:
    preferred` (a migration state) still accepts clear-text clients, so it fails too."""
    if not truthy(r.get("TransitEncryptionEnabled")):
        return failed("encryption in transit is off", TransitEncryptionEnabled=False)
    mode = r.get("TransitEncryptionMode")
    if isinstance(mode, str) and mode.lower() == "preferred":
        return failed("encryption in transit is on but clear-text connections are still accepted (mode preferred)",
                      TransitEncryptionMode=mode)
    return passed("encryption in transit is required", TransitEncryptionEnabled=True)


@control(
    "elasticache.redis-at-rest-encryption",
    title="ElastiCache replication group is encrypted at rest",
    resource=GROUP,
    severity=Severity.MEDIUM,
    fix="Set AtRestEncryptionEnabled: true (a new replication group: it cannot be turned on in place)",
    places=(LIVE, IAC),
)
def at_rest_encryption(r: Resource) -> Verdict:
    """Backups and data swapped to disk are stored unencrypted otherwise."""
    if truthy(r.get("AtRestEncryptionEnabled")):
        key = r.get_raw("KmsKeyId")
        return passed("encryption at rest is on", **({"KmsKeyId": key} if isinstance(key, str) else {}))
    return failed("encryption at rest is off", AtRestEncryptionEnabled=False)


def _version_at_least(version: Any, floor: str) -> bool | None:
    """Is `version` ("5.0.6", "7.1") at least `floor` ("6.0")? None when it cannot be told."""
    try:
        have = tuple(int(x) for x in str(version).split(".")[:2] if x.isdigit())
        want = tuple(int(x) for x in floor.split(".")[:2])
    except ValueError:
        return None
    return have >= want if have else None


def _token_set(r: Resource) -> bool:
    """Is an AUTH token configured? Live: the `auth_token_enabled` fact; a template: a literal or a
    value given at deploy time (a parameter or variable without default); other unknowns raise."""
    if r.is_live:
        return bool(truthy(r.fact("auth_token_enabled")))
    token = r.get_raw("AuthToken")
    if isinstance(token, Unknown):
        if deploy_input(token) is not None:
            return True
        raise UnknownValue("AuthToken", token)
    return token is not None and str(token) != ""


@control(
    "elasticache.redis-auth",
    title="ElastiCache replication group requires authentication (AUTH token or RBAC user groups)",
    resource=GROUP,
    reads=[ENGINE_VERSION],
    severity=Severity.HIGH,
    params={"exempt_from_version": ""},
    fix="Set an AuthToken (from Secrets Manager, with TransitEncryptionEnabled) or attach RBAC UserGroupIds",
    places=(LIVE, IAC),
)
def redis_auth(r: Resource, ctx: Context) -> Verdict:
    """Without AUTH or RBAC, anything that reaches the port can read and write the cache.
    `exempt_from_version` ("6.0" for AWS FSBP ElastiCache.6, which judges only older engines)
    passes groups on that engine version or later; a template without EngineVersion gets the
    latest engine."""
    groups = as_list(r.get("UserGroupIds"))
    if any(isinstance(g, str) and g for g in groups):
        return passed("RBAC user groups authenticate clients", UserGroupIds=[g for g in groups if isinstance(g, str)])
    if _token_set(r):
        return passed("an AUTH token is required")
    floor = str(ctx.params.get("exempt_from_version") or "")
    if floor:
        version = r.get("EngineVersion")
        if version is None and not r.is_live:
            return passed(f"no EngineVersion: the latest engine, judged only before {floor}")
        newer = _version_at_least(version, floor) if version is not None else None
        if newer:
            return passed(f"engine {version} is {floor} or later, out of scope here", EngineVersion=version)
        if newer is None:
            raise UnknownValue("EngineVersion", Unknown(f"the engine version ({version}) could not be read"))
    return failed("clients connect without AUTH token or RBAC user group", AuthToken=False, UserGroupIds=[])
