"""Who gets in and who gets power: root use, console logins, IAM users, keys, admin grants, trust."""

from __future__ import annotations

import fnmatch
from typing import Any

from railguard.events import record as R
from railguard.events.detections.policy import EVERYONE, allows_everything, document, granted
from railguard.events.detections.registry import Hit, RuleContext, rule
from railguard.model import Severity

IAM = "iam.amazonaws.com"
SIGNIN = "signin.amazonaws.com"


def _login_ok(rec: dict[str, Any]) -> bool:
    return R.response(rec).get("ConsoleLogin") == "Success" and R.succeeded(rec)


@rule("root.console-login", title="Root user signed in to the console", severity=Severity.HIGH,
      events=["ConsoleLogin"], source=SIGNIN, technique="T1078.004")
def root_console_login(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """The root user should not be used day to day (CIS 1.7, 4.3)."""
    if R.identity(rec).get("type") == "Root" and _login_ok(rec):
        mfa = R.d(rec.get("additionalEventData")).get("MFAUsed")
        return f"root console login from {R.source_ip(rec) or 'unknown address'} (MFA: {mfa or 'unknown'})"
    return None


@rule("root.access-key-used", title="Root user's access key used for an API call", severity=Severity.CRITICAL,
      events=None, identities=["Root"], technique="T1078.004")
def root_access_key(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """A root access key should not exist; a call signed with one (AKIA...) is root used programmatically."""
    ui = R.identity(rec)
    if ui.get("type") != "Root" or R.is_aws_service(rec):
        return None
    key = R.s(ui.get("accessKeyId"))
    if key.startswith("AKIA"):
        return f"root access key {key} called {rec.get('eventName')}"
    return None


@rule("signin.console-login-without-mfa", title="Console login without MFA", severity=Severity.MEDIUM,
      events=["ConsoleLogin"], source=SIGNIN, technique="T1078.004")
def login_without_mfa(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """An IAM user or root signed in with a password alone (CIS 4.2). Federated and SSO
    sign-ins are left out: their MFA happens at the identity provider, which CloudTrail cannot see."""
    if R.identity(rec).get("type") not in ("IAMUser", "Root") or not _login_ok(rec):
        return None
    if R.d(rec.get("additionalEventData")).get("MFAUsed") == "No" and not ctx.allowed(rec):
        return f"{R.principal_arn(rec) or 'a user'} signed in without MFA"
    return None


@rule("signin.failed-login-burst", title="Burst of failed console logins", severity=Severity.MEDIUM,
      events=["ConsoleLogin"], source=SIGNIN, technique="T1110", params={"threshold": 5, "window": 300})
def failed_logins(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """Repeated failed console sign-ins against one account from one address: password guessing (CIS 4.6)."""
    failed = R.response(rec).get("ConsoleLogin") == "Failure" or rec.get("errorMessage") == "Failed authentication"
    if not failed:
        return None
    ip = R.source_ip(rec)
    ids = ctx.burst.add((R.account(rec), ip), R.time_of(rec), R.s(rec.get("eventID")))
    if ids:
        return Hit(f"{len(ids)} failed console logins from {ip or 'unknown address'} within "
                   f"{int(ctx.burst.window)}s", tuple(ids))
    return None


@rule("iam.user-created", title="IAM user created", severity=Severity.LOW, events=["CreateUser"], source=IAM,
      technique="T1136.003", ci_exempt=True)
def user_created(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """A new long-lived identity: persistence if it was not meant (most access should be roles or SSO)."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    name = R.s(R.request(rec).get("userName")) or R.s(R.d(R.response(rec).get("user")).get("userName"))
    return f"IAM user {name or '(unnamed)'} created"


@rule("iam.credentials-for-another-user", title="Console password or access key created for another user",
      severity=Severity.HIGH, events=["CreateLoginProfile", "UpdateLoginProfile", "CreateAccessKey"], source=IAM,
      technique="T1098.001", ci_exempt=True)
def credentials_for_other(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """Giving another user a password or key is how a foothold becomes that user."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    target = R.s(R.request(rec).get("userName"))
    if not target:  # no userName: the caller acted on itself
        return None
    ui = R.identity(rec)
    if ui.get("type") == "IAMUser" and R.s(ui.get("userName")) == target:
        return None
    what = "access key" if rec.get("eventName") == "CreateAccessKey" else "console password"
    return f"{what} for user {target} set by {R.principal_arn(rec) or 'unknown principal'}"


@rule("iam.admin-granted", title="Administrator access granted", severity=Severity.HIGH,
      events=["AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy",
              "PutGroupPolicy", "AddUserToGroup"], source=IAM, technique="T1098.003", ci_exempt=True)
def admin_granted(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """An administrator policy attached (managed, or inline Allow *:*), or a user added to an admin group."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    name = R.s(rec.get("eventName"))
    who = R.s(req.get("userName")) or R.s(req.get("roleName")) or R.s(req.get("groupName"))
    if name.startswith("Attach"):
        arn = R.s(req.get("policyArn"))
        if any(fnmatch.fnmatchcase(arn, p) for p in ctx.cfg.admin_policies):
            return f"{arn.rsplit('/', 1)[-1]} attached to {who}"
    elif name.startswith("Put"):
        if allows_everything(document(req.get("policyDocument"))):
            return f"inline policy {R.s(req.get('policyName'))} allowing every action attached to {who}"
    else:
        group = R.s(req.get("groupName"))
        if any(fnmatch.fnmatch(group.lower(), p.lower()) for p in ctx.cfg.admin_groups):
            return f"user {R.s(req.get('userName'))} added to group {group}"
    return None


@rule("iam.role-trusts-outside-account", title="Role trust policy lets an outside account assume it",
      severity=Severity.HIGH, events=["UpdateAssumeRolePolicy", "CreateRole"], source=IAM, technique="T1098")
def trust_outside(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """A trust policy naming an account outside the owned list (or anyone) is a door for that account."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    doc = document(req.get("policyDocument") if rec.get("eventName") == "UpdateAssumeRolePolicy"
                   else req.get("assumeRolePolicyDocument"))
    outside = sorted({a for a in granted(doc) if a == EVERYONE or ctx.outside(a, rec)})
    if outside:
        who = ", ".join("anyone" if a == EVERYONE else a for a in outside)
        return f"role {R.s(req.get('roleName'))} may now be assumed by {who}"
    return None
