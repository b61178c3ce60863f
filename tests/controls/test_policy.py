"""IAM policy-document analysis, on its own: wildcards, NotAction/NotResource, conditions,
statements spread over documents, explicit Deny, URL-encoded documents, unknown values."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from railguard.controls import policy as pol
from railguard.controls.policy import Decision
from railguard.model import Unknown, UnknownValue


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# --- patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", "iam:PassRole", True),
        ("*", "*", True),
        ("*:*", "*", True),
        ("iam:*", "iam:PassRole", True),
        ("IAM:passrole", "iam:PassRole", True),  # actions match case-insensitively
        ("iam:*", "iam:*", True),
        ("iam:*", "*", False),
        ("iam:*", "s3:GetObject", False),
        ("s3:Get*", "s3:GetObject", True),
        ("s3:Get*", "s3:Get*", True),
        ("s3:Get*", "s3:*", False),
        ("s3:GetObject*", "s3:Get*", False),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:G?t", "s3:G*t", False),  # ? is one character, * is any number
        ("s3:*Object", "s3:GetObject", True),
        ("s3:*Object", "s3:GetObjectAcl", False),
    ],
)
def test_action_covers(pattern: str, action: str, expected: bool) -> None:
    assert pol.action_covers(pattern, action) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("iam:*", "*", True),
        ("s3:Get*", "s3:*Acl", True),
        ("s3:Get*", "s3:Put*", False),
        ("iam:PassRole", "iam:Pass*", True),
        ("ec2:?un*", "ec2:Run*", True),
    ],
)
def test_action_overlaps(a: str, b: str, expected: bool) -> None:
    assert pol.action_overlaps(a, b) is expected


def test_resources_are_case_sensitive_and_star_means_every_arn() -> None:
    assert pol.resource_covers("*", "*")
    assert pol.resource_covers("arn:*", "*")
    assert not pol.resource_covers("arn:aws:s3:::bucket/*", "*")
    assert pol.resource_covers("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key")
    assert not pol.resource_covers("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/key")
    assert pol.resource_overlaps("arn:aws:s3:::bucket/*", "*")


def test_policy_variables_are_unknown_values() -> None:
    mine = "arn:aws:iam::111122223333:user/${aws:username}"
    assert not pol.resource_covers(mine, "*")
    assert pol.resource_overlaps(mine, "arn:aws:iam::111122223333:user/alice")
    assert not pol.resource_covers(mine, "arn:aws:iam::111122223333:user/alice")
    assert pol.resource_covers("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*") is False
    assert pol.resource_covers("arn:aws:s3:::b/${*}x", "arn:aws:s3:::b/*x") is False


# --- parsing --------------------------------------------------------------------------------


def test_parse_accepts_dicts_json_and_url_encoded_json() -> None:
    d = doc(allow("s3:GetObject"))
    text = json.dumps(d)
    for raw in (d, text, quote(text), quote(text).encode()):
        parsed = pol.parse(raw)
        assert len(parsed.statements) == 1
        assert parsed.statements[0].actions == ("s3:GetObject",)
        assert parsed.version == "2012-10-17"


def test_parse_single_statement_object_and_scalar_fields() -> None:
    parsed = pol.parse({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
    st = parsed.statements[0]
    assert st.is_allow and st.actions == ("*",) and st.resources == ("*",)


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        quote("{not json"),
        "[1, 2]",
        {"Version": "2012-10-17"},
        doc({"Effect": "Maybe", "Action": "*", "Resource": "*"}),
        doc({"Effect": "Allow", "Resource": "*"}),
        doc({"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}),
        doc({"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}),
        doc({"Effect": "Allow", "Action": [{"x": 1}], "Resource": "*"}),
        42,
    ],
)
def test_invalid_documents_raise_policy_error(raw) -> None:
    with pytest.raises(pol.PolicyError):
        pol.parse(raw)


def test_unknown_document_raises_unknown_value() -> None:
    with pytest.raises(UnknownValue):
        pol.parse(Unknown("unresolved Ref"))


# --- evaluation -----------------------------------------------------------------------------


def test_wildcard_allow_and_implicit_deny() -> None:
    d = doc(allow(["s3:Get*", "s3:List*"], "arn:aws:s3:::data/*"))
    assert pol.evaluate(d, "s3:GetObject", "arn:aws:s3:::data/k").allowed
    assert pol.evaluate(d, "s3:GetObject", "arn:aws:s3:::other/k").decision == Decision.IMPLICIT_DENY
    assert pol.evaluate(d, "s3:PutObject", "arn:aws:s3:::data/k").decision == Decision.IMPLICIT_DENY
    # "every Get on every resource" is not granted by a grant on one bucket
    assert not pol.evaluate(d, "s3:Get*", "*").possibly_allowed


def test_explicit_deny_cancels_allow_across_documents() -> None:
    managed = doc(allow("*"))
    inline = doc(deny("iam:*"))
    assert pol.evaluate([managed, inline], "iam:PassRole").decision == Decision.DENIED
    assert pol.evaluate([managed, inline], "s3:GetObject").allowed
    # a Deny of one action means "everything" is no longer allowed
    assert pol.evaluate([managed, inline], "*").decision == Decision.DENIED


def test_statements_spread_over_managed_inline_and_group_policies() -> None:
    managed = doc(allow("s3:GetObject", "arn:aws:s3:::a/*"))
    inline = doc(allow("iam:PassRole", "*"))
    group = doc(allow("sts:AssumeRole", "arn:aws:iam::1:role/x"))
    docs = [managed, json.dumps(inline), quote(json.dumps(group))]
    assert pol.evaluate(docs, "iam:PassRole", "*").allowed
    assert pol.evaluate(docs, "sts:AssumeRole", "arn:aws:iam::1:role/x").allowed
    assert not pol.evaluate(docs, "sts:AssumeRole", "*").possibly_allowed


def test_not_action_and_not_resource() -> None:
    power_user = doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})
    assert pol.evaluate(power_user, "ec2:RunInstances").allowed
    assert pol.evaluate(power_user, "ec2:*").allowed
    assert pol.evaluate(power_user, "iam:CreateUser").decision == Decision.IMPLICIT_DENY
    assert not pol.evaluate(power_user, "*").possibly_allowed
    not_res = doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})
    assert pol.evaluate(not_res, "s3:GetObject", "arn:aws:s3:::public/k").allowed
    assert not pol.evaluate(not_res, "s3:GetObject", "arn:aws:s3:::secret/k").possibly_allowed
    assert not pol.evaluate(not_res, "s3:GetObject", "*").possibly_allowed
    deny_not_action = doc(allow("*"), {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"})
    assert pol.evaluate(deny_not_action, "s3:GetObject").allowed
    assert pol.evaluate(deny_not_action, "ec2:RunInstances").decision == Decision.DENIED


def test_conditions_make_answers_conditional() -> None:
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    cond_allow = doc(allow("ec2:*", Condition=mfa))
    assert pol.evaluate(cond_allow, "ec2:RunInstances").decision == Decision.CONDITIONAL
    assert pol.evaluate(cond_allow, "ec2:RunInstances").possibly_allowed
    cond_deny = doc(allow("ec2:*"), deny("ec2:TerminateInstances", Condition=mfa))
    assert pol.evaluate(cond_deny, "ec2:TerminateInstances").decision == Decision.CONDITIONAL
    assert pol.evaluate(cond_deny, "ec2:RunInstances").allowed


def test_unknown_values_are_not_guessed() -> None:
    unresolved = Unknown("!Ref BucketArn is unresolved")
    d = doc(allow("s3:GetObject", [unresolved]))
    with pytest.raises(UnknownValue):
        pol.evaluate(d, "s3:GetObject", "arn:aws:s3:::b/k")
    # another statement that decides without the unknown still decides
    d2 = doc(allow("s3:GetObject", [unresolved]), allow("s3:*", "*"))
    assert pol.evaluate(d2, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    # an unknown Deny may cancel a known Allow
    d3 = doc(allow("s3:*"), deny("s3:*", [unresolved]))
    with pytest.raises(UnknownValue):
        pol.evaluate(d3, "s3:GetObject", "arn:aws:s3:::b/k")


# --- full admin -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        allow("*"),
        allow("*:*"),
        allow(["s3:GetObject", "*"], ["arn:aws:s3:::x", "*"]),
        allow("*", "arn:*"),
        allow("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        {"Effect": "Allow", "NotAction": [], "Resource": "*"},
    ],
)
def test_full_admin_detected(statement: dict) -> None:
    assert pol.is_full_admin(doc(allow("s3:GetObject"), statement))


@pytest.mark.parametrize(
    "d",
    [
        doc(allow("s3:*")),
        doc(allow("*", "arn:aws:s3:::bucket/*")),
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"}),
        doc(deny("*")),
        doc(allow("*"), deny("*")),  # cancelled by an unconditional Deny of everything
    ],
)
def test_not_full_admin(d: dict) -> None:
    assert not pol.is_full_admin(d)


def test_full_admin_statements_name_their_source() -> None:
    found = pol.full_admin_statements([pol.parse(doc(allow("*")), source="AdminPolicy")])
    assert found[0].to_evidence() == {"Effect": "Allow", "Action": ["*"], "Resource": ["*"], "Policy": "AdminPolicy"}


def test_full_admin_with_unknowns() -> None:
    u = Unknown("unresolved")
    with pytest.raises(UnknownValue):
        pol.is_full_admin(doc(allow("*", [u])))
    assert pol.is_full_admin(doc(allow("*", [u]), allow("*")))


def test_statements_beyond_allowed_actions() -> None:
    ok = doc(allow("sts:AssumeRole", "arn:aws:iam::1:role/*"), allow(["iam:ChangePassword", "iam:*MFADevice"]))
    allowed = ["sts:AssumeRole", "iam:ChangePassword", "iam:*MFADevice"]
    assert pol.statements_beyond(ok, allowed) == []
    too_much = doc(allow("sts:*"), {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, deny("*"))
    assert len(pol.statements_beyond(too_much, allowed)) == 2


# --- trust policies -------------------------------------------------------------------------


def test_principals_and_mfa_conditions() -> None:
    trust = pol.parse(doc(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": True}}},
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}},
    ))
    a, b, c, d = trust.statements
    assert pol.principals(a) == {"AWS": ("arn:aws:iam::111122223333:root",)}
    assert pol.principals(b) == {"Service": ("ec2.amazonaws.com",)}
    assert pol.principals(c) == {"AWS": ("*",)}
    assert pol.requires_mfa(a)
    assert not pol.requires_mfa(b)
    assert not pol.requires_mfa(c)  # IfExists also matches long-term keys without MFA
    assert pol.requires_mfa(d)
    assert a.covers_resource("*")  # trust policies name no resource
