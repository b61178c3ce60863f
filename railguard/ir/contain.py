"""Containing an IAM principal (a user, a role, or the user behind an access key id).

Kill IAM access first: keys deactivated (never deleted: a deactivated key can be turned back on,
a deleted one cannot), the console login profile removed, an explicit deny-all inline policy, and
the active sessions revoked (a role: deny to credentials issued before now; a user: the deny-all
covers the sessions its keys made). Every prior state is recorded; release puts it back, except the
console password, which AWS never reveals: release creates a login profile with a random password
that must be reset (nobody, railguard included, ever sees it) so an administrator sets a new one.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from railguard.ir.isolate import revoke_sessions_document
from railguard.ir.workflow import Ctx, InputError, IrError, Outcome, Step
from railguard.store import utcnow

DENY_ALL_POLICY = "railguard-deny-all"
REVOKE_POLICY = "railguard-revoke-older-sessions"
DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "RailguardContainment", "Effect": "Deny", "Action": "*", "Resource": "*"}]})
_KEY = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,124}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):(user|role|assumed-role)/(.+)$")


def resolve(ctx: Ctx, principal: str) -> dict[str, Any]:
    """USER, ROLE, ACCESS_KEY_ID or ARN -> {"type": user|role, "name": ..., "key": id or None}."""
    from railguard.sources.aws.errors import error_code

    iam = ctx.client("iam")
    if principal.lower() == "root" or principal.endswith(":root"):
        raise InputError("the root user cannot be contained through IAM: sign in as root, delete its access keys "
                         "and rotate its password and MFA (this case records the request)")
    if _KEY.match(principal):
        if principal.startswith("ASIA"):
            raise InputError(f"{principal} is a temporary key (ASIA...): contain the role or user that issued it")
        try:
            user = iam.get_access_key_last_used(AccessKeyId=principal).get("UserName")
        except Exception as exc:
            if error_code(exc) in ("NoSuchEntity", "AccessDenied"):
                raise InputError(f"access key {principal} not found in account {ctx.session.account}") from None
            raise
        if not user:
            raise InputError(f"access key {principal} not found in account {ctx.session.account}")
        return {"type": "user", "name": user, "key": principal}
    m = _ARN.match(principal)
    if m:
        kind, rest = m.group(2), m.group(3)
        name = rest.split("/")[0] if kind == "assumed-role" else rest.rsplit("/", 1)[-1]
        return {"type": "user" if kind == "user" else "role", "name": name, "key": None}
    for kind, call in (("user", lambda: iam.get_user(UserName=principal)),
                       ("role", lambda: iam.get_role(RoleName=principal))):
        try:
            call()
            return {"type": kind, "name": principal, "key": None}
        except Exception as exc:
            if error_code(exc) not in ("NoSuchEntity", "ValidationError"):
                raise
    raise InputError(f"no IAM user or role named {principal!r} in account {ctx.session.account}")


def steps(ctx: Ctx) -> list[Step]:
    return [
        Step("capture", "resolve the principal; capture keys, login profile, policies, groups (SHA-256 each)", capture),
        Step("deactivate-keys", "deactivate every active access key (never delete)", deactivate_keys),
        Step("login-profile", "remove the console login profile", remove_login),
        Step("deny-all", f"attach the explicit deny-all inline policy {DENY_ALL_POLICY}", deny_all),
        Step("sessions", "revoke active sessions", revoke_sessions),
    ]


def _self_check(ctx: Ctx, who: dict[str, Any]) -> None:
    try:
        me = ctx.client("sts").get_caller_identity()["Arn"]
    except Exception:
        return
    m = _ARN.match(me)
    if not m:
        return
    kind, rest = m.group(2), m.group(3)
    name = rest.split("/")[0] if kind == "assumed-role" else rest.rsplit("/", 1)[-1]
    if ("user" if kind == "user" else "role") == who["type"] and name == who["name"]:
        raise InputError(f"{who['type']} {who['name']} is the identity railguard runs as: containing it would stop "
                         "railguard half-way; run as another principal")


def capture(ctx: Ctx) -> Outcome:
    from railguard.ir.capture import _Artefacts
    from railguard.sources.aws.errors import error_code

    who = resolve(ctx, ctx.case.subject)
    _self_check(ctx, who)
    iam = ctx.client("iam")
    art = _Artefacts(ctx)
    name = who["name"]
    facts: dict[str, Any] = {"type": who["type"], "name": name, "key": who["key"]}
    if who["type"] == "user":
        art.add("user", "iam:GetUser", iam.get_user(UserName=name)["User"])
        keys = art.add("access-keys", "iam:ListAccessKeys", iam.list_access_keys(UserName=name)["AccessKeyMetadata"])
        try:
            login = iam.get_login_profile(UserName=name)["LoginProfile"]
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            login = None
        art.add("login-profile", "iam:GetLoginProfile", login or {"absent": True})
        attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
        inline = iam.list_user_policies(UserName=name)["PolicyNames"]
        art.add("policies", "iam:ListAttachedUserPolicies+ListUserPolicies", {"attached": attached, "inline": inline})
        art.read("groups", "iam:ListGroupsForUser", lambda: iam.list_groups_for_user(UserName=name)["Groups"])
        facts.update(keys=[{"id": k["AccessKeyId"], "status": k["Status"]} for k in keys],
                     login_profile=login is not None,
                     password_reset_required=bool((login or {}).get("PasswordResetRequired")),
                     inline=inline, attached=[p["PolicyArn"] for p in attached])
    else:
        art.add("role", "iam:GetRole", iam.get_role(RoleName=name)["Role"])
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        art.add("policies", "iam:ListAttachedRolePolicies+ListRolePolicies", {"attached": attached, "inline": inline})
        art.read("instance-profiles", "iam:ListInstanceProfilesForRole",
                 lambda: iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"])
        facts.update(keys=[], login_profile=False, inline=inline, attached=[p["PolicyArn"] for p in attached])
    facts["unreadable"] = art.unreadable
    return Outcome(f"{who['type']} {name}" + (f" (owner of key {who['key']})" if who["key"] else "") +
                   f": {len(facts['keys'])} key(s), login profile {'yes' if facts['login_profile'] else 'no'}, "
                   f"{len(inline)} inline and {len(attached)} attached policies", facts)


def deactivate_keys(ctx: Ctx) -> Outcome:
    f = ctx.facts
    active = [k["id"] for k in f["keys"] if k["status"] == "Active"]
    if not active:
        return Outcome("no active access key", {"deactivated": []}, skipped=True)
    iam = ctx.client("iam")
    for k in active:
        iam.update_access_key(UserName=f["name"], AccessKeyId=k, Status="Inactive")
    return Outcome(f"deactivated {', '.join(active)}", {"deactivated": active})


def remove_login(ctx: Ctx) -> Outcome:
    from railguard.sources.aws.errors import error_code

    f = ctx.facts
    if not f["login_profile"]:
        return Outcome("no console login profile", {"removed": False}, skipped=True)
    try:
        ctx.client("iam").delete_login_profile(UserName=f["name"])
    except Exception as exc:
        if error_code(exc) != "NoSuchEntity":  # a re-run after the delete
            raise
    return Outcome(f"console login profile of {f['name']} removed", {"removed": True})


def deny_all(ctx: Ctx) -> Outcome:
    f = ctx.facts
    iam = ctx.client("iam")
    if f["type"] == "user":
        iam.put_user_policy(UserName=f["name"], PolicyName=DENY_ALL_POLICY, PolicyDocument=DENY_ALL)
    else:
        iam.put_role_policy(RoleName=f["name"], PolicyName=DENY_ALL_POLICY, PolicyDocument=DENY_ALL)
    return Outcome(f"{DENY_ALL_POLICY} put on {f['type']} {f['name']}",
                   {"policy": DENY_ALL_POLICY, "prior_inline": f["inline"]})


def revoke_sessions(ctx: Ctx) -> Outcome:
    f = ctx.facts
    if f["type"] == "user":
        return Outcome("the user's sessions (GetSessionToken, federation) carry its policies: the deny-all "
                       "denies them", {"policy": None})
    before = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx.client("iam").put_role_policy(RoleName=f["name"], PolicyName=REVOKE_POLICY,
                                      PolicyDocument=revoke_sessions_document(before))
    return Outcome(f"sessions of role {f['name']} issued before {before} denied",
                   {"policy": REVOKE_POLICY, "revoked_before": before})


# ---- release


def release_steps(ctx: Ctx) -> list[Step]:
    return [
        Step("sessions", "lift the session revocation (unless --keep-revocation)", lift_sessions),
        Step("deny-all", f"remove {DENY_ALL_POLICY}", lift_deny_all),
        Step("login-profile", "create a login profile again (random password, reset required)", restore_login),
        Step("keys", "reactivate the keys the case deactivated", reactivate_keys),
        Step("verify", "re-read keys, login profile and policies; compare with before", verify),
    ]


def _attempted(ctx: Ctx, name: str) -> bool:
    from railguard.ir.release import attempted

    return attempted(ctx, name)


def _delete_inline(ctx: Ctx, policy: str) -> bool:
    from railguard.sources.aws.errors import error_code

    f, iam = ctx.facts, ctx.client("iam")
    if policy in f["inline"]:
        return False  # it was there before the case: not ours to remove
    try:
        if f["type"] == "user":
            iam.delete_user_policy(UserName=f["name"], PolicyName=policy)
        else:
            iam.delete_role_policy(RoleName=f["name"], PolicyName=policy)
    except Exception as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
    return True


def lift_sessions(ctx: Ctx) -> Outcome:
    if not _attempted(ctx, "sessions") or ctx.facts["type"] != "role":
        return Outcome("nothing to undo", {}, skipped=True)
    if ctx.options.get("keep_revocation"):
        return Outcome("session revocation kept (--keep-revocation)", {"kept": True})
    _delete_inline(ctx, REVOKE_POLICY)
    return Outcome(f"{REVOKE_POLICY} removed: sessions issued before the case are valid again until they expire", {})


def lift_deny_all(ctx: Ctx) -> Outcome:
    if not _attempted(ctx, "deny-all"):
        return Outcome("nothing to undo", {}, skipped=True)
    removed = _delete_inline(ctx, DENY_ALL_POLICY)
    return Outcome(f"{DENY_ALL_POLICY} {'removed' if removed else 'kept: it existed before the case'}", {})


def restore_login(ctx: Ctx) -> Outcome:
    from railguard.sources.aws.errors import error_code

    if not _attempted(ctx, "login-profile") or not ctx.facts.get("login_profile"):
        return Outcome("nothing to undo", {}, skipped=True)
    password = secrets.token_urlsafe(24) + "aA1!"  # never stored, never printed
    try:
        ctx.client("iam").create_login_profile(UserName=ctx.facts["name"], Password=password, PasswordResetRequired=True)
    except Exception as exc:
        if error_code(exc) != "EntityAlreadyExists":
            raise
    return Outcome("console login profile created again with a random password that nobody knows and must be "
                   "reset: an administrator sets a new one (`aws iam update-login-profile`)", {})


def reactivate_keys(ctx: Ctx) -> Outcome:
    done = ctx.done.get("deactivate-keys", {}).get("deactivated")
    if done is None and _attempted(ctx, "deactivate-keys"):
        done = [k["id"] for k in ctx.facts["keys"] if k["status"] == "Active"]
    if not done:
        return Outcome("no key to reactivate", {}, skipped=True)
    iam = ctx.client("iam")
    for k in done:
        iam.update_access_key(UserName=ctx.facts["name"], AccessKeyId=k, Status="Active")
    return Outcome(f"reactivated {', '.join(done)}", {"reactivated": done})


def verify(ctx: Ctx) -> Outcome:
    from railguard.sources.aws.errors import error_code

    if "capture" not in ctx.done:
        return Outcome("nothing was captured, nothing to compare", {}, skipped=True)
    f, iam = ctx.facts, ctx.client("iam")
    problems = []
    if f["type"] == "user":
        keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=f["name"])["AccessKeyMetadata"]}
        problems += [f"key {k['id']} is {keys.get(k['id'])}, before {k['status']}" for k in f["keys"]
                     if keys.get(k["id"]) != k["status"]]
        try:
            iam.get_login_profile(UserName=f["name"])
            has_login = True
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            has_login = False
        if has_login != f["login_profile"]:
            problems.append(f"login profile {'present' if has_login else 'absent'}, before "
                            f"{'present' if f['login_profile'] else 'absent'}")
        inline = iam.list_user_policies(UserName=f["name"])["PolicyNames"]
        attached = [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=f["name"])["AttachedPolicies"]]
    else:
        inline = iam.list_role_policies(RoleName=f["name"])["PolicyNames"]
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=f["name"])["AttachedPolicies"]]
    expected_inline = set(f["inline"])
    if ctx.options.get("keep_revocation") and f["type"] == "role":
        expected_inline.add(REVOKE_POLICY)
    if set(inline) != expected_inline:
        problems.append(f"inline policies {sorted(inline)}, before {sorted(f['inline'])}")
    if sorted(attached) != sorted(f["attached"]):
        problems.append(f"attached policies {sorted(attached)}, before {sorted(f['attached'])}")
    if problems:
        raise IrError("release did not restore: " + "; ".join(problems))
    return Outcome(f"verified: keys, login profile and policies of {f['type']} {f['name']} as before the case", {})
