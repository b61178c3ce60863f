"""IAM controls on hand-built resources: live (credential-report facts) and template-shaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from railguard.controls import IAC, LIVE, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import GLOBAL, Gap, Inventory, Origin, Resource, Result, Unknown
from railguard.sources.aws import pseudo

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCT = "111122223333"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def live(type_: str, name: str, props: dict[str, Any] | None = None, **facts: Any) -> Resource:
    arn = f"arn:aws:iam::{ACCT}:{type_.rsplit('::', 1)[-1].lower()}/{name}"
    return Resource(type=type_, id=arn, properties=props or {}, arn=arn, account=ACCT, region=GLOBAL,
                    origin=Origin(account=ACCT, region=GLOBAL), live=facts, name=name)


def tpl(type_: str, logical_id: str, props: dict[str, Any]) -> Resource:
    return Resource(type=type_, id=logical_id, properties=props, origin=Origin(file="t.yaml", line=3))


def user(name: str = "alice", *, password: Any = False, mfa: Any = False, keys: list[dict] | None = None,
         props: dict[str, Any] | None = None, **facts: Any) -> Resource:
    base: dict[str, Any] = {"password_enabled": password, "mfa_active": mfa, "access_keys": keys or [],
            "password_last_used": None, "password_last_changed": ago(10), "user_creation_time": ago(10)}
    return live("AWS::IAM::User", name, {"UserName": name, **(props or {})}, **(base | facts))


def key(slot: int = 1, *, active: bool = True, rotated: int = 10, used: int | None = 1) -> dict[str, Any]:
    return {"slot": slot, "active": active, "last_rotated": ago(rotated),
            "last_used": ago(used) if used is not None else None}


def check(control_id: str, r: Resource, *others: Resource, params: dict[str, Any] | None = None,
          gaps: list[Gap] | None = None) -> Result:
    c = get_control(control_id)
    place = LIVE if r.is_live else IAC
    findings = evaluate([PlannedControl(c, {**c.params, **(params or {})})], Inventory([r, *others], gaps or []),
                        place=place, now=NOW)
    mine = [f for f in findings if f.resource_id == r.id]
    assert len(mine) == 1, findings
    return mine[0].result


def root(**facts: Any) -> Resource:
    base: dict[str, Any] = {"access_keys_present": False, "mfa_enabled": True, "virtual_mfa": False, "hardware_mfa": True,
            "last_used": None, "password_last_used": None, "access_key_last_used": []}
    arn = f"arn:aws:iam::{ACCT}:root"
    return Resource(type=pseudo.ROOT_ACCOUNT, id=arn, arn=arn, account=ACCT, region=GLOBAL,
                    origin=Origin(account=ACCT, region=GLOBAL), live=base | facts, name="root")


# --- root -----------------------------------------------------------------------------------


def test_root_controls() -> None:
    assert check("iam.root-access-key", root()) == Result.PASS
    assert check("iam.root-access-key", root(access_keys_present=True)) == Result.FAIL
    assert check("iam.root-access-key", root(access_keys_present=Unknown("denied"))) == Result.UNKNOWN
    assert check("iam.root-mfa", root()) == Result.PASS
    assert check("iam.root-mfa", root(mfa_enabled=False)) == Result.FAIL
    assert check("iam.root-hardware-mfa", root()) == Result.PASS
    assert check("iam.root-hardware-mfa", root(virtual_mfa=True)) == Result.FAIL
    assert check("iam.root-hardware-mfa", root(mfa_enabled=False)) == Result.FAIL
    assert check("iam.root-hardware-mfa", root(virtual_mfa=Unknown("denied"))) == Result.UNKNOWN


def test_root_recently_used() -> None:
    assert check("iam.root-recently-used", root()) == Result.PASS  # never used
    assert check("iam.root-recently-used", root(last_used=ago(90))) == Result.PASS
    assert check("iam.root-recently-used", root(last_used=ago(3))) == Result.FAIL
    assert check("iam.root-recently-used", root(last_used=ago(3)), params={"days": 1}) == Result.PASS
    no_row = Unknown("the credential report has no <root_account> row")
    assert check("iam.root-recently-used", root(last_used=no_row)) == Result.UNKNOWN


# --- password policy ------------------------------------------------------------------------


def pw_policy(props: dict[str, Any], exists: bool = True) -> Resource:
    return Resource(type=pseudo.PASSWORD_POLICY, id=f"{ACCT}/password-policy", properties=props, account=ACCT,
                    region=GLOBAL, origin=Origin(account=ACCT, region=GLOBAL), live={"exists": exists},
                    name="password-policy")


def test_password_policy_live() -> None:
    good = pw_policy({"MinimumPasswordLength": 14, "PasswordReusePrevention": 24})
    weak = pw_policy({"MinimumPasswordLength": 8})
    none = pw_policy({}, exists=False)
    assert check("iam.password-min-length", good) == Result.PASS
    assert check("iam.password-min-length", weak) == Result.FAIL
    assert check("iam.password-min-length", none) == Result.FAIL
    assert check("iam.password-reuse-prevention", good) == Result.PASS
    assert check("iam.password-reuse-prevention", weak) == Result.FAIL
    assert check("iam.password-reuse-prevention", none) == Result.FAIL
    assert check("iam.password-min-length", weak, params={"min_length": 8}) == Result.PASS


def test_password_policy_template() -> None:
    good = tpl(pseudo.PASSWORD_POLICY, "aws_iam_account_password_policy.strict",
               {"MinimumPasswordLength": "16", "PasswordReusePrevention": 24})
    weak = tpl(pseudo.PASSWORD_POLICY, "aws_iam_account_password_policy.weak", {"PasswordReusePrevention": 5})
    var = tpl(pseudo.PASSWORD_POLICY, "aws_iam_account_password_policy.var",
              {"MinimumPasswordLength": Unknown("var.min_length has no default")})
    assert check("iam.password-min-length", good) == Result.PASS
    assert check("iam.password-min-length", weak) == Result.FAIL
    assert check("iam.password-min-length", var) == Result.UNKNOWN
    assert check("iam.password-reuse-prevention", good) == Result.PASS
    assert check("iam.password-reuse-prevention", weak) == Result.FAIL


# --- users' credentials -----------------------------------------------------------------------


def test_user_console_mfa() -> None:
    assert check("iam.user-console-mfa", user(password=True, mfa=False)) == Result.FAIL
    assert check("iam.user-console-mfa", user(password=True, mfa=True)) == Result.PASS
    assert check("iam.user-console-mfa", user(password=False)) == Result.PASS
    assert check("iam.user-console-mfa", user(password=Unknown("report denied"))) == Result.UNKNOWN


def test_access_key_at_user_setup() -> None:
    assert check("iam.access-key-at-user-setup", user(password=True, keys=[key(used=None)])) == Result.FAIL
    assert check("iam.access-key-at-user-setup", user(password=True, keys=[key(used=2)])) == Result.PASS
    assert check("iam.access-key-at-user-setup", user(password=True, keys=[key(active=False, used=None)])) == Result.PASS
    assert check("iam.access-key-at-user-setup", user(keys=[key(used=None)])) == Result.PASS


def test_credentials_unused() -> None:
    cid = "iam.credentials-unused"
    assert check(cid, user(password=True, password_last_used=ago(50))) == Result.FAIL
    assert check(cid, user(password=True, password_last_used=ago(5))) == Result.PASS
    # never used and older than the threshold counts; never used but new does not
    assert check(cid, user(password=True, password_last_changed=ago(60))) == Result.FAIL
    assert check(cid, user(password=True)) == Result.PASS
    assert check(cid, user(keys=[key(rotated=100, used=46)])) == Result.FAIL
    assert check(cid, user(keys=[key(rotated=100, used=None)])) == Result.FAIL
    assert check(cid, user(keys=[key(rotated=100, used=None, active=False)])) == Result.PASS
    assert check(cid, user(keys=[key(rotated=100, used=3)])) == Result.PASS
    assert check(cid, user(password=True, password_last_used=ago(50)), params={"days": 90}) == Result.PASS
    assert check(cid, user(access_keys=Unknown("report denied"))) == Result.UNKNOWN


def test_user_multiple_active_keys() -> None:
    cid = "iam.user-multiple-active-keys"
    assert check(cid, user(keys=[key(1), key(2)])) == Result.FAIL
    assert check(cid, user(keys=[key(1), key(2, active=False)])) == Result.PASS
    assert check(cid, user()) == Result.PASS


def test_access_key_rotated() -> None:
    cid = "iam.access-key-rotated"
    assert check(cid, user(keys=[key(rotated=91)])) == Result.FAIL
    assert check(cid, user(keys=[key(rotated=89)])) == Result.PASS
    assert check(cid, user(keys=[key(rotated=200, active=False)])) == Result.PASS
    assert check(cid, user(keys=[key(rotated=91)]), params={"days": 120}) == Result.PASS


# --- policies -------------------------------------------------------------------------------


def test_user_direct_policies_live() -> None:
    cid = "iam.user-direct-policies"
    grouped = user(props={"Groups": ["devs"], "ManagedPolicyArns": [], "Policies": []})
    attached = user(props={"ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "Policies": []})
    inline = user(props={"Policies": [{"PolicyName": "p", "PolicyDocument": READ}]})
    assert check(cid, grouped) == Result.PASS
    assert check(cid, attached) == Result.FAIL
    assert check(cid, inline) == Result.FAIL
    assert check(cid, user(props={"ManagedPolicyArns": Unknown("denied")})) == Result.UNKNOWN


def test_user_direct_policies_template() -> None:
    cid = "iam.user-direct-policies"
    plain = tpl("AWS::IAM::User", "Dev", {"Groups": ["Devs"]})
    direct = tpl("AWS::IAM::User", "Ops", {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]})
    assert check(cid, plain) == Result.PASS
    assert check(cid, direct) == Result.FAIL
    # a standalone policy resource naming the user attaches to it directly
    named = tpl("AWS::IAM::Policy", "DevPolicy", {"PolicyName": "p", "PolicyDocument": READ, "Users": ["Dev"]})
    assert check(cid, plain, named) == Result.FAIL
    by_group = tpl("AWS::IAM::Policy", "GroupPolicy", {"PolicyName": "p", "PolicyDocument": READ, "Groups": ["Devs"]})
    assert check(cid, plain, by_group) == Result.PASS
    unresolved = tpl("AWS::IAM::User", "U", {"Policies": Unknown("!If on an unknown condition")})
    assert check(cid, unresolved) == Result.UNKNOWN


def managed(name: str, doc: Any, **facts: Any) -> Resource:
    r = live("AWS::IAM::ManagedPolicy", name, {"ManagedPolicyName": name, "PolicyDocument": doc}, **facts)
    return r


def test_policy_full_admin_live_managed() -> None:
    cid = "iam.policy-full-admin"
    assert check(cid, managed("adm", ADMIN, attachment_count=2, aws_managed=False)) == Result.FAIL
    assert check(cid, managed("adm", ADMIN, attachment_count=0, aws_managed=False)) == Result.PASS
    assert check(cid, managed("AdministratorAccess", ADMIN, attachment_count=1, aws_managed=True)) == Result.FAIL
    assert check(cid, managed("read", READ, attachment_count=3)) == Result.PASS
    assert check(cid, managed("lost", Unknown("iam:GetPolicyVersion denied"), attachment_count=1)) == Result.UNKNOWN
    assert check(cid, managed("bad", "{not json", attachment_count=1)) == Result.UNKNOWN


def test_policy_full_admin_inline_on_principals() -> None:
    cid = "iam.policy-full-admin"
    role = live("AWS::IAM::Role", "r", {"RoleName": "r", "Policies": [{"PolicyName": "all", "PolicyDocument": ADMIN}]})
    ok = live("AWS::IAM::Role", "ok", {"RoleName": "ok", "Policies": [{"PolicyName": "read", "PolicyDocument": READ}]})
    none = live("AWS::IAM::Group", "g", {"GroupName": "g", "Policies": []})
    assert check(cid, role) == Result.FAIL
    assert check(cid, ok) == Result.PASS
    assert check(cid, none) == Result.PASS
    # one unreadable document does not hide an admin grant in another; alone it is UNKNOWN
    bad = {"PolicyName": "bad", "PolicyDocument": "%7Bnot json"}
    mixed = live("AWS::IAM::User", "u", {"Policies": [bad, {"PolicyName": "all", "PolicyDocument": ADMIN}]})
    assert check(cid, mixed) == Result.FAIL
    assert check(cid, live("AWS::IAM::User", "v", {"Policies": [bad]})) == Result.UNKNOWN


def test_policy_full_admin_template() -> None:
    cid = "iam.policy-full-admin"
    # in a template, a ManagedPolicy allowing *:* fails whether or not it is attached
    assert check(cid, tpl("AWS::IAM::ManagedPolicy", "Adm", {"PolicyDocument": ADMIN})) == Result.FAIL
    assert check(cid, tpl("AWS::IAM::ManagedPolicy", "Read", {"PolicyDocument": READ})) == Result.PASS
    assert check(cid, tpl("AWS::IAM::Policy", "Inl", {"PolicyName": "x", "PolicyDocument": ADMIN})) == Result.FAIL
    assert check(cid, tpl("AWS::IAM::RolePolicy", "RP", {"PolicyName": "x", "PolicyDocument": ADMIN})) == Result.FAIL
    sub = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": [Unknown("!Sub with unknown param")]}]}
    assert check(cid, tpl("AWS::IAM::ManagedPolicy", "Sub", {"PolicyDocument": sub})) == Result.UNKNOWN
    role = tpl("AWS::IAM::Role", "R", {"Policies": [{"PolicyName": "a", "PolicyDocument": ADMIN}]})
    assert check(cid, role) == Result.FAIL


def test_cloudshell_full_access_attached() -> None:
    cid = "iam.cloudshell-full-access-attached"
    shell = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
    assert check(cid, live("AWS::IAM::Group", "g", {"ManagedPolicyArns": [shell]})) == Result.FAIL
    assert check(cid, live("AWS::IAM::Role", "r", {"ManagedPolicyArns": []})) == Result.PASS
    assert check(cid, tpl("AWS::IAM::Role", "R", {"ManagedPolicyArns": ["arn:aws-us-gov:iam::aws:policy/AWSCloudShellFullAccess"]})) == Result.FAIL
    assert check(cid, tpl("AWS::IAM::Role", "R", {"ManagedPolicyArns": [Unknown("!Ref Param")]})) == Result.UNKNOWN
    assert check(cid, tpl("AWS::IAM::Role", "R", {"ManagedPolicyArns": [Unknown("x"), shell]})) == Result.FAIL


def account() -> Resource:
    return Resource(type=pseudo.ACCOUNT, id=ACCT, properties={"AccountId": ACCT}, account=ACCT, region=GLOBAL,
                    origin=Origin(account=ACCT, region=GLOBAL), name=ACCT)


def test_support_role() -> None:
    cid = "iam.support-role"
    support = {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/AWSSupportAccess"]}
    role = live("AWS::IAM::Role", "support", support)
    usr = live("AWS::IAM::User", "bob", support)
    other = live("AWS::IAM::Role", "app", {"ManagedPolicyArns": []})
    assert check(cid, account(), role, other) == Result.PASS
    assert check(cid, account(), other) == Result.FAIL
    assert check(cid, account(), usr, other) == Result.FAIL  # CIS asks for a role
    gap = Gap("AWS::IAM::Role", ACCT, GLOBAL, "access denied (AccessDenied) on iam:GetAccountAuthorizationDetails")
    assert check(cid, account(), other, gaps=[gap]) == Result.UNKNOWN


def cert(expires: datetime) -> Resource:
    return live(pseudo.SERVER_CERTIFICATE, "c", {"ServerCertificateName": "c", "Expiration": expires.isoformat()},
                expiration=expires)


def test_expired_server_certificates() -> None:
    cid = "iam.expired-server-certificates"
    assert check(cid, cert(ago(1))) == Result.FAIL
    assert check(cid, cert(NOW + timedelta(days=30))) == Result.PASS


@pytest.mark.parametrize("control_id", ["iam.user-console-mfa", "iam.root-mfa", "iam.support-role",
                                        "iam.expired-server-certificates", "iam.credentials-unused"])
def test_live_only_controls_do_not_claim_templates(control_id: str) -> None:
    assert get_control(control_id).places == frozenset({LIVE})


@pytest.mark.parametrize("control_id", ["iam.user-direct-policies", "iam.policy-full-admin",
                                        "iam.password-min-length", "iam.password-reuse-prevention",
                                        "iam.cloudshell-full-access-attached"])
def test_template_controls_claim_both_places(control_id: str) -> None:
    c = get_control(control_id)
    assert c.places == frozenset({LIVE, IAC}) and c.fix and c.title


def test_principal_policies_gather_inline_managed_and_group_documents() -> None:
    from railguard.controls import policy as pol
    from railguard.controls.iam import principal_policies

    admin_arn = f"arn:aws:iam::{ACCT}:policy/adm"
    adm = live("AWS::IAM::ManagedPolicy", "adm", {"PolicyDocument": ADMIN}, attachment_count=1)
    adm = Resource(**{**adm.__dict__, "id": admin_arn, "arn": admin_arn})
    group = live("AWS::IAM::Group", "ops", {"GroupName": "ops", "ManagedPolicyArns": [admin_arn], "Policies": []})
    deny_iam = {"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    u = user(props={"Groups": ["ops"], "Policies": [{"PolicyName": "no-iam", "PolicyDocument": deny_iam}],
                    "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]})
    inv = Inventory([adm, group, u])
    docs = principal_policies(u, inv)
    assert [s for s, _ in docs] == ["inline:no-iam", "managed:ReadOnlyAccess", "group:ops/managed:adm"]
    assert isinstance(docs[1][1], Unknown)  # not collected: unknown, never silently empty
    known = [d for _, d in docs if not isinstance(d, Unknown)]
    assert pol.evaluate(known, "s3:GetObject").allowed  # through the group
    assert pol.evaluate(known, "iam:PassRole").decision == pol.Decision.DENIED  # inline Deny wins

    # templates: a standalone policy naming the user applies to it
    dev = tpl("AWS::IAM::User", "Dev", {})
    inline = tpl("AWS::IAM::Policy", "P", {"PolicyName": "p", "PolicyDocument": READ, "Users": ["Dev"]})
    assert principal_policies(dev, Inventory([dev, inline])) == [("Policy:P", READ)]


def test_support_role_held_only_by_a_user_with_a_gap_is_unknown() -> None:
    """The missing role may be among the principals that could not be read."""
    support = {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/AWSSupportAccess"]}
    usr = live("AWS::IAM::User", "bob", support)
    gap = Gap("AWS::IAM::Role", ACCT, GLOBAL, "throttled on iam:GetAccountAuthorizationDetails")
    assert check("iam.support-role", account(), usr, gaps=[gap]) == Result.UNKNOWN
