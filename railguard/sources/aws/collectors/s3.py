"""S3: every bucket of the account (one ListBuckets), its policy, and the account public access block.

The collector is GLOBAL (bucket listing is account-wide) and records each bucket in its own
region: the `BucketRegion` that ListBuckets returns when it is given a parameter (we always pass
`MaxBuckets`), else one `GetBucketLocation` per bucket.

Per-bucket attributes cost one call each, so they are fetched only when a selected control reads
them, once per bucket for all such controls, in a small thread pool. A control says which
attributes it reads by naming a *facet* of the bucket type in its `reads`:

| facet                                 | call                   | properties / live facts                   |
|---------------------------------------|------------------------|-------------------------------------------|
| `AWS::S3::Bucket#PublicAccessBlock`   | GetPublicAccessBlock   | PublicAccessBlockConfiguration            |
| `AWS::S3::Bucket#Encryption`          | GetBucketEncryption    | BucketEncryption                          |
| `AWS::S3::Bucket#Versioning`          | GetBucketVersioning    | VersioningConfiguration; live mfa_delete  |
| `AWS::S3::Bucket#Logging`             | GetBucketLogging       | LoggingConfiguration                      |
| `AWS::S3::Bucket#Acl`                 | GetBucketAcl           | AccessControl; live acl_grants            |

`AWS::S3::Bucket` needed with no facet at all fetches every facet (a caller that knows nothing
of facets gets the whole bucket). A facet that was not fetched is an `Unknown` ("not
collected"), never an absent value, so a control that forgot to name its facet reports UNKNOWN
rather than a wrong FAIL or PASS. `AWS::S3::BucketPolicy` (one resource per bucket that has a
policy) costs one GetBucketPolicy per bucket, only when that type is needed.

Properties follow CloudFormation: a configuration the bucket does not have is absent
(`NoSuchPublicAccessBlockConfiguration`, `ServerSideEncryptionConfigurationNotFoundError`,
`NoSuchBucketPolicy` are data, not failures); a denied or failed call makes that property
`Unknown(reason)`. `VersioningConfiguration` is absent for a bucket that never had versioning.
`AccessControl` is the canned ACL when the grants match one exactly (`Private`, `PublicRead`,
`PublicReadWrite`, `AuthenticatedRead`, `LogDeliveryWrite`), else absent.

Live facts (`Resource.live`) of `AWS::S3::Bucket`:
- `mfa_delete`: "Enabled" or "Disabled" (GetBucketVersioning's MFADelete; absent means Disabled).
- `acl_grants`: the grants to public grantees, `[{"grantee": URI, "permission": "READ"}, ...]`
  (AllUsers and AuthenticatedUsers only; `[]` when none).
- `region`: the bucket's region (also `Resource.region`).

`AWS::S3::BucketPolicy`: properties `{"Bucket": name, "PolicyDocument": dict}`, id
`<bucket>/policy`, name the bucket's name, region the bucket's region.

`RailGuard::S3::AccountPublicAccessBlock` (one per account, region GLOBAL, id and name the
account id): properties are the four booleans of s3control GetPublicAccessBlock; when the
account has none, all four are False and `live.exists` is False.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from railguard.model import GLOBAL, Resource, Unknown
from railguard.sources.aws import pseudo
from railguard.sources.aws.collector import CollectContext, collector, per_resource
from railguard.sources.aws.errors import describe, is_code

BUCKET = "AWS::S3::Bucket"
POLICY = "AWS::S3::BucketPolicy"
ACCOUNT_PAB = pseudo.S3_ACCOUNT_PUBLIC_ACCESS_BLOCK

FACET_PAB = "AWS::S3::Bucket#PublicAccessBlock"
FACET_ENCRYPTION = "AWS::S3::Bucket#Encryption"
FACET_VERSIONING = "AWS::S3::Bucket#Versioning"
FACET_LOGGING = "AWS::S3::Bucket#Logging"
FACET_ACL = "AWS::S3::Bucket#Acl"
FACETS = (FACET_PAB, FACET_ENCRYPTION, FACET_VERSIONING, FACET_LOGGING, FACET_ACL)

PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
PUBLIC_GRANTEES = (ALL_USERS, AUTHENTICATED_USERS)

MAX_THREADS = 8

# what each facet sets when it was not fetched: properties, then live facts
_FACET_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    FACET_PAB: (("PublicAccessBlockConfiguration",), ()),
    FACET_ENCRYPTION: (("BucketEncryption",), ()),
    FACET_VERSIONING: (("VersioningConfiguration",), ("mfa_delete",)),
    FACET_LOGGING: (("LoggingConfiguration",), ()),
    FACET_ACL: (("AccessControl",), ("acl_grants",)),
}


@collector(
    "s3",
    yields=[BUCKET, POLICY, ACCOUNT_PAB, *FACETS],
    scope=GLOBAL,
    calls=[
        "s3:ListBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:GetPublicAccessBlock",
        "s3:GetBucketEncryption",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetBucketAcl",
        "s3control:GetPublicAccessBlock",
    ],
)
def collect_s3(ctx: CollectContext) -> Iterator[Resource]:
    if ctx.wants(ACCOUNT_PAB):
        account_block = account_public_access_block(ctx)
        if account_block is not None:
            yield account_block
    if not ctx.wants(BUCKET, POLICY, *FACETS):
        return
    facets = wanted_facets(ctx)
    try:
        listed = _list_buckets(ctx)
    except Exception as exc:
        reason = f"cannot list buckets ({describe(exc, 's3:ListBuckets')})"
        for t in (BUCKET, POLICY, *FACETS):
            if ctx.wants(t):
                ctx.gap(t, reason)
        return
    for out in per_resource(lambda b: bucket_resources(ctx, b, facets), listed, workers=MAX_THREADS):
        yield from out


def _list_buckets(ctx: CollectContext) -> list[dict[str, Any]]:
    """Every bucket, with its region: ListBuckets returns `BucketRegion` only when given a parameter."""
    client = ctx.client("s3")
    if client.can_paginate("list_buckets"):
        return list(ctx.paginate("s3", "list_buckets", "Buckets", PaginationConfig={"PageSize": 10000}))
    return list(client.list_buckets().get("Buckets", []))  # botocore older than the paginator


def wanted_facets(ctx: CollectContext) -> set[str]:
    named = {f for f in FACETS if ctx.wants(f)}
    if named or not ctx.wants(BUCKET):
        return named
    return set(FACETS)  # the bucket type with no facet named: the whole bucket


def account_public_access_block(ctx: CollectContext) -> Resource | None:
    try:
        resp = ctx.client("s3control").get_public_access_block(AccountId=ctx.account)
        conf = resp.get("PublicAccessBlockConfiguration", {})
        props = {k: bool(conf.get(k, False)) for k in PAB_KEYS}
        exists = True
    except Exception as exc:
        if not is_code(exc, "NoSuchPublicAccessBlockConfiguration"):
            ctx.gap(ACCOUNT_PAB, describe(exc, "s3control:GetPublicAccessBlock"))
            return None
        props = {k: False for k in PAB_KEYS}
        exists = False
    return ctx.resource(
        ACCOUNT_PAB, ctx.account, dict(props), live={"exists": exists}, name=ctx.account,
    )


def bucket_resources(ctx: CollectContext, listed: dict[str, Any], facets: set[str]) -> list[Resource]:
    name = listed["Name"]
    region = listed.get("BucketRegion")
    live: dict[str, Any] = {}
    if not region:
        try:
            loc = ctx.client("s3").get_bucket_location(Bucket=name).get("LocationConstraint")
            region = _location_region(loc)
        except Exception as exc:
            if is_code(exc, "NoSuchBucket"):
                return []  # deleted since it was listed
            live["region"] = ctx.unknown(exc, "s3:GetBucketLocation")
            region = GLOBAL
    if "region" not in live:
        live["region"] = region
    client = ctx.session.client("s3", region if region != GLOBAL else ctx.region)
    props: dict[str, Any] = {"BucketName": name}
    for facet, (prop_keys, live_keys) in _FACET_KEYS.items():
        if facet in facets:
            continue
        missing = ctx.not_collected(facet)
        props.update(dict.fromkeys(prop_keys, missing))
        live.update(dict.fromkeys(live_keys, missing))
    for facet in FACETS:
        if facet in facets:
            _FETCH[facet](ctx, client, name, props, live)
    arn = f"arn:{ctx.partition}:s3:::{name}"
    out = [ctx.resource(BUCKET, name, props, arn=arn, live=live, name=name, region=region)]
    if ctx.wants(POLICY):
        policy = bucket_policy(ctx, client, name, region)
        if policy is not None:
            out.append(policy)
    return out


def _location_region(constraint: str | None) -> str:
    if not constraint:
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return constraint


Fetch = Callable[[CollectContext, Any, str, dict[str, Any], dict[str, Any]], None]


def _fetch_pab(ctx: CollectContext, client: Any, name: str, props: dict[str, Any], live: dict[str, Any]) -> None:
    try:
        conf = client.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        props["PublicAccessBlockConfiguration"] = {k: bool(conf.get(k, False)) for k in PAB_KEYS}
    except Exception as exc:
        if not is_code(exc, "NoSuchPublicAccessBlockConfiguration"):
            props["PublicAccessBlockConfiguration"] = ctx.unknown(exc, "s3:GetPublicAccessBlock")


def _fetch_encryption(
    ctx: CollectContext, client: Any, name: str, props: dict[str, Any], live: dict[str, Any]
) -> None:
    try:
        rules = client.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"].get("Rules", [])
    except Exception as exc:
        if not is_code(exc, "ServerSideEncryptionConfigurationNotFoundError"):
            props["BucketEncryption"] = ctx.unknown(exc, "s3:GetBucketEncryption")
        return
    converted = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        entry: dict[str, Any] = {}
        if default:
            by_default = {"SSEAlgorithm": default.get("SSEAlgorithm")}
            if default.get("KMSMasterKeyID"):
                by_default["KMSMasterKeyID"] = default["KMSMasterKeyID"]
            entry["ServerSideEncryptionByDefault"] = by_default
        if "BucketKeyEnabled" in rule:
            entry["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
        converted.append(entry)
    props["BucketEncryption"] = {"ServerSideEncryptionConfiguration": converted}


def _fetch_versioning(
    ctx: CollectContext, client: Any, name: str, props: dict[str, Any], live: dict[str, Any]
) -> None:
    try:
        resp = client.get_bucket_versioning(Bucket=name)
    except Exception as exc:
        unknown = ctx.unknown(exc, "s3:GetBucketVersioning")
        props["VersioningConfiguration"] = unknown
        live["mfa_delete"] = unknown
        return
    if resp.get("Status"):
        props["VersioningConfiguration"] = {"Status": resp["Status"]}
    live["mfa_delete"] = "Enabled" if resp.get("MFADelete") == "Enabled" else "Disabled"


def _fetch_logging(
    ctx: CollectContext, client: Any, name: str, props: dict[str, Any], live: dict[str, Any]
) -> None:
    try:
        enabled = client.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    except Exception as exc:
        props["LoggingConfiguration"] = ctx.unknown(exc, "s3:GetBucketLogging")
        return
    if enabled:
        conf = {"DestinationBucketName": enabled.get("TargetBucket")}
        if enabled.get("TargetPrefix"):
            conf["LogFilePrefix"] = enabled["TargetPrefix"]
        props["LoggingConfiguration"] = conf


def _fetch_acl(ctx: CollectContext, client: Any, name: str, props: dict[str, Any], live: dict[str, Any]) -> None:
    try:
        resp = client.get_bucket_acl(Bucket=name)
    except Exception as exc:
        unknown = ctx.unknown(exc, "s3:GetBucketAcl")
        props["AccessControl"] = unknown
        live["acl_grants"] = unknown
        return
    grants = resp.get("Grants", [])
    owner = (resp.get("Owner") or {}).get("ID")
    live["acl_grants"] = [
        {"grantee": g["Grantee"]["URI"], "permission": g.get("Permission")}
        for g in grants
        if g.get("Grantee", {}).get("URI") in PUBLIC_GRANTEES
    ]
    canned = canned_acl(grants, owner)
    if canned:
        props["AccessControl"] = canned


def canned_acl(grants: list[dict[str, Any]], owner: str | None = None) -> str | None:
    """The CloudFormation canned ACL that these grants amount to, when they match one exactly."""
    others: set[tuple[str, str]] = set()
    for g in grants:
        grantee = g.get("Grantee", {})
        perm = str(g.get("Permission"))
        if grantee.get("Type") == "CanonicalUser" and perm == "FULL_CONTROL" and (
            owner is None or grantee.get("ID") == owner
        ):
            continue
        others.add((str(grantee.get("URI") or grantee.get("ID") or ""), perm))
    if not others:
        return "Private"
    if others == {(ALL_USERS, "READ")}:
        return "PublicRead"
    if others == {(ALL_USERS, "READ"), (ALL_USERS, "WRITE")}:
        return "PublicReadWrite"
    if others == {(AUTHENTICATED_USERS, "READ")}:
        return "AuthenticatedRead"
    if others and all(uri == LOG_DELIVERY for uri, _ in others):
        return "LogDeliveryWrite"
    return None


_FETCH: dict[str, Fetch] = {
    FACET_PAB: _fetch_pab,
    FACET_ENCRYPTION: _fetch_encryption,
    FACET_VERSIONING: _fetch_versioning,
    FACET_LOGGING: _fetch_logging,
    FACET_ACL: _fetch_acl,
}


def bucket_policy(ctx: CollectContext, client: Any, name: str, region: str) -> Resource | None:
    document: Any
    try:
        text = client.get_bucket_policy(Bucket=name)["Policy"]
    except Exception as exc:
        if is_code(exc, "NoSuchBucketPolicy", "NoSuchBucket"):
            return None
        document = ctx.unknown(exc, "s3:GetBucketPolicy")
    else:
        try:
            document = json.loads(text)
        except ValueError:
            document = Unknown("the bucket policy is not valid JSON")
    return ctx.resource(
        POLICY, f"{name}/policy", {"Bucket": name, "PolicyDocument": document},
        name=name, region=region,
    )
