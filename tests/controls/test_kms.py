"""KMS controls: rotation and key policies, live and template shapes."""

from __future__ import annotations

from typing import Any

import pytest

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


# ---------------------------------------------------------------- unknowns that cannot change the answer

# What railguard/sources/cloudformation/resolve.py gives an unresolved `!Sub` and pseudo parameter.
ACCOUNT_UNKNOWN = "AWS::AccountId is only known at deployment (set --param AWS::AccountId=...)"
ROOT_ARN = Unknown(f"Fn::Sub 'arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:root': {ACCOUNT_UNKNOWN}")
ACCOUNT = Unknown(ACCOUNT_UNKNOWN)
PARAM = Unknown("parameter Who has no Default (set --param Who=...)")


def _wildcard(*statements: Any) -> Result:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    out = results(run("kms.key-policy-wildcard-principal", tpl(KEY, "K", {"KeyPolicy": document}), place=IAC))
    return out["K"][0]


@pytest.mark.parametrize("principal", [
    ROOT_ARN, {"AWS": ROOT_ARN}, {"AWS": [ROOT_ARN, "arn:aws:iam::123456789012:role/Admin"]}, {"AWS": ACCOUNT},
    {"AWS": Unknown("Fn::Sub \"arn:aws:iam::${AWS::AccountId}:role/it's\": " + ACCOUNT_UNKNOWN)},
    {"AWS": Unknown("Fn::Sub '${AWS::AccountId}': " + ACCOUNT_UNKNOWN)},
    {"AWS": Unknown("Fn::Sub 'arn:aws:iam::${AWS::AccountId}:role/a-very-long-path/that-is-cut-at-eighty-cha${AWS::Acc': "
                    + ACCOUNT_UNKNOWN)},
])
def test_key_policy_principal_that_cannot_be_everyone_passes(principal: Any) -> None:
    assert _wildcard({**ROOT, "Principal": principal}) == Result.PASS


@pytest.mark.parametrize("principal", [
    PARAM, {"AWS": PARAM}, {"AWS": ["arn:aws:iam::123456789012:root", PARAM]},
    {"AWS": Unknown(f"Fn::Join: {ACCOUNT_UNKNOWN}")},  # no template to read: could be anything
    {"AWS": Unknown("Fn::Sub '${Who}': parameter Who has no Default")},
    {"AWS": Unknown("Fn::Sub '${AWS::AccountId}${Who}': parameter Who has no Default")},
    {"AWS": Unknown("Fn::Sub '${Who}*': parameter Who has no Default")},  # "*" when Who is empty
    {"AWS": Unknown("depends on condition Open (parameter Open has no Default)")},
])
def test_key_policy_principal_that_could_be_everyone_stays_unknown(principal: Any) -> None:
    assert _wildcard({**ROOT, "Principal": principal}) == Result.UNKNOWN


def test_key_policy_unknown_that_cannot_change_the_answer() -> None:
    # another statement's unknown Resource or Sid does not block a PASS the statements settle
    assert _wildcard(ROOT, {**ROOT, "Sid": Unknown("x"), "Resource": Unknown("GetAtt X.Arn")}) == Result.PASS
    # an unknown principal on a statement that cannot open the key anyway
    assert _wildcard({**OPEN, "Principal": PARAM, "Action": ["kms:Decrypt", "kms:Encrypt"]}) == Result.PASS
    assert _wildcard({**OPEN, "Principal": PARAM, "Effect": "Deny"}) == Result.PASS
    assert _wildcard({**OPEN, "Principal": PARAM,
                      "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}}) == Result.PASS
    # an unknown action on a statement whose principal is named
    assert _wildcard({**ROOT, "Action": [PARAM]}) == Result.PASS
    # a statement known to open the key fails it, whatever the unknown ones
    assert _wildcard(OPEN, {**ROOT, "Principal": PARAM}, Unknown("depends on condition C")) == Result.FAIL
    assert _wildcard({**OPEN, "Action": [PARAM, "kms:*"], "Resource": Unknown("x")}) == Result.FAIL


@pytest.mark.parametrize("override", [
    {"Effect": Unknown("depends on condition Strict")},
    {"Condition": Unknown("depends on condition Strict")},  # may be AWS::NoValue
    {"Action": PARAM},
    {"Action": ["kms:Decrypt", PARAM]},
    {"Principal": {"AWS": [ROOT_ARN, PARAM]}},
])
def test_key_policy_unknown_that_could_open_the_key_is_unknown(override: dict[str, Any]) -> None:
    assert _wildcard(ROOT, {**OPEN, **override}) == Result.UNKNOWN
    assert _wildcard({**OPEN, **override}, Unknown("depends on condition C")) == Result.UNKNOWN


def test_key_policy_unresolved_account_in_a_loaded_template() -> None:
    """The reason format the control reads comes from the CloudFormation resolver: load a real template."""
    from railguard.sources.cloudformation import load_text

    text = """
Parameters:
  Who: {Type: String}
Resources:
  Named:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"},
             Action: "kms:*", Resource: "*"}
          - {Effect: Allow, Principal: {AWS: !Ref "AWS::AccountId"}, Action: "kms:*", Resource: "*"}
          - Effect: Allow
            Principal: {AWS: !Join ["", ["arn:aws:iam::", !Ref "AWS::AccountId", ":role/Admin"]]}
            Action: ["kms:Describe*", "kms:Put*"]
            Resource: "*"
  Param:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - {Effect: Allow, Principal: {AWS: !Ref Who}, Action: "kms:*", Resource: "*"}
  SubParam:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub "${Who}"}, Action: "kms:*", Resource: "*"}
  Open:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - {Effect: Allow, Principal: {AWS: !Ref Who}, Action: "kms:*", Resource: "*"}
          - {Effect: Allow, Principal: "*", Action: "kms:*", Resource: !Sub "arn:aws:kms:${AWS::Region}:1:key/*"}
"""
    loaded = load_text(text, "key.yaml")
    assert not loaded.errors
    out = results(run("kms.key-policy-wildcard-principal", *loaded.resources, place=IAC))
    assert {k: v[0] for k, v in out.items()} == {
        "Named": Result.PASS, "Param": Result.UNKNOWN, "SubParam": Result.UNKNOWN, "Open": Result.FAIL}
