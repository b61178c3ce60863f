"""Read one resource by type and id, with the fewest calls: one Describe with an id filter, not a scan.

Used after a change (verify), before one (approvals re-plan, undo), and by the events worker
for the resource a CloudTrail record touched. Each reader reuses the collector's converter for
its type, so a re-read resource has exactly the shape a scan gives it and a control judges
both the same way. A type without its own reader falls back to running its collector in the
one region and picking the resource out (correct, only dearer).

`read_one` raises `ReadError` with a reason when the resource cannot be read: it does not exist
(any more), the call was denied, or the read left the resource's type as a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from railguard.model import GLOBAL, Gap, Inventory, Origin, Resource
from railguard.sources.aws import pseudo
from railguard.sources.aws.collector import REGIONAL, CollectContext, collectors_for, tag_map
from railguard.sources.aws.collectors import cloudtrail, ec2, iam, kms, s3
from railguard.sources.aws.errors import describe, is_code
from railguard.sources.aws.session import DEFAULT_REGION, AccountSession

if TYPE_CHECKING:  # the catalogue is not imported by a source at run time
    from railguard.controls import Control


class ReadError(Exception):
    """The resource could not be read; the message says why (not found, denied, gap)."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.not_found = not_found


Reader = Callable[[CollectContext, str], "Resource | None"]
_READERS: dict[str, Reader] = {}

# error codes that mean "no such resource" for the readers below
_NOT_FOUND = (
    "InvalidGroup.NotFound",
    "InvalidGroupId.Malformed",
    "InvalidInstanceID.NotFound",
    "InvalidInstanceID.Malformed",
    "InvalidVpcID.NotFound",
    "TrailNotFoundException",
    "NotFoundException",
    "NoSuchEntity",
    "NoSuchBucket",
    "404",
)


def _reader(*types: str) -> Callable[[Reader], Reader]:
    def register(fn: Reader) -> Reader:
        for t in types:
            _READERS[t] = fn
        return fn

    return register


# ---------------------------------------------------------------- readers


@_reader(ec2.SG)
def _security_group(ctx: CollectContext, group_id: str) -> Resource | None:
    groups = ctx.client("ec2").describe_security_groups(GroupIds=[group_id]).get("SecurityGroups", [])
    return ec2.security_group(ctx, groups[0]) if groups else None


@_reader(ec2.INSTANCE)
def _instance(ctx: CollectContext, instance_id: str) -> Resource | None:
    resp = ctx.client("ec2").describe_instances(InstanceIds=[instance_id])
    found = [i for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
    if not found:
        return None
    user_data = ec2.instance_user_data(ctx, instance_id) if ctx.wants(ec2.INSTANCE_USER_DATA) else None
    return ec2.instance(ctx, found[0], user_data=user_data)


@_reader(ec2.VPC)
def _vpc(ctx: CollectContext, vpc_id: str) -> Resource | None:
    vpcs = ctx.client("ec2").describe_vpcs(VpcIds=[vpc_id]).get("Vpcs", [])
    return ec2.vpc(ctx, vpcs[0]) if vpcs else None


@_reader(cloudtrail.TRAIL)
def _trail(ctx: CollectContext, trail: str) -> Resource | None:
    client = ctx.client("cloudtrail")
    trails = client.describe_trails(trailNameList=[trail], includeShadowTrails=True).get("trailList", [])
    if not trails:
        return None
    home = trails[0].get("HomeRegion") or ctx.region
    if home != ctx.region:  # read a trail in its home region, as the collector does
        ctx = CollectContext(ctx.session, home, home, ctx.needed)
        client = ctx.client("cloudtrail")
    return cloudtrail.trail(ctx, client, trails[0])


@_reader(kms.KEY)
def _key(ctx: CollectContext, key_id: str) -> Resource | None:
    return kms.key_resource(ctx, ctx.client("kms"), key_id, None, want_policy=ctx.wants(kms.KEY_POLICY))


@_reader(s3.BUCKET)
def _bucket(ctx: CollectContext, name: str) -> Resource | None:
    """HeadBucket says whether it exists and where; then only the facets asked for."""
    head = ctx.client("s3").head_bucket(Bucket=name)
    region = head.get("BucketRegion") or head.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(
        "x-amz-bucket-region") or ctx.region
    found = s3.bucket_resources(ctx, {"Name": name, "BucketRegion": region}, s3.wanted_facets(ctx))
    return next((r for r in found if r.type == s3.BUCKET), None)


@_reader(s3.POLICY)
def _bucket_policy(ctx: CollectContext, policy_id: str) -> Resource | None:
    name = policy_id.removesuffix("/policy")
    region = _bucket_region(ctx, name)
    return s3.bucket_policy(ctx, ctx.session.client("s3", region), name, region)


def _bucket_region(ctx: CollectContext, name: str) -> str:
    head = ctx.client("s3").head_bucket(Bucket=name)
    return str(head.get("BucketRegion") or head.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(
        "x-amz-bucket-region") or ctx.region)


@_reader(iam.USER)
def _user(ctx: CollectContext, user: str) -> Resource | None:
    """One user from its own calls (the credential report is account-wide and, on AWS, up to four
    hours old: useless to verify a change made a second ago). Same shape as the collector's."""
    client = ctx.client("iam")
    name = user.rsplit("/", 1)[-1] if user.startswith("arn:") else user
    u = client.get_user(UserName=name)["User"]
    groups = [g["GroupName"] for g in _pages(client, "list_groups_for_user", "Groups", UserName=name)]
    attached = [p["PolicyArn"] for p in _pages(client, "list_attached_user_policies", "AttachedPolicies",
                                                UserName=name)]
    inline = []
    for policy_name in _pages(client, "list_user_policies", "PolicyNames", UserName=name):
        doc = client.get_user_policy(UserName=name, PolicyName=policy_name)["PolicyDocument"]
        inline.append({"PolicyName": policy_name, "PolicyDocument": doc})
    props: dict[str, Any] = {"UserName": name, "Path": u.get("Path", "/"), "Groups": groups,
                             "ManagedPolicyArns": attached, "Policies": inline}
    if u.get("PermissionsBoundary"):
        props["PermissionsBoundary"] = u["PermissionsBoundary"].get("PermissionsBoundaryArn")
    try:
        login: dict[str, Any] | None = client.get_login_profile(UserName=name)["LoginProfile"]
    except Exception as exc:
        if not is_code(exc, "NoSuchEntity"):
            raise
        login = None
    keys = sorted(_pages(client, "list_access_keys", "AccessKeyMetadata", UserName=name),
                  key=lambda k: k.get("CreateDate") or datetime.min.replace(tzinfo=UTC))
    access_keys = []
    for slot, k in enumerate(keys, start=1):
        last = client.get_access_key_last_used(AccessKeyId=k["AccessKeyId"]).get("AccessKeyLastUsed", {})
        service = last.get("ServiceName")
        access_keys.append({
            "slot": slot,
            "active": k.get("Status") == "Active",
            "last_rotated": _utc(k.get("CreateDate")),
            "last_used": _utc(last.get("LastUsedDate")),
            "last_used_service": service if service not in (None, "N/A") else None,
            "access_key_id": k["AccessKeyId"],
        })
    devices = list(_pages(client, "list_mfa_devices", "MFADevices", UserName=name))
    live = {
        "virtual_mfa_devices": [d["SerialNumber"] for d in devices if ":mfa/" in d["SerialNumber"]],
        "password_enabled": login is not None,
        "password_last_used": _utc(u.get("PasswordLastUsed")),
        "password_last_changed": _utc((login or {}).get("CreateDate")),
        "user_creation_time": _utc(u.get("CreateDate")),
        "mfa_active": bool(devices),
        "access_keys": access_keys,
    }
    if login is not None:
        props["LoginProfile"] = {}
    return ctx.resource(iam.USER, u["Arn"], props, arn=u["Arn"], tags=tag_map(u.get("Tags")), live=live, name=name)


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterable[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


@_reader(pseudo.ACCOUNT)
def _account_reader(ctx: CollectContext, account: str) -> Resource | None:
    return _account(ctx.session, ctx.region) if account == ctx.account else None


@_reader(pseudo.REGION)
def _region(ctx: CollectContext, region_id: str) -> Resource | None:
    account, _, region = region_id.partition("/")
    if account != ctx.account or region != ctx.region:
        return None
    return Resource(
        type=pseudo.REGION, id=region_id, properties={"RegionName": region}, account=account, region=region,
        origin=Origin(account=account, region=region), name=region,
    )


# ---------------------------------------------------------------- entry points


def scope_of(resource_type: str) -> str:
    """GLOBAL when the type's collector reads it account-wide (IAM, S3), else REGIONAL."""
    cols = collectors_for([resource_type])
    return cols[0].scope if cols else REGIONAL


def home_region(session: AccountSession, region: str | None = None) -> str:
    """`region`, unless it is GLOBAL or empty (a finding on an account-wide resource): then the
    session's own region."""
    if region and region != GLOBAL:
        return region
    return session.session.region_name or DEFAULT_REGION


def _context(session: AccountSession, resource_type: str, region: str, needed: Iterable[str]) -> CollectContext:
    region = home_region(session, region)
    scope_region = GLOBAL if scope_of(resource_type) == GLOBAL else region
    return CollectContext(session, region, scope_region, frozenset(needed) | {resource_type})


def read_one(
    session: AccountSession,
    resource_type: str,
    resource_id: str,
    region: str,
    *,
    needed: Iterable[str] = (),
) -> Resource:
    """The resource now, as a scan would have produced it. `needed` names the facets to fetch
    (`AWS::S3::Bucket#Encryption`); none named fetches all of them. `region` is the region to
    call (GLOBAL means the session's region); a bucket or trail is read in its own region."""
    ctx = _context(session, resource_type, region, needed)
    what = f"{resource_type} {resource_id} in {ctx.scope_region}"
    reader = _READERS.get(resource_type)
    try:
        found = reader(ctx, resource_id) if reader else _by_collector(ctx, resource_type, resource_id)
    except ReadError:
        raise
    except Exception as exc:
        if is_code(exc, *_NOT_FOUND):
            raise ReadError(f"{what} not found", not_found=True) from None
        raise ReadError(f"cannot read {what}: {describe(exc)}") from None
    gap = next((g for g in ctx.gaps if g.type == resource_type), None)
    if gap is not None:
        raise ReadError(f"cannot read {what}: {gap.reason}")
    if found is None:
        raise ReadError(f"{what} not found", not_found=True)
    return found


def _by_collector(ctx: CollectContext, resource_type: str, resource_id: str) -> Resource | None:
    """Fallback for a type without its own reader: its collector, in this one region."""
    cols = collectors_for([resource_type])
    if not cols:
        raise ReadError(f"no collector reads {resource_type}")
    for r in _run(cols[0].fn, ctx):
        if r.type == resource_type and resource_id in (r.id, r.arn, r.name):
            return r
    return None


def _run(fn: Callable[[CollectContext], Iterable[Resource]], ctx: CollectContext) -> list[Resource]:
    return list(fn(ctx))


Related = Callable[[CollectContext, Resource], Iterable[Resource]]


def _policy_of_bucket(ctx: CollectContext, bucket: Resource) -> Iterable[Resource]:
    region = bucket.region if bucket.region and bucket.region != GLOBAL else ctx.region
    policy = s3.bucket_policy(ctx, ctx.session.client("s3", region), bucket.id, region)
    return [policy] if policy is not None else []


def _flow_logs_of(ctx: CollectContext, target: Resource) -> Iterable[Resource]:
    flt = [{"Name": "resource-id", "Values": [target.id]}]
    return [ec2.flow_log(ctx, fl) for fl in ctx.paginate("ec2", "describe_flow_logs", "FlowLogs", Filters=flt)]


# narrow readers for a type a control reads beside its target (else: the type's collector, one region)
_RELATED: dict[str, Related] = {
    s3.POLICY: _policy_of_bucket,
    ec2.FLOW_LOG: _flow_logs_of,
}


def inventory_for(
    session: AccountSession,
    control: Control,
    resource_id: str,
    region: str,
    *,
    resource_type: str | None = None,
) -> Inventory:
    """The resource and whatever `control` reads beside it, ready for `evaluate`. Facets the
    control names are fetched; related types come from their own narrow reader, else from
    their collector in this region (a gap there becomes a gap of the inventory, so a would-be
    PASS turns UNKNOWN, never a false PASS)."""
    types = [resource_type] if resource_type else list(control.resource)
    facets = [t for t in control.reads if "#" in t]
    target: Resource | None = None
    last: ReadError | None = None
    for t in types:
        try:
            target = read_one(session, t, resource_id, region, needed=[f for f in facets if f.startswith(t + "#")])
            break
        except ReadError as exc:
            last = exc
            if not exc.not_found:
                raise
    if target is None:
        raise last or ReadError(f"{resource_id} not found")
    inv = Inventory([target])
    for t in control.reads:
        if "#" in t or t == target.type:
            continue
        ctx = _context(session, t, region, [t])
        related = _RELATED.get(t)
        try:
            if related is not None:
                items = list(related(ctx, target))
            elif t == pseudo.ACCOUNT:
                items = [_account(session, region)]
            else:
                items = [r for c in collectors_for([t]) for r in _run(c.fn, ctx)]
        except Exception as exc:
            inv.add_gap(_gap(t, session, ctx.scope_region, describe(exc)))
            continue
        for r in items:
            if r.type == t and (r.type, r.id) != (target.type, target.id):
                inv.add(r)
        for g in ctx.gaps:
            inv.add_gap(g)
    return inv


def _gap(type_: str, session: AccountSession, region: str, reason: str) -> Gap:
    return Gap(type_, session.account, region, reason)


def _account(session: AccountSession, region: str) -> Resource:
    return Resource(
        type=pseudo.ACCOUNT, id=session.account, properties={"AccountId": session.account},
        account=session.account, region=GLOBAL, origin=Origin(account=session.account, region=GLOBAL),
        live={"regions": [region]}, name=session.account,
    )
