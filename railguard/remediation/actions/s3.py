"""S3: public access blocks (bucket and account), default encryption, versioning, deny-HTTP.

Each action reads the one configuration it changes with that configuration's own Get call and
keeps the API's answer as `prior`, so that undo puts back exactly what was there (or deletes
the configuration when there was none). Plans never turn a setting off: a block or encryption
already stronger than asked is kept.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from railguard.model import GLOBAL, Origin, Resource
from railguard.remediation.action import Action, Change, Params, Risk, Target, action, control_passes
from railguard.sources.aws import pseudo
from railguard.sources.aws.errors import is_code

BUCKET = "AWS::S3::Bucket"
POLICY = "AWS::S3::BucketPolicy"
ACCOUNT_PAB = pseudo.S3_ACCOUNT_PUBLIC_ACCESS_BLOCK
PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _s3(target: Target) -> Any:
    """The S3 client in the bucket's own region."""
    region = target.resource.region
    return target.session.client("s3", region if region and region != GLOBAL else target.region)


def _bucket(target: Target) -> str:
    return str(target.resource.properties.get("BucketName") or target.resource.id)


def _get(fn: Any, missing: tuple[str, ...], **kwargs: Any) -> Any:
    """A Get call's answer, or None when the configuration does not exist (that is data)."""
    try:
        return fn(**kwargs)
    except Exception as exc:
        if is_code(exc, *missing):
            return None
        raise


# ---------------------------------------------------------------- public access blocks


class BlockParams(Params):
    block_public_acls: bool = True
    ignore_public_acls: bool = True
    block_public_policy: bool = True
    restrict_public_buckets: bool = True

    def wanted(self) -> dict[str, bool]:
        return dict(zip(PAB_KEYS, (self.block_public_acls, self.ignore_public_acls, self.block_public_policy,
                                   self.restrict_public_buckets), strict=True))


def _merged(prior: Mapping[str, Any] | None, wanted: Mapping[str, bool]) -> dict[str, bool]:
    """The block to put: every setting already on stays on, the wanted ones are turned on."""
    return {k: bool((prior or {}).get(k)) or wanted[k] for k in PAB_KEYS}


class _Block(Action):
    params_model = BlockParams
    call_put = ""

    @abc.abstractmethod
    def _read(self, target: Target) -> dict[str, bool] | None:
        """The block configuration now (None: there is none)."""

    @abc.abstractmethod
    def _put(self, target: Target, conf: Mapping[str, bool]) -> None:
        """Write the block configuration."""

    @abc.abstractmethod
    def _delete(self, target: Target) -> None:
        """Remove the block configuration (undo of a first one)."""

    def build(self, target: Target, params: Any) -> Change:
        prior = self._read(target)
        new = _merged(prior, params.wanted())
        record = {"PublicAccessBlockConfiguration": prior, "new": new}
        if prior is not None and new == {k: bool(prior.get(k)) for k in PAB_KEYS}:
            return self.change(target, params, "public access block already in force", prior=record, noop=True)
        turned = [k for k in PAB_KEYS if new[k] and not (prior or {}).get(k)]
        return self.change(target, params, f"turn on {', '.join(turned)} for {target.resource.display_name}",
                           prior=record, calls=(self.call_put,))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        self._put(target, change.prior["new"])
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        prior = change.prior["PublicAccessBlockConfiguration"]
        if prior is None:
            self._delete(target)
        else:
            self._put(target, prior)

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"PublicAccessBlockConfiguration": self._read(target)}


@action(
    "s3.block-public-access",
    title="Turn on the bucket's S3 public access block (all four settings)",
    resource_types=BUCKET,
    calls=["s3:GetPublicAccessBlock", "s3:PutPublicAccessBlock", "s3:DeletePublicAccessBlock"],
    permissions=["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"],
    risk=Risk(breaks_traffic=True, note="public reads through ACLs or the bucket policy stop"),
    fixes=["s3.bucket-public-access-block", "s3.public-acl"],
)
class BlockBucketPublicAccess(_Block):
    """Puts a bucket-level public access block with the four settings on (settings already on
    stay on). Undo puts back the prior block, or deletes it when the bucket had none."""

    call_put = "s3:PutPublicAccessBlock"

    def _read(self, target: Target) -> dict[str, bool] | None:
        resp = _get(_s3(target).get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",),
                    Bucket=_bucket(target))
        return None if resp is None else dict(resp["PublicAccessBlockConfiguration"])

    def _put(self, target: Target, conf: Mapping[str, bool]) -> None:
        _s3(target).put_public_access_block(Bucket=_bucket(target), PublicAccessBlockConfiguration=dict(conf))

    def _delete(self, target: Target) -> None:
        _s3(target).delete_public_access_block(Bucket=_bucket(target))


@action(
    "s3.account-block-public-access",
    title="Turn on the account-level S3 public access block (all four settings)",
    resource_types=ACCOUNT_PAB,
    calls=["s3control:GetPublicAccessBlock", "s3control:PutPublicAccessBlock", "s3control:DeletePublicAccessBlock"],
    permissions=["s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"],
    risk=Risk(breaks_traffic=True, note="every public bucket and access point of the account stops being public"),
    fixes=["s3.account-public-access-block"],
)
class BlockAccountPublicAccess(_Block):
    """Puts the account's public access block with the four settings on. Undo puts back the
    prior block, or deletes it when the account had none."""

    call_put = "s3control:PutPublicAccessBlock"

    def _client(self, target: Target) -> Any:
        return target.client("s3control")

    def _read(self, target: Target) -> dict[str, bool] | None:
        resp = _get(self._client(target).get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",),
                    AccountId=target.session.account)
        return None if resp is None else dict(resp["PublicAccessBlockConfiguration"])

    def _put(self, target: Target, conf: Mapping[str, bool]) -> None:
        self._client(target).put_public_access_block(
            AccountId=target.session.account, PublicAccessBlockConfiguration=dict(conf))

    def _delete(self, target: Target) -> None:
        self._client(target).delete_public_access_block(AccountId=target.session.account)


# ---------------------------------------------------------------- default encryption


class EncryptionParams(Params):
    algorithm: Literal["AES256", "aws:kms"] = Field(default="AES256", description="SSE-S3 or SSE-KMS")
    kms_key_id: str | None = Field(default=None, description="KMS key for aws:kms (default: the AWS-managed key)")
    bucket_key: bool = Field(default=True, description="S3 Bucket Key (fewer KMS requests) with aws:kms")

    @model_validator(mode="after")
    def _key_needs_kms(self) -> EncryptionParams:
        if self.kms_key_id and self.algorithm != "aws:kms":
            raise ValueError("kms_key_id needs algorithm aws:kms")
        return self


def _algorithms(conf: Mapping[str, Any] | None) -> list[str]:
    return [str(r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]) for r in (conf or {}).get("Rules", [])
            if (r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")]


@action(
    "s3.default-encryption",
    title="Set the bucket's default server-side encryption (SSE-S3 or SSE-KMS)",
    resource_types=BUCKET,
    calls=["s3:GetBucketEncryption", "s3:PutBucketEncryption", "s3:DeleteBucketEncryption"],
    permissions=["s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"],
    risk=Risk(costs_money=True, note="SSE-KMS bills KMS requests (a Bucket Key reduces them); existing objects "
                                     "are not re-encrypted"),
    fixes=["s3.default-encryption"],
)
class DefaultEncryption(Action):
    """Puts a default encryption rule on the bucket; a bucket already encrypting by default (with
    KMS when KMS is asked) is left alone. Undo puts back the prior configuration or deletes it."""

    params_model = EncryptionParams

    def _read(self, target: Target) -> dict[str, Any] | None:
        resp = _get(_s3(target).get_bucket_encryption, ("ServerSideEncryptionConfigurationNotFoundError",),
                    Bucket=_bucket(target))
        return None if resp is None else dict(resp["ServerSideEncryptionConfiguration"])

    def build(self, target: Target, params: Any) -> Change:
        prior = self._read(target)
        have = _algorithms(prior)
        ok = any(a.startswith("aws:kms") for a in have) if params.algorithm == "aws:kms" else bool(have)
        by_default: dict[str, Any] = {"SSEAlgorithm": params.algorithm}
        if params.kms_key_id:
            by_default["KMSMasterKeyID"] = params.kms_key_id
        rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": by_default}
        if params.algorithm == "aws:kms":
            rule["BucketKeyEnabled"] = params.bucket_key
        record = {"ServerSideEncryptionConfiguration": prior, "new": {"Rules": [rule]}}
        if ok:
            return self.change(target, params, f"already encrypted by default ({have[0]})", prior=record, noop=True)
        return self.change(target, params, f"set default encryption {params.algorithm} on {_bucket(target)}",
                           prior=record, calls=("s3:PutBucketEncryption",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        _s3(target).put_bucket_encryption(Bucket=_bucket(target), ServerSideEncryptionConfiguration=change.prior["new"])
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        prior = change.prior["ServerSideEncryptionConfiguration"]
        if prior is None:
            _s3(target).delete_bucket_encryption(Bucket=_bucket(target))
        else:
            _s3(target).put_bucket_encryption(Bucket=_bucket(target), ServerSideEncryptionConfiguration=prior)

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"ServerSideEncryptionConfiguration": self._read(target)}


# ---------------------------------------------------------------- versioning


@action(
    "s3.enable-versioning",
    title="Enable versioning on the bucket",
    resource_types=BUCKET,
    calls=["s3:GetBucketVersioning", "s3:PutBucketVersioning"],
    permissions=["s3:GetBucketVersioning", "s3:PutBucketVersioning"],
    risk=Risk(costs_money=True, note="every overwritten or deleted object keeps a billed noncurrent version"),
    reversible_note="a bucket that never had versioning goes back to Suspended: S3 cannot make a bucket "
                    "unversioned again; the versions written meanwhile stay",
    fixes=["s3.versioning-enabled"],
)
class EnableVersioning(Action):
    """Sets versioning to Enabled. Undo suspends it again (S3 has no way back to 'never
    versioned'); MFA delete is not touched."""

    def _read(self, target: Target) -> str | None:
        status = _s3(target).get_bucket_versioning(Bucket=_bucket(target)).get("Status")
        return str(status) if status else None

    def build(self, target: Target, params: Any) -> Change:
        prior = self._read(target)
        record = {"Status": prior}
        if prior == "Enabled":
            return self.change(target, params, "versioning already enabled", prior=record, noop=True)
        return self.change(target, params, f"enable versioning on {_bucket(target)} (was {prior or 'never enabled'})",
                           prior=record, calls=("s3:PutBucketVersioning",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        _s3(target).put_bucket_versioning(Bucket=_bucket(target), VersioningConfiguration={"Status": "Enabled"})
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        _s3(target).put_bucket_versioning(Bucket=_bucket(target), VersioningConfiguration={"Status": "Suspended"})

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"Status": self._read(target)}


# ---------------------------------------------------------------- deny HTTP


DENY_SID = "DenyInsecureTransport"


def deny_http_statement(bucket_arn: str, sid: str = DENY_SID) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def merge_deny_http(policy_text: str | None, bucket_arn: str) -> dict[str, Any]:
    """The policy with a deny-insecure-transport statement added; every statement is kept."""
    doc: dict[str, Any] = json.loads(policy_text) if policy_text else {"Version": "2012-10-17"}
    statements = doc.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    sids = {s.get("Sid") for s in statements if isinstance(s, dict)}
    sid, n = DENY_SID, 1
    while sid in sids:
        n += 1
        sid = f"{DENY_SID}{n}"
    return {**doc, "Statement": [*statements, deny_http_statement(bucket_arn, sid)]}


@action(
    "s3.deny-http",
    title="Merge a deny-insecure-transport statement into the bucket policy",
    resource_types=BUCKET,
    calls=["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    permissions=["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    risk=Risk(breaks_traffic=True, note="clients still using plain HTTP are refused"),
    fixes=["s3.deny-http"],
)
class DenyHttp(Action):
    """Adds one Deny statement (aws:SecureTransport false, every principal, s3:*, the bucket and
    its objects) to the existing policy, keeping every statement. Undo puts back the exact prior
    policy text, or deletes the policy when the bucket had none."""

    def _read(self, target: Target) -> str | None:
        resp = _get(_s3(target).get_bucket_policy, ("NoSuchBucketPolicy",), Bucket=_bucket(target))
        return None if resp is None else str(resp["Policy"])

    def build(self, target: Target, params: Any) -> Change:
        prior = self._read(target)
        r = target.resource
        arn = r.arn or f"arn:{target.session.partition(target.region)}:s3:::{_bucket(target)}"
        record: dict[str, Any] = {"Policy": prior, "new": None}
        if prior is not None:
            policy = Resource(POLICY, f"{r.id}/policy", {"Bucket": _bucket(target), "PolicyDocument": json.loads(prior)},
                              account=r.account, region=r.region, origin=Origin(account=r.account, region=r.region))
            if control_passes("s3.deny-http", r, policy):
                return self.change(target, params, "the bucket policy already denies plain HTTP", prior=record,
                                   noop=True)
        record["new"] = json.dumps(merge_deny_http(prior, arn))
        kept = len(merge_deny_http(prior, arn)["Statement"]) - 1
        return self.change(target, params, f"add {DENY_SID} to the policy of {_bucket(target)} ({kept} statement(s) "
                           "kept)", prior=record, calls=("s3:PutBucketPolicy",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        _s3(target).put_bucket_policy(Bucket=_bucket(target), Policy=change.prior["new"])
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        prior = change.prior["Policy"]
        if prior is None:
            _s3(target).delete_bucket_policy(Bucket=_bucket(target))
        else:
            _s3(target).put_bucket_policy(Bucket=_bucket(target), Policy=prior)

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"Policy": self._read(target)}
