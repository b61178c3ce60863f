"""KMS customer-managed keys: `AWS::KMS::Key`, per region.

Calls per region: `ListKeys` (paginated); per key `DescribeKey` (AWS-managed keys are then
skipped); `GetKeyRotationStatus` only for enabled symmetric encryption keys with key material
from KMS (the only keys automatic rotation applies to); `GetKeyPolicy` only when a selected
control reads key policies, which it says with `reads=["AWS::KMS::Key#KeyPolicy"]`: a facet of
the key type (as the S3 collector's bucket facets) that this collector answers by filling
`KeyPolicy` on each key; no resource of the facet type is ever yielded.

Properties (CloudFormation shape): Description, Enabled, KeySpec, KeyUsage, MultiRegion,
Origin, EnableKeyRotation (only for the keys above), KeyPolicy (parsed JSON when wanted, else
`Unknown("not collected")`, so a control that forgot to read the facet says UNKNOWN, never PASS).
A denied per-key call makes the property it feeds `Unknown`; a denied `DescribeKey` makes
the whole key `Unknown` (it may be customer-managed), KeyPolicy included: an absent KeyPolicy
would read as "no policy declared" and pass the key-policy control.

Live facts: key_state (Enabled, Disabled, PendingDeletion, ...), key_manager, creation_date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource

KEY = "AWS::KMS::Key"
KEY_POLICY = "AWS::KMS::Key#KeyPolicy"  # facet read by railguard.controls.kms


@collector(
    "kms",
    yields=[KEY, KEY_POLICY],
    scope=REGIONAL,
    calls=["kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy"],
)
def collect_keys(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("kms")
    want_policy = ctx.wants(KEY_POLICY)

    def read(key: dict[str, Any]) -> Resource | None:
        return key_resource(ctx, client, key["KeyId"], key.get("KeyArn"), want_policy=want_policy)

    keys = list(ctx.paginate("kms", "list_keys", "Keys"))
    for res in per_resource(read, keys):
        if res is not None:
            yield res


def key_resource(ctx: CollectContext, client: Any, key_id: str, arn: str | None, *, want_policy: bool) -> Resource | None:
    """One customer-managed key as a resource (None for an AWS-managed key)."""
    try:
        md = client.describe_key(KeyId=key_id)["KeyMetadata"]
    except Exception as exc:
        u = ctx.unknown(exc, "kms:DescribeKey")
        unknown: dict[str, Any] = dict.fromkeys(
            ("Enabled", "KeySpec", "KeyUsage", "Origin", "EnableKeyRotation"), u)
        unknown["KeyPolicy"] = u if want_policy else ctx.not_collected(KEY_POLICY)
        return ctx.resource(KEY, key_id, unknown, arn=arn, live={"key_state": u})
    if md.get("KeyManager") == "AWS":
        return None
    spec = md.get("KeySpec") or md.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = md.get("KeyUsage") or "ENCRYPT_DECRYPT"  # the API default (moto omits it)
    props: dict[str, Any] = {
        "Description": md.get("Description", ""),
        "Enabled": bool(md.get("Enabled")),
        "KeySpec": spec,
        "KeyUsage": usage,
        "MultiRegion": bool(md.get("MultiRegion")),
        "Origin": md.get("Origin"),
    }
    state = md.get("KeyState")
    if (spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT"
            and md.get("Origin", "AWS_KMS") == "AWS_KMS" and state == "Enabled"):
        try:
            props["EnableKeyRotation"] = bool(
                client.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled"))
        except Exception as exc:
            props["EnableKeyRotation"] = ctx.unknown(exc, "kms:GetKeyRotationStatus")
    if want_policy:
        try:
            props["KeyPolicy"] = json.loads(
                client.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        except Exception as exc:
            props["KeyPolicy"] = ctx.unknown(exc, "kms:GetKeyPolicy")
    else:
        props["KeyPolicy"] = ctx.not_collected(KEY_POLICY)
    created = md.get("CreationDate")
    live = {
        "key_state": state,
        "key_manager": md.get("KeyManager"),
        "creation_date": created.isoformat() if hasattr(created, "isoformat") else created,
    }
    return ctx.resource(KEY, key_id, props, arn=md.get("Arn") or arn, live=live)
