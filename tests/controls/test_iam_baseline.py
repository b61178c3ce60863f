"""IAM controls of the railguard-baseline framework on hand-built resources (live- and
template-shaped), with the policy analysis they rely on: wildcards, NotAction/NotResource,
conditions, statements spread over managed, inline and group policies, explicit Deny,
URL-encoded and invalid documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from railguard.controls import IAC, LIVE, get_control
from railguard.controls.iam_baseline import ADMINISTRATOR, IAM_ADMINISTRATOR, POWER_USER, privilege
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import GLOBAL, Finding, Gap, Inventory, Origin, Resource, Result, Unknown
from railguard.sources.aws import pseudo

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCT = "111122223333"
OTHER = "444455556666"
F, P, U, M = Result.FAIL, Result.PASS, Result.UNKNOWN, Result.MANUAL


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


ADMIN = doc(allow("*"))
ASSUME = doc(allow("sts:AssumeRole"))
S3_READ = doc(allow("s3:Get*"))
POWER = doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"})
SELF_SERVICE = doc(
    allow(["iam:ChangePassword", "iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"]),
    allow(["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"], "arn:aws:iam::*:mfa/*"),
    allow(["iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice", "iam:GetUser"],
          "arn:aws:iam::*:user/${aws:username}"),
    allow(["sts:AssumeRole", "sts:GetCallerIdentity"]),
)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def live(type_: str, name: str, props: dict[str, Any] | None = None, **facts: Any) -> Resource:
    kind = {"ManagedPolicy": "policy"}.get(type_.rsplit("::", 1)[-1], type_.rsplit("::", 1)[-1].lower())
    arn = f"arn:aws:iam::{ACCT}:{kind}/{name}"
    return Resource(type=type_, id=arn, properties=props or {}, arn=arn, account=ACCT, region=GLOBAL,
                    origin=Origin(account=ACCT, region=GLOBAL), live=facts, name=name)


def tpl(type_: str, logical_id: str, props: dict[str, Any], name: str | None = None) -> Resource:
    return Resource(type=type_, id=logical_id, properties=props, origin=Origin(file="t.yaml", line=3),
                    name=name or logical_id)


def user(name: str = "alice", *, policies: dict[str, Any] | None = None, managed: list[str] | None = None,
         groups: list[str] | None = None, **facts: Any) -> Resource:
    props = {"UserName": name, "Groups": groups or [], "ManagedPolicyArns": managed or [],
             "Policies": [{"PolicyName": k, "PolicyDocument": v} for k, v in (policies or {}).items()]}
    base = {"password_enabled": False, "mfa_active": False, "access_keys": [], "user_creation_time": ago(400)}
    return live("AWS::IAM::User", name, props, **(base | facts))


def group(name: str, *, policies: dict[str, Any] | None = None, managed: list[str] | None = None) -> Resource:
    props = {"GroupName": name, "ManagedPolicyArns": managed or [],
             "Policies": [{"PolicyName": k, "PolicyDocument": v} for k, v in (policies or {}).items()]}
    return live("AWS::IAM::Group", name, props)


def managed_policy(name: str, document: Any, *, aws: bool = False, attached: int = 1) -> Resource:
    r = live("AWS::IAM::ManagedPolicy", name, {"ManagedPolicyName": name, "PolicyDocument": document},
             aws_managed=aws, attachment_count=attached)
    if aws:
        arn = f"arn:aws:iam::aws:policy/{name}"
        r = Resource(**{**r.__dict__, "id": arn, "arn": arn})
    return r


def trust(*principals: Any, mfa: bool = False, **extra: Any) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    if mfa:
        st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    st.update(extra)
    return doc(st)


def role(name: str, trust_doc: Any, *, policies: dict[str, Any] | None = None, managed: list[str] | None = None,
         profiles: list[str] | None = None) -> Resource:
    props = {"RoleName": name, "AssumeRolePolicyDocument": trust_doc, "ManagedPolicyArns": managed or [],
             "Policies": [{"PolicyName": k, "PolicyDocument": v} for k, v in (policies or {}).items()]}
    return live("AWS::IAM::Role", name, props,
                instance_profiles=[f"arn:aws:iam::{ACCT}:instance-profile/{p}" for p in profiles or []])


def run(control_id: str, r: Resource, *others: Resource, params: dict[str, Any] | None = None,
        gaps: list[Gap] | None = None) -> Finding | None:
    c = get_control(control_id)
    place = LIVE if r.is_live else IAC
    findings = evaluate([PlannedControl(c, {**c.params, **(params or {})})], Inventory([r, *others], gaps or []),
                        place=place, now=NOW)
    mine = [f for f in findings if f.resource_id == r.id]
    assert len(mine) <= 1, findings
    return mine[0] if mine else None


def check(control_id: str, r: Resource, *others: Resource, **kw: Any) -> Result | None:
    f = run(control_id, r, *others, **kw)
    assert f is None or not f.reason.startswith("control error"), f.reason
    return f.result if f else None


# --- iam.user-only-assume-role -----------------------------------------------------------------

ONLY = "iam.user-only-assume-role"


def test_user_only_assume_role_basic() -> None:
    assert check(ONLY, user(policies={"assume": ASSUME})) == P
    assert check(ONLY, user()) == P  # no policy at all
    assert check(ONLY, user(policies={"self": SELF_SERVICE})) == P
    assert check(ONLY, user(policies={"read": S3_READ})) == F
    assert check(ONLY, user(policies={"all": ADMIN})) == F
    assert check(ONLY, user(policies={"iam": doc(allow("iam:*"))})) == F
    # NotAction is always beyond, whatever it excludes
    assert check(ONLY, user(policies={"not": doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})})) == F
    # a wildcard wider than an allowed action is beyond: sts:* includes sts:AssumeRoleWithWebIdentity...
    assert check(ONLY, user(policies={"sts": doc(allow("sts:*"))})) == F
    assert check(ONLY, user(policies={"mfa": doc(allow("iam:*VirtualMFADevice"))})) == P


def test_user_only_assume_role_own_user_actions() -> None:
    own = doc(allow("iam:DeactivateMFADevice", "arn:aws:iam::*:user/${aws:username}"))
    anyone = doc(allow("iam:DeactivateMFADevice", "*"))
    by_arn = doc(allow("iam:EnableMFADevice", f"arn:aws:iam::{ACCT}:user/alice"))
    other = doc(allow("iam:EnableMFADevice", f"arn:aws:iam::{ACCT}:user/bob"))
    assert check(ONLY, user(policies={"p": own})) == P
    assert check(ONLY, user(policies={"p": by_arn})) == P
    assert check(ONLY, user(policies={"p": other})) == F
    f = run(ONLY, user(policies={"p": anyone}))
    assert f is not None and f.result == F
    assert "other than the user itself" in f.evidence["extra_actions"][0]["action"]


def test_user_only_assume_role_spread_over_managed_inline_and_group() -> None:
    pol_arn = f"arn:aws:iam::{ACCT}:policy/read"
    read = managed_policy("read", S3_READ)
    ops = group("ops", managed=[pol_arn])
    inline_ops = group("ops", policies={"ec2": doc(allow("ec2:Describe*"))})
    assert check(ONLY, user(groups=["ops"], policies={"assume": ASSUME}), ops, read) == F
    assert check(ONLY, user(managed=[pol_arn]), read) == F
    f = run(ONLY, user(groups=["ops"]), inline_ops)
    assert f is not None and f.result == F
    assert f.evidence["extra_actions"][0] == {"action": "ec2:Describe*", "policy": "group:ops/inline:ec2",
                                              "statement": "#0"}
    assert check(ONLY, user(groups=["ops"]), group("ops", policies={"a": ASSUME})) == P
    # a group that was not read is unknown, not empty
    assert check(ONLY, user(groups=["ghost"])) == U
    # an attached policy whose document was not read: UNKNOWN
    assert check(ONLY, user(managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])) == U


def test_user_only_assume_role_deny_conditions_and_documents() -> None:
    # an explicit unconditional Deny cancels the Allow; a conditional one does not
    assert check(ONLY, user(policies={"read": S3_READ, "no": doc(deny("s3:*"))})) == P
    assert check(ONLY, user(policies={"read": S3_READ, "no": doc(deny("s3:GetObject"))})) == F
    cond_deny = doc(deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    assert check(ONLY, user(policies={"read": S3_READ, "no": cond_deny})) == F
    # a conditional Allow still grants
    cond = doc(allow("s3:GetObject", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    f = run(ONLY, user(policies={"c": cond}))
    assert f is not None and f.result == F and f.evidence["extra_actions"][0]["conditional"] is True
    # URL-encoded, as the IAM API returns documents
    assert check(ONLY, user(policies={"enc": quote(json.dumps(S3_READ))})) == F
    assert check(ONLY, user(policies={"enc": quote(json.dumps(ASSUME))})) == P
    # not JSON: UNKNOWN for the principal, not a crash
    f = run(ONLY, user(policies={"bad": "{not json"}))
    assert f is not None and f.result == U and "not valid JSON" in f.reason
    assert check(ONLY, user(policies={"bad": "%7Bnot json", "read": S3_READ})) == F  # a FAIL seen stays one
    assert check(ONLY, user(policies={"u": Unknown("denied")})) == U
    sub = doc(allow([Unknown("!Sub with unknown param")]))
    assert check(ONLY, user(policies={"s": sub})) == U


def test_user_only_assume_role_evidence_names_policy() -> None:
    f = run(ONLY, user(policies={"wide": doc(allow(["sts:AssumeRole", "s3:*", "ec2:*"], Sid="Wide"))}))
    assert f is not None and f.result == F
    assert f.evidence["count"] == 2
    assert f.evidence["extra_actions"][0] == {"action": "s3:*", "policy": "inline:wide", "statement": "Wide"}


def test_user_only_assume_role_template() -> None:
    u = tpl("AWS::IAM::User", "Dev", {"Policies": [{"PolicyName": "a", "PolicyDocument": ASSUME}]})
    assert check(ONLY, u) == P
    standalone = tpl("AWS::IAM::Policy", "P", {"PolicyName": "p", "PolicyDocument": S3_READ, "Users": ["Dev"]})
    assert check(ONLY, u, standalone) == F
    pw = tpl("AWS::IAM::User", "Pw", {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/IAMUserChangePassword"]})
    assert check(ONLY, pw) == P  # a known AWS-managed policy a template can only name
    adm = tpl("AWS::IAM::User", "Adm", {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})
    assert check(ONLY, adm) == F
    assert check(ONLY, tpl("AWS::IAM::User", "X", {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/Other"]})) == U


# --- inline policies ----------------------------------------------------------------------------


def test_inline_policies_live() -> None:
    assert check("iam.user-inline-policies", user(policies={"a": ASSUME})) == F
    assert check("iam.user-inline-policies", user()) == P
    assert check("iam.role-inline-policies", role("r", trust(ACCT), policies={"x": S3_READ})) == F
    assert check("iam.role-inline-policies", role("r", trust(ACCT))) == P
    assert check("iam.user-inline-policies", live("AWS::IAM::User", "u", {"Policies": Unknown("denied")})) == U


def test_inline_policies_template() -> None:
    u = tpl("AWS::IAM::User", "Dev", {})
    r = tpl("AWS::IAM::Role", "App", {"AssumeRolePolicyDocument": trust(ACCT)})
    assert check("iam.user-inline-policies", u) == P
    assert check("iam.role-inline-policies", r) == P
    by_policy = tpl("AWS::IAM::Policy", "P", {"PolicyName": "p", "PolicyDocument": S3_READ, "Users": ["Dev"],
                                              "Roles": ["App"]})
    assert check("iam.user-inline-policies", u, by_policy) == F
    assert check("iam.role-inline-policies", r, by_policy) == F
    role_policy = tpl("AWS::IAM::RolePolicy", "RP", {"PolicyName": "p", "PolicyDocument": S3_READ, "RoleName": "App"})
    assert check("iam.role-inline-policies", r, role_policy) == F
    # a managed policy is not inline
    mp = tpl("AWS::IAM::ManagedPolicy", "MP", {"PolicyDocument": S3_READ, "Roles": ["App"]})
    assert check("iam.role-inline-policies", r, mp) == P


# --- console access -----------------------------------------------------------------------------

CONSOLE = "iam.console-access-restricted"


def test_console_access_restricted() -> None:
    admins = {"admins": ["lab-admin", "Alice"]}
    assert check(CONSOLE, user("bob", password_enabled=True), params=admins) == F
    assert check(CONSOLE, user("alice", password_enabled=True), params=admins) == P  # case-insensitive
    assert check(CONSOLE, user("bob"), params=admins) == P  # no console password
    f = run(CONSOLE, user("bob", password_enabled=True))
    assert f is not None and f.result == M
    assert f.reason == "no list of console administrators configured (baseline.console_admins)"
    assert check(CONSOLE, user("bob"), params={"admins": []}) == P
    assert check(CONSOLE, user("bob", password_enabled=Unknown("report denied")), params=admins) == U
    # templates: LoginProfile is the console password
    t = tpl("AWS::IAM::User", "Ops", {"UserName": "ops", "LoginProfile": {"Password": "x"}})
    assert check(CONSOLE, t, params=admins) == F
    assert check(CONSOLE, t, params={"admins": ["ops"]}) == P
    assert check(CONSOLE, tpl("AWS::IAM::User", "Svc", {}), params=admins) == P


# --- privilege ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("documents", "level"),
    [
        ([ADMIN], ADMINISTRATOR),
        ([doc(allow("*:*"))], ADMINISTRATOR),
        ([POWER], POWER_USER),
        ([doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})], POWER_USER),
        ([doc(allow("iam:*"))], IAM_ADMINISTRATOR),
        ([doc(allow("iam:PassRole"))], IAM_ADMINISTRATOR),
        ([doc(allow("iam:Attach*"))], IAM_ADMINISTRATOR),
        ([doc(allow("iam:PassRole", f"arn:aws:iam::{ACCT}:role/app"))], None),
        ([S3_READ], None),
        ([doc(allow(["ec2:*", "s3:*"]))], None),
        ([ADMIN, doc(deny("*"))], None),  # an explicit Deny of everything cancels
        ([ADMIN, doc(deny("iam:*"))], POWER_USER),  # *:* minus IAM is still a power user
        ([doc(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))], ADMINISTRATOR),
        ([quote(json.dumps(ADMIN))], ADMINISTRATOR),
        # a narrow Deny leaves the rest of the grant: still privileged
        ([POWER, doc(deny("ec2:TerminateInstances"))], POWER_USER),
        ([doc(allow("iam:PassRole")), doc(deny("iam:PassRole", f"arn:aws:iam::{ACCT}:role/admin"))],
         IAM_ADMINISTRATOR),
        ([POWER, doc(deny("ec2:*"))], None),
        ([doc(allow("iam:PassRole")), doc(deny("iam:*"))], None),
        ([POWER, doc(deny("ec2:*", Condition={"Bool": {"aws:SecureTransport": "false"}}))], POWER_USER),
    ],
)
def test_privilege_levels(documents: list[Any], level: str | None) -> None:
    p = privilege([(f"p{i}", d) for i, d in enumerate(documents)])
    assert p.level == level and p.problem is None


def test_privilege_problems() -> None:
    assert privilege([("bad", "{nope")]).problem is not None
    assert privilege([("u", Unknown("denied"))]).level is None
    assert privilege([("u", Unknown("denied")), ("a", ADMIN)]).level == ADMINISTRATOR
    p = privilege([("c", doc(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))])
    assert p.conditional and p.evidence()["privilege"] == ADMINISTRATOR


# --- iam.privileged-role-trust-mfa -------------------------------------------------------------

TRUST_MFA = "iam.privileged-role-trust-mfa"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_privileged_role_trust_mfa() -> None:
    aws_admin = managed_policy("AdministratorAccess", ADMIN, aws=True)
    account_root = f"arn:aws:iam::{ACCT}:root"
    r = role("admin", trust(account_root), managed=[ADMIN_ARN])
    f = run(TRUST_MFA, r, aws_admin)
    assert f is not None and f.result == F and f.evidence["privilege"] == ADMINISTRATOR
    assert f.evidence["principals_without_mfa"] == [account_root]
    assert check(TRUST_MFA, role("admin", trust(account_root, mfa=True), managed=[ADMIN_ARN]), aws_admin) == P
    # other accounts, a bare account id, users and `*` are IAM principals too
    assert check(TRUST_MFA, role("x", trust(OTHER), policies={"a": ADMIN})) == F
    assert check(TRUST_MFA, role("x", trust(f"arn:aws:iam::{OTHER}:user/bob"), policies={"a": POWER})) == F
    assert check(TRUST_MFA, role("x", doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}),
                                 policies={"a": doc(allow("iam:PassRole"))})) == F
    # not privileged: assumable without MFA is fine here
    assert check(TRUST_MFA, role("x", trust(OTHER), policies={"r": S3_READ})) == P
    # BoolIfExists true does not count (it lets long-term keys in)
    ifexists = trust(OTHER, Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})
    assert check(TRUST_MFA, role("x", ifexists, policies={"a": ADMIN})) == F
    age = trust(OTHER, Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})
    assert check(TRUST_MFA, role("x", age, policies={"a": ADMIN})) == P
    # a Deny of everyone without MFA (BoolIfExists false) requires it too
    deny_no_mfa = doc(trust(OTHER)["Statement"][0],
                      {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                       "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    assert check(TRUST_MFA, role("x", deny_no_mfa, policies={"a": ADMIN})) == P
    # one statement with MFA and another without: fails
    both = doc(trust(ACCT, mfa=True)["Statement"][0], trust(OTHER)["Statement"][0])
    assert check(TRUST_MFA, role("x", both, policies={"a": ADMIN})) == F


def test_privileged_role_trust_mfa_out_of_scope_and_unknown() -> None:
    ec2 = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    saml = doc({"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCT}:saml-provider/idp"},
                "Action": "sts:AssumeRoleWithSAML"})
    assert check(TRUST_MFA, role("svc", ec2, policies={"a": ADMIN})) is None
    assert check(TRUST_MFA, role("sso", saml, policies={"a": ADMIN})) is None
    # the AWS-managed policy's document was not read: UNKNOWN, not PASS
    assert check(TRUST_MFA, role("x", trust(OTHER), managed=[ADMIN_ARN])) == U
    assert check(TRUST_MFA, role("x", "{not json", policies={"a": ADMIN})) == U
    assert check(TRUST_MFA, role("x", trust(OTHER), policies={"bad": "{not json"})) == U
    # URL-encoded trust policy, as IAM returns it
    assert check(TRUST_MFA, role("x", quote(json.dumps(trust(OTHER))), policies={"a": ADMIN})) == F


def test_privileged_role_trust_mfa_template() -> None:
    r = tpl("AWS::IAM::Role", "Admin", {"AssumeRolePolicyDocument": trust(Unknown("!Sub AWS::AccountId")),
                                        "ManagedPolicyArns": [ADMIN_ARN]})
    assert check(TRUST_MFA, r) == F  # AdministratorAccess is known even when the template only names it
    ok = tpl("AWS::IAM::Role", "Admin", {"AssumeRolePolicyDocument": trust(ACCT, mfa=True),
                                         "ManagedPolicyArns": [ADMIN_ARN]})
    assert check(TRUST_MFA, ok) == P
    pu = tpl("AWS::IAM::Role", "Pu", {"AssumeRolePolicyDocument": trust(ACCT),
                                      "ManagedPolicyArns": ["arn:aws:iam::aws:policy/PowerUserAccess"]})
    assert check(TRUST_MFA, pu) == F


# --- iam.access-key-unused ---------------------------------------------------------------------

KEY_UNUSED = "iam.access-key-unused"


def key(slot: int = 1, *, active: bool = True, rotated: int = 200, used: int | None = 1) -> dict[str, Any]:
    return {"slot": slot, "active": active, "last_rotated": ago(rotated),
            "last_used": ago(used) if used is not None else None}


def test_access_key_unused() -> None:
    assert check(KEY_UNUSED, user(access_keys=[key(used=100)])) == F
    assert check(KEY_UNUSED, user(access_keys=[key(used=10)])) == P
    assert check(KEY_UNUSED, user(access_keys=[key(used=None, rotated=120)])) == F  # never used, old
    assert check(KEY_UNUSED, user(access_keys=[key(used=None, rotated=5)])) == P  # never used, new
    assert check(KEY_UNUSED, user(access_keys=[key(used=100, active=False)])) == P
    assert check(KEY_UNUSED, user(access_keys=[key(1, used=1), key(2, used=95)])) == F
    assert check(KEY_UNUSED, user(access_keys=[key(used=100)]), params={"days": 120}) == P
    assert check(KEY_UNUSED, user(access_keys=Unknown("report denied"))) == U
    f = run(KEY_UNUSED, user(access_keys=[key(used=None, rotated=120)]))
    assert f is not None and f.evidence["access_keys"][0]["never_used"] is True
    assert get_control(KEY_UNUSED).places == frozenset({LIVE})


# --- iam.policy-dangerous-permissions ------------------------------------------------------------

DANGER = "iam.policy-dangerous-permissions"


@pytest.mark.parametrize(
    ("statement", "pattern"),
    [
        (allow("iam:PassRole"), "iam:PassRole on *"),
        (allow("iam:*"), "iam:PassRole on *"),
        (allow("iam:Pass*", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
         "iam:PassRole on *"),
        (allow("sts:AssumeRole"), "sts:AssumeRole on *"),
        (allow("sts:*"), "sts:AssumeRole on *"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "Allow with NotAction"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"},
         "Allow with NotResource"),
    ],
)
def test_dangerous_patterns(statement: dict[str, Any], pattern: str) -> None:
    f = run(DANGER, managed_policy("p", doc(statement)))
    assert f is not None and f.result == F
    assert pattern in f.evidence["statements"][0]["patterns"]


@pytest.mark.parametrize(
    "statement",
    [
        allow("iam:PassRole", f"arn:aws:iam::{ACCT}:role/app"),
        allow("sts:AssumeRole", f"arn:aws:iam::{OTHER}:role/deploy"),
        allow("s3:Get*"),
        allow("*"),  # *:* belongs to iam.policy-full-admin
        {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::public/*"},
    ],
)
def test_safe_patterns(statement: dict[str, Any]) -> None:
    assert check(DANGER, managed_policy("p", doc(statement))) == P


def test_dangerous_permissions_scope_and_evidence() -> None:
    pass_role = doc(allow("s3:*"), allow("iam:PassRole", Sid="PassAny"))
    f = run(DANGER, managed_policy("p", pass_role))
    assert f is not None and f.result == F
    assert f.evidence["statements"][0]["statement"] == "PassAny" and f.evidence["statements"][0]["policy"] == "p"
    f = run(DANGER, managed_policy("p", doc(allow("sts:AssumeRole"))))
    assert f is not None and f.evidence["statements"][0]["statement"] == "#0"
    # AWS-managed policies are out of scope; unattached customer policies grant nothing
    assert check(DANGER, managed_policy("PowerUserAccess", POWER, aws=True)) is None
    assert check(DANGER, managed_policy("p", pass_role, attached=0)) == P
    # inline policies of principals
    assert check(DANGER, role("r", trust(ACCT), policies={"pr": pass_role})) == F
    assert check(DANGER, user(policies={"ok": S3_READ})) == P
    assert check(DANGER, group("g")) == P
    # bad and unknown documents
    assert check(DANGER, managed_policy("p", "{nope")) == U
    assert check(DANGER, managed_policy("p", quote(json.dumps(pass_role)))) == F
    assert check(DANGER, managed_policy("p", doc(allow("iam:PassRole", [Unknown("!Ref RoleArn")])))) == U


def test_dangerous_permissions_template() -> None:
    assert check(DANGER, tpl("AWS::IAM::ManagedPolicy", "M", {"PolicyDocument": doc(allow("iam:PassRole"))})) == F
    assert check(DANGER, tpl("AWS::IAM::Policy", "P", {"PolicyName": "p",
                                                       "PolicyDocument": doc(allow("sts:AssumeRole"))})) == F
    assert check(DANGER, tpl("AWS::IAM::RolePolicy", "RP", {"PolicyDocument": S3_READ})) == P
    assert check(DANGER, tpl("AWS::IAM::Role", "R", {"Policies": [{"PolicyName": "a", "PolicyDocument": POWER}]})) == F


# --- iam.instance-role-privileged -------------------------------------------------------------

INSTANCE_ROLE = "iam.instance-role-privileged"
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def instance(profile: str | None, name: str = "web", **facts: Any) -> Resource:
    props: dict[str, Any] = {"InstanceId": "i-0123"}
    live_facts: dict[str, Any] = {"state": "running", **facts}
    if profile:
        props["IamInstanceProfile"] = profile
        live_facts["instance_profile_arn"] = f"arn:aws:iam::{ACCT}:instance-profile/{profile}"
    return Resource(type="AWS::EC2::Instance", id="i-0123", properties=props, account=ACCT, region="us-east-1",
                    origin=Origin(account=ACCT, region="us-east-1"), live=live_facts, name=name)


def test_instance_role_privileged_live() -> None:
    aws_admin = managed_policy("AdministratorAccess", ADMIN, aws=True)
    admin_role = role("app-admin", EC2_TRUST, managed=[ADMIN_ARN], profiles=["app"])
    f = run(INSTANCE_ROLE, instance("app"), admin_role, aws_admin)
    assert f is not None and f.result == F
    assert f.evidence["role"] == "app-admin" and f.evidence["instance"] == "web"
    assert "web" in f.reason and "app-admin" in f.reason
    power = role("app-power", EC2_TRUST, policies={"p": POWER}, profiles=["app"])
    assert check(INSTANCE_ROLE, instance("app"), power) == F
    small = role("app-read", EC2_TRUST, policies={"r": S3_READ}, profiles=["app"])
    assert check(INSTANCE_ROLE, instance("app"), small) == P
    assert check(INSTANCE_ROLE, instance(None), admin_role) == P
    assert check(INSTANCE_ROLE, instance("empty"), admin_role) == P  # the profile has no role
    assert check(INSTANCE_ROLE, instance("app"), role("r", EC2_TRUST, managed=[ADMIN_ARN], profiles=["app"])) == U
    gap = Gap("AWS::IAM::Role", ACCT, GLOBAL, "access denied")
    assert check(INSTANCE_ROLE, instance("app"), gaps=[gap]) == U
    assert check(INSTANCE_ROLE, instance("app", state="terminated"), admin_role) is None


def test_instance_role_privileged_template() -> None:
    adm = tpl("AWS::IAM::Role", "Role", {"AssumeRolePolicyDocument": EC2_TRUST, "ManagedPolicyArns": [ADMIN_ARN]})
    read = tpl("AWS::IAM::Role", "Role", {"AssumeRolePolicyDocument": EC2_TRUST,
                                          "Policies": [{"PolicyName": "r", "PolicyDocument": S3_READ}]})
    prof = tpl("AWS::IAM::InstanceProfile", "Profile", {"Roles": ["Role"]})
    inst = tpl("AWS::EC2::Instance", "Web", {"ImageId": "ami-1", "IamInstanceProfile": "Profile"})
    assert check(INSTANCE_ROLE, inst, prof, adm) == F
    assert check(INSTANCE_ROLE, inst, prof, read) == P
    # a standalone policy granting iam:PassRole on * to the role makes it privileged
    passrole = tpl("AWS::IAM::Policy", "Pol", {"PolicyName": "p", "Roles": ["Role"],
                                               "PolicyDocument": doc(allow("iam:PassRole"))})
    assert check(INSTANCE_ROLE, inst, prof, read, passrole) == F
    # unresolved: a profile or role outside the files, an unresolved reference
    assert check(INSTANCE_ROLE, inst, adm) == U
    assert check(INSTANCE_ROLE, inst, prof) == U
    unresolved = tpl("AWS::EC2::Instance", "Web", {"IamInstanceProfile": Unknown("!ImportValue profile")})
    assert check(INSTANCE_ROLE, unresolved, prof, adm) == U
    assert check(INSTANCE_ROLE, tpl("AWS::EC2::Instance", "Bare", {"ImageId": "ami-1"})) == P
    # through a launch template
    lt = tpl("AWS::EC2::LaunchTemplate", "LT", {"LaunchTemplateData": {"IamInstanceProfile": {"Name": "Profile"}}})
    via_lt = tpl("AWS::EC2::Instance", "Web", {"LaunchTemplate": {"LaunchTemplateId": "LT", "Version": "1"}})
    assert check(INSTANCE_ROLE, via_lt, lt, prof, adm) == F
    assert check(INSTANCE_ROLE, via_lt, prof, adm) == U


# --- iam.password-expiry -------------------------------------------------------------------------

EXPIRY = "iam.password-expiry"


def pw_policy(props: dict[str, Any], exists: bool = True) -> Resource:
    return Resource(type=pseudo.PASSWORD_POLICY, id=f"{ACCT}/password-policy", properties=props, account=ACCT,
                    region=GLOBAL, origin=Origin(account=ACCT, region=GLOBAL), live={"exists": exists},
                    name="password-policy")


def test_password_expiry() -> None:
    f = run(EXPIRY, pw_policy({}, exists=False))
    assert f is not None and f.result == P and f.reason == "no expiry required by configuration"
    want = {"max_age_days": 90}
    assert check(EXPIRY, pw_policy({"MaxPasswordAge": 90}), params=want) == P
    assert check(EXPIRY, pw_policy({"MaxPasswordAge": 365}), params=want) == F
    assert check(EXPIRY, pw_policy({"MinimumPasswordLength": 14}), params=want) == F
    assert check(EXPIRY, pw_policy({}, exists=False), params=want) == F
    t = tpl(pseudo.PASSWORD_POLICY, "aws_iam_account_password_policy.p", {"MaxPasswordAge": "60"})
    assert check(EXPIRY, t, params=want) == P
    var = tpl(pseudo.PASSWORD_POLICY, "aws_iam_account_password_policy.v", {"MaxPasswordAge": Unknown("var.age")})
    assert check(EXPIRY, var, params=want) == U


# --- metadata ---------------------------------------------------------------------------------

BASELINE_IAM = [ONLY, "iam.user-inline-policies", "iam.role-inline-policies", CONSOLE, TRUST_MFA, KEY_UNUSED,
                DANGER, INSTANCE_ROLE, EXPIRY]


@pytest.mark.parametrize("control_id", BASELINE_IAM)
def test_metadata(control_id: str) -> None:
    c = get_control(control_id)
    assert c.fix and c.title and c.description
    assert c.places == (frozenset({LIVE}) if control_id == KEY_UNUSED else frozenset({LIVE, IAC}))


def test_framework_and_config_name_these_controls() -> None:
    from railguard.config.schema import Config
    from railguard.frameworks import load as load_framework

    fw = load_framework("railguard-baseline")
    ids = {cid for item in fw.items for cid in item.controls}
    assert set(BASELINE_IAM) <= ids
    overrides = Config().overrides()["railguard-baseline"]
    for cid, params in overrides.items():
        if cid in BASELINE_IAM:
            assert set(params) <= set(get_control(cid).params), cid


def test_privileged_role_trust_mfa_bad_principal_is_unknown() -> None:
    bad = doc({"Effect": "Allow", "Principal": ["not", "an", "object"], "Action": "sts:AssumeRole"})
    f = run(TRUST_MFA, role("x", bad, policies={"a": ADMIN}))
    assert f is not None and f.result == U and "control error" not in f.reason
