"""KMS: customer-managed keys rotate, and no key policy hands `kms:*` to everyone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from railguard.controls import control
from railguard.controls.helpers import as_list, truthy
from railguard.model import (
    Resource,
    Severity,
    Unknown,
    Verdict,
    failed,
    find_unknown,
    passed,
    require,
    unknown,
)

KEY = "AWS::KMS::Key"
KEY_POLICY = "AWS::KMS::Key#KeyPolicy"  # facet: the kms collector fetches GetKeyPolicy only when read


def _in_rotation_scope(key: Resource) -> bool:
    """Automatic rotation exists only for enabled symmetric encryption keys with KMS key material."""
    if key.is_live:
        if key.fact("key_state") != "Enabled":
            return False
    elif key.get("Enabled") is False or str(key.get("Enabled")).lower() == "false":
        return False
    spec = key.get("KeySpec") or "SYMMETRIC_DEFAULT"
    usage = key.get("KeyUsage") or "ENCRYPT_DECRYPT"
    origin = key.get("Origin") or "AWS_KMS"
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT" and origin == "AWS_KMS"


@control(
    "kms.rotation-enabled",
    title="Rotation is enabled for customer-managed symmetric KMS keys",
    resource=KEY,
    severity=Severity.MEDIUM,
    fix="Set EnableKeyRotation: true on the key (kms:EnableKeyRotation)",
    places=("live", "iac"),
)
def rotation_enabled(key: Resource) -> Verdict | None:
    if not _in_rotation_scope(key):
        return None
    rotation = key.get("EnableKeyRotation")
    if rotation is None and key.is_live:
        return unknown("the key's rotation status was not collected")
    if truthy(rotation):
        return passed("automatic key rotation is enabled")
    return failed("automatic key rotation is disabled", EnableKeyRotation=False)


def _principal_is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(v == "*" for v in as_list(principal.get("AWS")))
    return False


def _grants_kms_all(actions: Any) -> bool:
    return any(str(a).lower() in ("kms:*", "*") for a in as_list(actions))


@control(
    "kms.key-policy-wildcard-principal",
    title="KMS key policy does not grant kms:* to every principal without a condition",
    resource=KEY,
    reads=[KEY_POLICY],
    severity=Severity.CRITICAL,
    fix="Name the principals in the key policy (e.g. the account root) or add a Condition to the '*' statement",
    places=("live", "iac"),
)
def key_policy_wildcard_principal(key: Resource) -> Verdict:
    policy = key.get("KeyPolicy")
    if isinstance(policy, str):
        policy = json.loads(policy)
    if policy is None:
        return passed("no key policy declared: the default policy grants only the account")
    if not isinstance(policy, Mapping):
        return failed("key policy is not a JSON object", KeyPolicy=str(policy)[:80])
    offending = []
    for st in as_list(policy.get("Statement")):
        if isinstance(st, Unknown) or find_unknown(st) is not None:
            require(find_unknown(st), "KeyPolicy.Statement")
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        if _principal_is_everyone(st.get("Principal")) and _grants_kms_all(st.get("Action")):
            offending.append(st.get("Sid") or "(no Sid)")
    if offending:
        return failed("key policy allows kms:* to Principal '*' without a condition", statements=offending)
    return passed("no statement grants kms:* to everyone without a condition")
