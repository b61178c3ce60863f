"""KMS controls: rotation and key policies, live and template shapes."""

from __future__ import annotations

from typing import Any

from railguard.model import Result, Unknown
from tests.controls.logging_fixtures import IAC, live, results, run, tpl

KEY = "AWS::KMS::Key"


def key(kid: str, state: str = "Enabled", **props: Any) -> Any:
    base = {"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS", "Enabled": True}
    base.update(props)
    return live(KEY, kid, base, live_facts={"key_state": state, "key_manager": "CUSTOMER"})


def test_rotation_live() -> None:
    out = results(run("kms.rotation-enabled", key("on", EnableKeyRotation=True), key("off", EnableKeyRotation=False),
                      key("denied", EnableKeyRotation=Unknown("access denied on kms:GetKeyRotationStatus")),
                      key("asym", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY"),
                      key("imported", Origin="EXTERNAL"), key("disabled", state="Disabled"),
                      key("uncollected")))
    assert out["on"][0] == Result.PASS
    assert out["off"] == (Result.FAIL, "automatic key rotation is disabled")
    assert out["denied"][0] == Result.UNKNOWN
    assert out["uncollected"][0] == Result.UNKNOWN
    assert not {"asym", "imported", "disabled"} & set(out)  # out of scope: no finding


def test_rotation_unknown_key_state_is_unknown() -> None:
    out = results(run("kms.rotation-enabled", key("u", state=Unknown("DescribeKey denied"))))  # type: ignore[arg-type]
    assert out["u"][0] == Result.UNKNOWN


def test_rotation_template() -> None:
    out = results(run("kms.rotation-enabled", tpl(KEY, "Rotated", {"EnableKeyRotation": True}),
                      tpl(KEY, "Plain", {}), tpl(KEY, "Sign", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}),
                      place=IAC))
    assert out == {"Rotated": (Result.PASS, "automatic key rotation is enabled"),
                   "Plain": (Result.FAIL, "automatic key rotation is disabled")}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*", "Resource": "*"}
OPEN = {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}


def test_key_policy_wildcard_principal() -> None:
    conditioned = {**OPEN, "Sid": "Org", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}}
    star = {**OPEN, "Sid": "Star", "Principal": "*", "Action": ["kms:Decrypt", "*"]}
    out = results(run("kms.key-policy-wildcard-principal", key("ok", KeyPolicy=policy(ROOT)),
                      key("open", KeyPolicy=policy(ROOT, OPEN)), key("cond", KeyPolicy=policy(conditioned)),
                      key("star", KeyPolicy=policy(star)),
                      key("decrypt", KeyPolicy=policy({**OPEN, "Action": "kms:Decrypt"})),
                      key("denied", KeyPolicy=Unknown("access denied on kms:GetKeyPolicy"))))
    assert out["ok"][0] == Result.PASS and out["cond"][0] == Result.PASS and out["decrypt"][0] == Result.PASS
    assert out["open"][0] == Result.FAIL and out["star"][0] == Result.FAIL
    assert out["denied"][0] == Result.UNKNOWN


def test_key_policy_template_string_and_unknown() -> None:
    import json

    out = results(run("kms.key-policy-wildcard-principal",
                      tpl(KEY, "Str", {"KeyPolicy": json.dumps(policy(OPEN))}),
                      tpl(KEY, "Default", {}),
                      tpl(KEY, "Unres", {"KeyPolicy": policy({**OPEN, "Principal": {"AWS": Unknown("!Ref P")}})}),
                      place=IAC))
    assert out["Str"][0] == Result.FAIL and out["Default"][0] == Result.PASS and out["Unres"][0] == Result.UNKNOWN
