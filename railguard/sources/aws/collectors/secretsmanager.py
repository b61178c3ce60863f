"""Secrets Manager secrets: `AWS::SecretsManager::Secret` and their resource policies, per region.

Calls per region: `ListSecrets` (paginated); `GetResourcePolicy` once per secret only when
`AWS::SecretsManager::ResourcePolicy` is wanted. Secret values are never read.

Secret properties (CloudFormation shape): Name, Description, KmsKeyId. Live facts:
rotation_enabled, last_rotated, last_accessed.

`AWS::SecretsManager::ResourcePolicy`: `{"SecretId": secret ARN, "ResourcePolicy": parsed JSON}`,
id `<secret ARN>#policy`, one per secret that has a policy; a failed call yields one whose
ResourcePolicy is `Unknown` (the secret may have a policy).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, json_document, per_resource

SECRET = "AWS::SecretsManager::Secret"
SECRET_POLICY = "AWS::SecretsManager::ResourcePolicy"


def _iso(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


@collector("secretsmanager", yields=[SECRET, SECRET_POLICY], scope=REGIONAL,
           calls=["secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy"])
def collect_secrets(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("secretsmanager")
    want_policy = ctx.wants(SECRET_POLICY)

    def read(secret: dict[str, Any]) -> list[Resource]:
        arn, name = secret["ARN"], secret.get("Name") or secret["ARN"]
        props: dict[str, Any] = {"Name": name}
        for key in ("Description", "KmsKeyId"):
            if secret.get(key):
                props[key] = secret[key]
        live = {"rotation_enabled": bool(secret.get("RotationEnabled")),
                "last_rotated": _iso(secret.get("LastRotatedDate")), "last_accessed": _iso(secret.get("LastAccessedDate"))}
        out = [ctx.resource(SECRET, arn, props, arn=arn, name=name, live=live)]
        if want_policy:
            try:
                policy = json_document(client.get_resource_policy(SecretId=arn).get("ResourcePolicy"))
            except Exception as exc:
                policy = ctx.unknown(exc, "secretsmanager:GetResourcePolicy")
            if policy is not None:
                out.append(ctx.resource(SECRET_POLICY, f"{arn}#policy", {"SecretId": arn, "ResourcePolicy": policy},
                                        name=f"{name} policy"))
        return out

    secrets = list(ctx.paginate("secretsmanager", "list_secrets", "SecretList"))
    for found in per_resource(read, secrets):
        yield from found
