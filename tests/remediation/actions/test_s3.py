"""S3 actions under moto: dry-run changes nothing, apply turns the control from FAIL to PASS,
undo puts back the exact prior configuration (or deletes it) and the control fails again."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from railguard.model import Result
from railguard.remediation.action import ParamsError
from railguard.remediation.actions import get
from railguard.remediation.actions.s3 import ACCOUNT_PAB, BUCKET, merge_deny_http
from railguard.sources.aws.errors import error_code
from railguard.sources.aws.session import AccountSession
from tests.remediation.actions.support import REGION, journalled, plan, session, verdict

PAB = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


@pytest.fixture
def sess(aws: None) -> AccountSession:
    return session()


@pytest.fixture
def s3(aws: None) -> Any:
    return boto3.client("s3", region_name=REGION)


def bucket(s3: Any, name: str = "rg-bucket") -> str:
    s3.create_bucket(Bucket=name)
    return name


def roundtrip(sess: AccountSession, action_id: str, control_id: str, resource_type: str, rid: str,
              read: Callable[[], Any], params: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """The life of one action: FAIL, plan (nothing changes), apply (PASS), current, undo (as before,
    FAIL). Returns (state before, state after apply) as `read` gives them."""
    before = read()
    assert verdict(sess, control_id, rid, resource_type=resource_type) == Result.FAIL
    t, change = plan(sess, action_id, resource_type, rid, params)
    assert not change.noop and change.calls
    json.dumps(change.to_dict())
    assert read() == before, "planning changed the resource"
    spec = get(action_id)
    applied = spec.apply(t, change)
    after = read()
    assert after != before
    assert verdict(sess, control_id, rid, resource_type=resource_type) == Result.PASS
    left = spec.current(t)
    spec.undo(t, journalled(change), applied)
    assert read() == before, "undo did not restore the prior state"
    assert spec.current(t) != left
    assert verdict(sess, control_id, rid, resource_type=resource_type) == Result.FAIL
    return before, after


def noop(sess: AccountSession, action_id: str, resource_type: str, rid: str, params: dict[str, Any] | None = None
         ) -> None:
    _, change = plan(sess, action_id, resource_type, rid, params)
    assert change.noop and change.calls == ()


def _get(fn: Callable[..., Any], key: str, **kw: Any) -> Any:
    try:
        return fn(**kw)[key]
    except Exception as exc:
        return f"absent: {error_code(exc)}"


# ---------------------------------------------------------------- public access block


def test_bucket_public_access_block(sess: AccountSession, s3: Any) -> None:
    name = bucket(s3)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={**PAB, "BlockPublicPolicy": False,
                                                                              "IgnorePublicAcls": False})

    def read() -> Any:
        return _get(s3.get_public_access_block, "PublicAccessBlockConfiguration", Bucket=name)

    _, after = roundtrip(sess, "s3.block-public-access", "s3.bucket-public-access-block", BUCKET, name, read)
    assert after == PAB
    s3.delete_public_access_block(Bucket=name)  # none at all: undo deletes the block it put
    before, _ = roundtrip(sess, "s3.block-public-access", "s3.bucket-public-access-block", BUCKET, name, read)
    assert before.startswith("absent")
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PAB)
    noop(sess, "s3.block-public-access", BUCKET, name)


def test_account_public_access_block(sess: AccountSession) -> None:
    ctl = boto3.client("s3control", region_name=REGION)

    def read() -> Any:
        return _get(ctl.get_public_access_block, "PublicAccessBlockConfiguration", AccountId=sess.account)

    before, after = roundtrip(sess, "s3.account-block-public-access", "s3.account-public-access-block",
                              ACCOUNT_PAB, sess.account, read)
    assert before.startswith("absent") and after == PAB
    ctl.put_public_access_block(AccountId=sess.account, PublicAccessBlockConfiguration=PAB)
    noop(sess, "s3.account-block-public-access", ACCOUNT_PAB, sess.account)


def test_block_params_refused() -> None:
    with pytest.raises(ParamsError, match="block_public_acl"):
        get("s3.block-public-access").validate({"block_public_acl": True})
    with pytest.raises(ParamsError, match="ignore_public_acls"):
        get("s3.account-block-public-access").validate({"ignore_public_acls": "maybe"})


# ---------------------------------------------------------------- encryption


def test_default_encryption(sess: AccountSession, s3: Any) -> None:
    name = bucket(s3)

    def read() -> Any:
        return _get(s3.get_bucket_encryption, "ServerSideEncryptionConfiguration", Bucket=name)

    before, after = roundtrip(sess, "s3.default-encryption", "s3.default-encryption", BUCKET, name, read)
    assert before.startswith("absent")
    assert after["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    noop_params = {"algorithm": "AES256"}
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    noop(sess, "s3.default-encryption", BUCKET, name, noop_params)
    # asked for KMS, the bucket has SSE-S3: the control with require_kms fails, the action upgrades it
    t, change = plan(sess, "s3.default-encryption", BUCKET, name, {"algorithm": "aws:kms"})
    assert not change.noop
    prior = read()
    get("s3.default-encryption").apply(t, change)
    assert verdict(sess, "s3.default-encryption", name, resource_type=BUCKET, params={"require_kms": True}) \
        == Result.PASS
    get("s3.default-encryption").undo(t, change, {})
    assert read() == prior


def test_encryption_params_refused() -> None:
    with pytest.raises(ParamsError, match="algorithm"):
        get("s3.default-encryption").validate({"algorithm": "rot13"})
    with pytest.raises(ParamsError, match="kms_key_id needs algorithm aws:kms"):
        get("s3.default-encryption").validate({"kms_key_id": "alias/x"})


# ---------------------------------------------------------------- versioning


def test_enable_versioning(sess: AccountSession, s3: Any) -> None:
    name = bucket(s3)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})

    def read() -> Any:
        return s3.get_bucket_versioning(Bucket=name).get("Status")

    before, after = roundtrip(sess, "s3.enable-versioning", "s3.versioning-enabled", BUCKET, name, read)
    assert (before, after) == ("Suspended", "Enabled")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    noop(sess, "s3.enable-versioning", BUCKET, name)


def test_versioning_never_enabled_goes_back_to_suspended(sess: AccountSession, s3: Any) -> None:
    """S3 has no way back to 'never versioned': undo leaves it Suspended, and says so in metadata."""
    name = bucket(s3, "rg-fresh")
    t, change = plan(sess, "s3.enable-versioning", BUCKET, name)
    assert change.prior == {"Status": None}
    spec = get("s3.enable-versioning")
    spec.apply(t, change)
    spec.undo(t, change, {})
    assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Suspended"
    assert verdict(sess, "s3.versioning-enabled", name, resource_type=BUCKET) == Result.FAIL
    assert "Suspended" in spec.reversible_note
    with pytest.raises(ParamsError, match="status"):
        spec.validate({"status": "Enabled"})


# ---------------------------------------------------------------- deny HTTP


def test_merge_keeps_every_statement() -> None:
    prior = json.dumps({"Version": "2012-10-17", "Statement": {"Sid": "DenyInsecureTransport", "Effect": "Allow",
                                                               "Principal": "*", "Action": "s3:GetObject",
                                                               "Resource": "arn:aws:s3:::b/*"}})
    merged = merge_deny_http(prior, "arn:aws:s3:::b")
    assert merged["Statement"][0] == json.loads(prior)["Statement"]
    assert merged["Statement"][1]["Sid"] == "DenyInsecureTransport2"
    assert merge_deny_http(None, "arn:aws:s3:::b")["Statement"][0]["Effect"] == "Deny"


def test_deny_http_merges_and_undo_restores_the_exact_policy(sess: AccountSession, s3: Any) -> None:
    name = bucket(s3)
    text = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadForPartner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}, indent=1)
    s3.put_bucket_policy(Bucket=name, Policy=text)

    def read() -> Any:
        return _get(s3.get_bucket_policy, "Policy", Bucket=name)

    before, after = roundtrip(sess, "s3.deny-http", "s3.deny-http", BUCKET, name, read)
    assert before == text
    statements = json.loads(after)["Statement"]
    assert statements[0] == json.loads(text)["Statement"][0] and len(statements) == 2
    noop_text = after
    s3.put_bucket_policy(Bucket=name, Policy=noop_text)
    noop(sess, "s3.deny-http", BUCKET, name)


def test_deny_http_without_a_policy_deletes_it_on_undo(sess: AccountSession, s3: Any) -> None:
    name = bucket(s3, "rg-nopolicy")

    def read() -> Any:
        return _get(s3.get_bucket_policy, "Policy", Bucket=name)

    before, _ = roundtrip(sess, "s3.deny-http", "s3.deny-http", BUCKET, name, read)
    assert before.startswith("absent")
    with pytest.raises(ParamsError, match="sid"):
        get("s3.deny-http").validate({"sid": "x"})


def test_block_public_access_also_neutralises_a_public_acl(sess: AccountSession, s3: Any) -> None:
    name = bucket(s3, "rg-public-acl")
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    assert verdict(sess, "s3.public-acl", name, resource_type=BUCKET) == Result.FAIL
    t, change = plan(sess, "s3.block-public-access", BUCKET, name)
    get("s3.block-public-access").apply(t, change)
    assert verdict(sess, "s3.public-acl", name, resource_type=BUCKET) == Result.PASS
