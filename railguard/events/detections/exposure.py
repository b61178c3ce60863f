"""Data leaving: snapshots, images and buckets shared out, functions opened, secrets pulled, objects wiped."""

from __future__ import annotations

from typing import Any

from railguard.events import record as R
from railguard.events.detections.policy import EVERYONE, account_of, document, granted
from railguard.events.detections.registry import Hit, RuleContext, rule
from railguard.model import Severity


def _grantees(items: Any) -> list[str]:
    """`{"items": [{"group": "all"}, {"userId": "111122223333"}]}` -> ["*", "111122223333"]."""
    out = []
    for item in R.d(items).get("items") or []:
        if not isinstance(item, dict):
            continue
        if item.get("group") == "all":
            out.append(EVERYONE)
        elif R.s(item.get("userId")):
            out.append(R.s(item.get("userId")))
    return out


def _outside(grantees: list[str], rec: dict[str, Any], ctx: RuleContext) -> list[str]:
    return sorted({g for g in grantees if g == EVERYONE or ctx.outside(g, rec)})


def _who(grantees: list[str]) -> str:
    return ", ".join("everyone (public)" if g == EVERYONE else f"account {g}" for g in grantees)


@rule("ec2.snapshot-shared", title="EBS snapshot shared publicly or with an outside account",
      severity=Severity.HIGH, events=["ModifySnapshotAttribute"], source="ec2.amazonaws.com", technique="T1537")
def snapshot_shared(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """A shared snapshot is a full copy of the disk for whoever it is shared with."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    out = _outside(_grantees(R.d(req.get("createVolumePermission")).get("add")), rec, ctx)
    return f"snapshot {R.s(req.get('snapshotId'))} shared with {_who(out)}" if out else None


@rule("ec2.ami-shared", title="AMI shared publicly or with an outside account", severity=Severity.HIGH,
      events=["ModifyImageAttribute"], source="ec2.amazonaws.com", technique="T1537")
def ami_shared(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """An image carries its volumes' data (and often credentials baked in)."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    out = _outside(_grantees(R.d(req.get("launchPermission")).get("add")), rec, ctx)
    return f"image {R.s(req.get('imageId'))} shared with {_who(out)}" if out else None


@rule("rds.snapshot-shared", title="RDS snapshot shared publicly or with an outside account",
      severity=Severity.HIGH, events=["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"],
      source="rds.amazonaws.com", technique="T1537")
def rds_snapshot_shared(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """A restorable database copy for someone else."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    if R.s(req.get("attributeName")) != "restore":
        return None
    values = req.get("valuesToAdd") or []
    grantees = [EVERYONE if v == "all" else R.s(v) for v in values if isinstance(v, str)]
    out = _outside(grantees, rec, ctx)
    snap = R.s(req.get("dBSnapshotIdentifier")) or R.s(req.get("dBClusterSnapshotIdentifier"))
    return f"DB snapshot {snap} shared with {_who(out)}" if out else None


@rule("s3.bucket-policy-grants-outside", title="Bucket policy grants everyone or an outside account",
      severity=Severity.HIGH, events=["PutBucketPolicy"], source="s3.amazonaws.com", technique="T1537")
def bucket_policy_outside(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """An Allow for `*` without a condition pinning the caller, or for an account we do not own."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    doc = document(req.get("bucketPolicy")) or document(req.get("policy"))
    out = sorted({a for a in granted(doc) if a == EVERYONE or ctx.outside(a, rec)})
    return f"bucket {R.s(req.get('bucketName'))} policy grants {_who(out)}" if out else None


@rule("lambda.permission-outside", title="Lambda function callable by everyone or an outside account",
      severity=Severity.HIGH,
      events=["AddPermission", "AddPermission20150331", "AddPermission20150331v2", "AddPermission20141111"],
      source="lambda.amazonaws.com", technique=None)
def lambda_permission(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """A resource policy statement for `*` (no source account/ARN/org) or an account we do not own."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    principal = R.s(req.get("principal"))
    pinned = any(req.get(k) for k in ("sourceAccount", "sourceArn", "principalOrgID"))
    fn = R.s(req.get("functionName")).rsplit(":", 1)[-1]
    if principal == "*" and not pinned:
        return f"function {fn} may be invoked by everyone ({R.s(req.get('action'))})"
    acct = account_of(principal)
    if acct and ctx.outside(acct, rec):
        return f"function {fn} may be invoked by account {acct}"
    return None


def _by_unusual(rec: dict[str, Any], ctx: RuleContext, weight: int = 1) -> Hit | None:
    """A burst of sensitive reads by a principal outside the rule's allow-list (`weight`: items read by the call)."""
    if not R.succeeded(rec) or ctx.allowed(rec) or R.is_aws_service(rec):
        return None
    who = R.principal_arn(rec)
    ids = ctx.burst.add(who, R.time_of(rec), R.s(rec.get("eventID")), weight)
    if ids is None:
        return None
    return Hit(f"{ctx.burst.threshold}+ items read by {len(ids)} × {rec.get('eventName')} by {who or 'unknown principal'}",
               tuple(ids))


def _items_read(rec: dict[str, Any]) -> int:
    """How many secrets or parameters one call reads: `GetParameters` names up to 10, and
    `BatchGetSecretValue` lists ids or, with filters, returns a page of up to `maxResults` (20 by default)."""
    req = R.request(rec)
    name = rec.get("eventName")
    if name == "GetParameters":
        names = req.get("names")
        return len(names) if isinstance(names, list) and names else 1
    if name == "BatchGetSecretValue":
        ids = req.get("secretIdList")
        if isinstance(ids, list) and ids:
            return len(ids)
        page = req.get("maxResults")
        return page if isinstance(page, int) and page > 0 else 20
    return 1


@rule("ec2.get-password-data", title="Windows administrator password retrieved by an unusual principal",
      severity=Severity.MEDIUM, events=["GetPasswordData"], source="ec2.amazonaws.com", technique="T1552",
      params={"threshold": 1, "window": 3600})
def get_password_data(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """`GetPasswordData` hands out an instance's local administrator password."""
    return _by_unusual(rec, ctx)


@rule("ssm.command-by-unusual-principal", title="SSM command or session started by an unusual principal",
      severity=Severity.MEDIUM, events=["SendCommand", "StartSession"], source="ssm.amazonaws.com",
      technique="T1651", params={"threshold": 1, "window": 3600})
def ssm_command(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """Run Command and Session Manager are a shell on the fleet; allow-list the operators who use them."""
    return _by_unusual(rec, ctx)


@rule("secrets.retrieval-burst", title="Burst of secret or parameter retrievals by an unusual principal",
      severity=Severity.MEDIUM,
      events=["GetSecretValue", "BatchGetSecretValue", "GetParameter", "GetParameters", "GetParametersByPath"],
      technique="T1555.006", params={"threshold": 20, "window": 300})
def secrets_burst(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """Many secrets read quickly by one principal: harvesting. SSM reads count only with decryption;
    a call that reads several (`GetParameters`, `BatchGetSecretValue`) counts each one."""
    if rec.get("eventSource") == "ssm.amazonaws.com" and not R.request(rec).get("withDecryption"):
        return None
    if rec.get("eventSource") not in ("ssm.amazonaws.com", "secretsmanager.amazonaws.com"):
        return None
    return _by_unusual(rec, ctx, _items_read(rec))


@rule("kms.decrypt-burst", title="Burst of KMS Decrypt calls by one principal", severity=Severity.MEDIUM,
      events=["Decrypt"], source="kms.amazonaws.com", technique=None, params={"threshold": 200, "window": 60})
def decrypt_burst(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """Bulk decryption by one principal (services acting for a caller are left out)."""
    return _by_unusual(rec, ctx)


@rule("s3.mass-deletion", title="Mass deletion of S3 objects", severity=Severity.HIGH,
      events=["DeleteObject", "DeleteObjects", "DeleteObjectVersion"], source="s3.amazonaws.com",
      technique="T1485", params={"threshold": 100, "window": 300})
def mass_deletion(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """Many objects deleted from one bucket by one principal within minutes (needs S3 data events)."""
    if not R.succeeded(rec) or ctx.allowed(rec) or R.is_aws_service(rec):
        return None
    req = R.request(rec)
    bucket = R.s(req.get("bucketName"))
    weight = 1
    if rec.get("eventName") == "DeleteObjects":
        objs = R.d(req.get("delete")).get("Object")
        weight = len(objs) if isinstance(objs, list) and objs else 1
    ids = ctx.burst.add((R.principal_arn(rec), bucket), R.time_of(rec), R.s(rec.get("eventID")), weight)
    if ids is None:
        return None
    return Hit(f"{ctx.burst.threshold}+ objects deleted from bucket {bucket} by {R.principal_arn(rec)}", tuple(ids))


@rule("organizations.account-left", title="Account left or was removed from the organization",
      severity=Severity.HIGH, events=["LeaveOrganization", "RemoveAccountFromOrganization"],
      source="organizations.amazonaws.com", technique="T1666")
def left_organization(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """Outside the organization, its SCPs and central logging no longer apply. An attempt that was
    denied is reported too (someone tried, without the permission); other failures are not."""
    if ctx.allowed(rec):
        return None
    if rec.get("errorCode") in R.AccessDeniedCodes:
        return f"denied attempt to take account {R.account(rec)} out of the organization ({rec.get('eventName')})"
    if not R.succeeded(rec):
        return None
    if rec.get("eventName") == "LeaveOrganization":
        return f"account {R.account(rec)} left the organization"
    return f"account {R.s(R.request(rec).get('accountId'))} removed from the organization"
