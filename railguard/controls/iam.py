"""IAM controls (CIS AWS Foundations section 1): root user, password policy, users' credentials,
policies. Live-only facts (credential report, account summary) are read with `r.fact`; see
railguard/sources/aws/collectors/iam.py for their shape. Ages use `ctx.now`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls import policy as pol
from railguard.controls.helpers import as_list, fail_unless_gap, refers_to
from railguard.model import (
    Inventory,
    Resource,
    Result,
    Severity,
    Unknown,
    UnknownValue,
    Verdict,
    failed,
    passed,
    require,
    unknown,
)
from railguard.sources.aws import pseudo

USER = "AWS::IAM::User"
ROLE = "AWS::IAM::Role"
GROUP = "AWS::IAM::Group"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
INLINE_POLICY = "AWS::IAM::Policy"
USER_POLICY = "AWS::IAM::UserPolicy"
ROLE_POLICY = "AWS::IAM::RolePolicy"
GROUP_POLICY = "AWS::IAM::GroupPolicy"
PRINCIPALS = (USER, ROLE, GROUP)

SUPPORT_POLICY = "AWSSupportAccess"
CLOUDSHELL_POLICY = "AWSCloudShellFullAccess"


def _days(now: datetime, then: datetime) -> int:
    return (now - then).days


def _iso(dt: Any) -> str | None:
    return dt.isoformat() if isinstance(dt, datetime) else None


def _find(inventory: Inventory, type_: str, ref: Any, account: str | None = None) -> Resource | None:
    if not isinstance(ref, str):
        return None
    hit = inventory.get(type_, ref)
    if hit is not None:
        return hit
    for cand in inventory.of_type(type_, account=account):
        if refers_to(ref, cand):
            return cand
    return None


def principal_policies(r: Resource, inventory: Inventory) -> list[tuple[str, Any]]:
    """Every policy document that applies to principal `r`, as (source, document) pairs: its inline
    policies, its attached managed policies (documents looked up in the inventory by ARN, id or
    name) and, for a user, its groups' inline and managed policies. A document that cannot be
    found (an AWS-managed policy a template only names, a group outside the inventory) is an
    `Unknown` with the reason, so that an analysis built on it reports UNKNOWN, not PASS.
    Raises `UnknownValue` when the principal's own policy lists are unknown."""
    out: list[tuple[str, Any]] = []

    def add_own(p: Resource, prefix: str) -> None:
        for pol_ in as_list(p.get("Policies")):
            pol_ = require(pol_, "Policies[]")
            name = pol_.get("PolicyName")
            out.append((f"{prefix}inline:{name if isinstance(name, str) else '?'}", pol_.get("PolicyDocument")))
        for arn in as_list(p.get("ManagedPolicyArns")):
            arn = require(arn, "ManagedPolicyArns[]")
            mp = _find(inventory, MANAGED_POLICY, arn, p.account)
            label = mp.display_name if mp is not None else str(arn).rsplit("/", 1)[-1]
            doc = mp.get_raw("PolicyDocument") if mp is not None else Unknown(f"managed policy {arn} was not read")
            out.append((f"{prefix}managed:{label}", doc))

    add_own(r, "")
    # template policy resources that name this principal (live principals already list them)
    list_key, single_key = {USER: ("Users", "UserName"), ROLE: ("Roles", "RoleName"),
                            GROUP: ("Groups", "GroupName")}.get(r.type, ("", ""))
    if list_key and not r.is_live:
        for t in (INLINE_POLICY, USER_POLICY, ROLE_POLICY, GROUP_POLICY, MANAGED_POLICY):
            for p in inventory.of_type(t):
                names = [*as_list(p.get_raw(list_key)), p.get_raw(single_key)]
                if p.origin.file and any(refers_to(v, r) for v in names):
                    out.append((f"{t.rsplit('::', 1)[-1]}:{p.display_name}", p.get_raw("PolicyDocument")))
    if r.type == USER:
        for g in as_list(r.get("Groups")):
            g = require(g, "Groups[]")
            group = _find(inventory, GROUP, g, r.account)
            if group is None:
                out.append((f"group:{g}", Unknown(f"group {g} was not read")))
            else:
                add_own(group, f"group:{group.display_name}/")
    return out


# --- root user ------------------------------------------------------------------------------


@control(
    "iam.root-access-key",
    title="The root user has no access keys",
    resource=pseudo.ROOT_ACCOUNT,
    severity=Severity.CRITICAL,
    fix="Delete the root user's access keys (Security credentials page of the root user).",
    places=(LIVE,),
)
def root_access_key(r: Resource) -> Verdict:
    if r.fact("access_keys_present"):
        return failed("the root user has an access key", AccountAccessKeysPresent=1)
    return passed("the root user has no access key")


@control(
    "iam.root-mfa",
    title="MFA is enabled for the root user",
    resource=pseudo.ROOT_ACCOUNT,
    severity=Severity.CRITICAL,
    fix="Enable MFA for the root user (a hardware key or passkey is best).",
    places=(LIVE,),
)
def root_mfa(r: Resource) -> Verdict:
    if not r.fact("mfa_enabled"):
        return failed("the root user has no MFA device", AccountMFAEnabled=0)
    return passed("the root user has MFA")


@control(
    "iam.root-hardware-mfa",
    title="Hardware MFA is enabled for the root user",
    resource=pseudo.ROOT_ACCOUNT,
    severity=Severity.HIGH,
    fix="Replace the root user's virtual MFA with a hardware MFA device or security key.",
    places=(LIVE,),
)
def root_hardware_mfa(r: Resource) -> Verdict:
    if not r.fact("mfa_enabled"):
        return failed("the root user has no MFA device", AccountMFAEnabled=0)
    if r.fact("virtual_mfa"):
        return failed("the root user's MFA is a virtual device, not hardware",
                      SerialNumber=f"arn:aws:iam::{r.account}:mfa/root-account-mfa-device")
    return passed("the root user's MFA is not a virtual device")


@control(
    "iam.root-recently-used",
    title="The root user has not been used recently",
    resource=pseudo.ROOT_ACCOUNT,
    severity=Severity.HIGH,
    fix="Stop using the root user for daily tasks: use IAM roles or Identity Center users instead.",
    params={"days": 30},
    places=(LIVE,),
)
def root_recently_used(r: Resource, ctx: Context) -> Verdict:
    days = int(ctx.params["days"])
    last = r.fact("last_used")
    if last is None:
        return passed("the root user has no recorded use")
    age = _days(ctx.now, last)
    if age < days:
        return failed(f"the root user was used {age} day(s) ago (within {days} days)",
                      last_used=_iso(last), password_last_used=_iso(r.fact("password_last_used")),
                      access_key_last_used=[_iso(d) for d in r.fact("access_key_last_used") or []])
    return passed(f"the root user was last used {age} days ago", last_used=_iso(last))


# --- password policy ------------------------------------------------------------------------


def _policy_value(r: Resource, key: str) -> tuple[bool, Any]:
    """(exists, value): a live account with no password policy has no values at all."""
    if r.is_live and r.fact("exists", True) is False:
        return False, None
    return True, r.get(key)


def _int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


@control(
    "iam.password-min-length",
    title="The IAM password policy requires a minimum length of 14 or more",
    resource=pseudo.PASSWORD_POLICY,
    severity=Severity.MEDIUM,
    fix="Set the account password policy's minimum length to 14 or more.",
    params={"min_length": 14},
    remediation="iam.password-policy",
)
def password_min_length(r: Resource, ctx: Context) -> Verdict:
    want = int(ctx.params["min_length"])
    return _policy_at_least(r, "MinimumPasswordLength", want, "minimum password length",
                            f"the account has no password policy (AWS default: 8 characters; want {want})",
                            lambda n: f"minimum password length is {n}")


@control(
    "iam.password-reuse-prevention",
    title="The IAM password policy prevents password reuse",
    resource=pseudo.PASSWORD_POLICY,
    severity=Severity.MEDIUM,
    fix="Set the account password policy to remember the last 24 passwords.",
    params={"min_reuse": 24},
    remediation="iam.password-policy",
)
def password_reuse_prevention(r: Resource, ctx: Context) -> Verdict:
    want = int(ctx.params["min_reuse"])
    return _policy_at_least(r, "PasswordReusePrevention", want, "password reuse prevention",
                            f"the account has no password policy, so passwords may be reused (want {want})",
                            lambda n: f"the last {n} passwords cannot be reused")


def _policy_at_least(r: Resource, key: str, want: int, label: str, no_policy: str,
                     ok: Callable[[int], str]) -> Verdict:
    """PASS when the password policy's numeric `key` is at least `want`; FAIL when it is lower,
    not set or when the account has no password policy (`no_policy` is the reason then)."""
    exists, value = _policy_value(r, key)
    if not exists:
        return failed(no_policy, **{key: None})
    n = _int(value)
    if n is None or n < want:
        return failed(f"{label} is {n if n is not None else 'not set'} (want >= {want})", **{key: n})
    return passed(ok(n), **{key: n})


# --- users' credentials (credential report) ---------------------------------------------------


def _keys(r: Resource) -> list[dict[str, Any]]:
    return [k for k in r.fact("access_keys") or [] if k.get("active")]


def _key_evidence(k: dict[str, Any]) -> dict[str, Any]:
    return {"slot": k.get("slot"), "last_rotated": _iso(k.get("last_rotated")), "last_used": _iso(k.get("last_used"))}


@control(
    "iam.user-console-mfa",
    title="IAM users with a console password have MFA enabled",
    resource=USER,
    severity=Severity.HIGH,
    fix="Enable an MFA device for the user, or remove the console password if it is not needed.",
    places=(LIVE,),
)
def user_console_mfa(r: Resource) -> Verdict:
    if not r.fact("password_enabled"):
        return passed("the user has no console password")
    if not r.fact("mfa_active"):
        return failed("the user has a console password and no MFA device", password_enabled=True, mfa_active=False)
    return passed("the user has a console password and MFA")


@control(
    "iam.access-key-at-user-setup",
    title="No unused access keys were set up with a console user",
    resource=USER,
    severity=Severity.LOW,
    fix="Delete access keys that were created with the user and never used.",
    places=(LIVE,),
    remediation="iam.deactivate-access-key",
)
def access_key_at_user_setup(r: Resource) -> Verdict:
    if not r.fact("password_enabled"):
        return passed("the user has no console password")
    unused = [k for k in _keys(r) if k.get("last_used") is None]
    if unused:
        return failed("the console user has an active access key that was never used",
                      access_keys=[_key_evidence(k) for k in unused])
    return passed("the console user has no never-used active access key")


@control(
    "iam.credentials-unused",
    title="Credentials unused for 45 days or more are disabled",
    resource=USER,
    severity=Severity.MEDIUM,
    fix="Remove the console password or deactivate the access keys that have not been used.",
    params={"days": 45},
    places=(LIVE,),
    remediation="iam.deactivate-access-key",
)
def credentials_unused(r: Resource, ctx: Context) -> Verdict:
    days = int(ctx.params["days"])
    stale: list[dict[str, Any]] = []
    if r.fact("password_enabled"):
        used = r.fact("password_last_used")
        since = used or r.fact("password_last_changed") or r.fact("user_creation_time")
        if since is not None and _days(ctx.now, since) >= days:
            stale.append({"credential": "console password", "last_used": _iso(used),
                          "days": _days(ctx.now, since), "never_used": used is None})
    for k in _keys(r):
        used = k.get("last_used")
        since = used or k.get("last_rotated") or r.fact("user_creation_time")
        if since is not None and _days(ctx.now, since) >= days:
            stale.append({"credential": f"access key {k.get('slot')}", "last_used": _iso(used),
                          "days": _days(ctx.now, since), "never_used": used is None})
    if stale:
        names = ", ".join(s["credential"] for s in stale)
        return failed(f"enabled credentials unused for {days}+ days: {names}", unused=stale)
    return passed(f"no enabled credential unused for {days} days")


@control(
    "iam.user-multiple-active-keys",
    title="IAM users have at most one active access key",
    resource=USER,
    severity=Severity.MEDIUM,
    fix="Deactivate and delete all but one of the user's access keys.",
    places=(LIVE,),
)
def user_multiple_active_keys(r: Resource) -> Verdict:
    active = _keys(r)
    if len(active) > 1:
        return failed(f"the user has {len(active)} active access keys", access_keys=[_key_evidence(k) for k in active])
    return passed(f"the user has {len(active)} active access key(s)")


@control(
    "iam.access-key-rotated",
    title="Access keys are rotated every 90 days or less",
    resource=USER,
    severity=Severity.MEDIUM,
    fix="Create a new access key, switch the workload to it, then deactivate and delete the old one.",
    params={"days": 90},
    places=(LIVE,),
    remediation="iam.deactivate-access-key",
)
def access_key_rotated(r: Resource, ctx: Context) -> Verdict:
    days = int(ctx.params["days"])
    old = [k for k in _keys(r) if k.get("last_rotated") and _days(ctx.now, k["last_rotated"]) > days]
    if old:
        return failed(f"active access key(s) older than {days} days",
                      access_keys=[{**_key_evidence(k), "age_days": _days(ctx.now, k["last_rotated"])} for k in old])
    return passed(f"no active access key older than {days} days")


# --- policies ---------------------------------------------------------------------------------


def _iac_policies_naming(ctx: Context, r: Resource, list_key: str, single_key: str) -> list[Resource]:
    """Template policies (`AWS::IAM::Policy`/`ManagedPolicy` `Users: [...]`, `AWS::IAM::UserPolicy`
    `UserName`) that attach to principal `r`. Only in templates: live, the principal lists them."""
    out = []
    for t in (INLINE_POLICY, MANAGED_POLICY):
        for p in ctx.inventory.of_type(t):
            if p.origin.file and any(refers_to(v, r) for v in as_list(p.get_raw(list_key))):
                out.append(p)
    for t in (USER_POLICY, ROLE_POLICY, GROUP_POLICY):
        for p in ctx.inventory.of_type(t):
            if p.origin.file and refers_to(p.get_raw(single_key), r):
                out.append(p)
    return out


@control(
    "iam.user-direct-policies",
    title="IAM users receive permissions only through groups",
    resource=USER,
    severity=Severity.LOW,
    fix="Move the user's policies to a group (or a role) and add the user to it.",
)
def user_direct_policies(r: Resource, ctx: Context) -> Verdict:
    attached = [require(a, "ManagedPolicyArns[]") for a in as_list(r.get("ManagedPolicyArns"))]
    try:
        inline = [require(require(p, "Policies[]").get("PolicyName"), "Policies[].PolicyName")
                  for p in as_list(r.get("Policies"))]
    except UnknownValue:
        if not attached:
            raise
        inline = []  # an attached policy settles it (a user declared elsewhere: its inline ones are unknown)
    elsewhere: list[str] = []
    if ctx.place == IAC:
        elsewhere = [p.display_name for p in _iac_policies_naming(ctx, r, "Users", "UserName")]
    if attached or inline or elsewhere:
        evidence: dict[str, Any] = {}
        if attached:
            evidence["ManagedPolicyArns"] = attached
        if inline:
            evidence["Policies"] = inline
        if elsewhere:
            evidence["policy_resources"] = elsewhere
        return failed("the user has policies attached directly, not through a group", **evidence)
    return passed("the user has no directly attached or inline policy")


def _parse(doc: Any, source: str) -> pol.PolicyDocument | Verdict:
    try:
        return pol.parse(doc, source)
    except pol.PolicyError as exc:
        return unknown(f"policy {source!r} cannot be analysed: {exc}")


def _admin_verdict(docs: Iterable[tuple[str, Any]], *, what: str) -> Verdict:
    """FAIL when any document grants `*` on `*`; UNKNOWN when a document cannot be read and no other
    decides; PASS otherwise."""
    admin: list[dict[str, Any]] = []
    pending: Verdict | None = None
    for source, raw in docs:
        try:
            parsed = _parse(raw, source)
            if isinstance(parsed, Verdict):
                pending = pending or parsed
                continue
            admin += [s.to_evidence() for s in pol.full_admin_statements(parsed)]
        except UnknownValue as exc:
            pending = pending or unknown(f"policy {source!r} cannot be assessed: {exc.path} is unknown "
                                         f"({exc.unknown.reason})")
    if admin:
        return failed(f"{what} allows every action on every resource (\"*:*\")", statements=admin)
    if pending is not None:
        return pending
    return passed(f"{what} does not allow \"*:*\"")


@control(
    "iam.policy-full-admin",
    title='IAM policies that allow full "*:*" administrative privileges are not attached',
    resource=[MANAGED_POLICY, INLINE_POLICY, USER_POLICY, ROLE_POLICY, GROUP_POLICY, USER, ROLE, GROUP],
    severity=Severity.HIGH,
    params={"include_aws_managed": True},
    fix="Replace the \"*:*\" grant with the specific actions and resources the principals need.",
)
def policy_full_admin(r: Resource, ctx: Context) -> Verdict | None:
    """Customer-managed and inline policies, and (`include_aws_managed`, as CIS means it) attached
    AWS-managed ones such as AdministratorAccess. The baseline and FSBP IAM.1 pin it off: an
    AWS-managed policy cannot be edited, and the recommended break-glass role holds
    AdministratorAccess behind an MFA trust (judged by iam.privileged-role-trust-mfa)."""
    if (r.type == MANAGED_POLICY and r.is_live and r.fact("aws_managed", False)
            and not ctx.params.get("include_aws_managed", True)):
        return None
    if r.type in PRINCIPALS:
        policies = as_list(r.get("Policies"))
        if not policies:
            return passed("no inline policy")
        docs = []
        for p in policies:
            p = require(p, "Policies[]")
            name = p.get("PolicyName")
            docs.append((name if isinstance(name, str) else "inline policy", p.get("PolicyDocument")))
        return _admin_verdict(docs, what="an inline policy")
    name = r.display_name
    verdict = _admin_verdict([(name, r.get("PolicyDocument"))], what="the policy")
    if r.type == MANAGED_POLICY and r.is_live and verdict.result == Result.FAIL:
        count = r.fact("attachment_count", 0)
        if not count:
            return passed("the policy allows \"*:*\" but is not attached to anything", attachment_count=0)
        return failed(verdict.reason, attachment_count=count, aws_managed=r.fact("aws_managed", False),
                      attached_to={k: r.get(k) for k in ("Users", "Groups", "Roles") if r.get(k)},
                      **verdict.evidence)
    return verdict


def _arns_named(r: Resource, policy_name: str) -> tuple[list[str], Unknown | None]:
    """Attached managed-policy ARNs that are the AWS-managed `policy_name` (any partition)."""
    hits: list[str] = []
    pending: Unknown | None = None
    for a in as_list(r.get("ManagedPolicyArns")):
        if isinstance(a, Unknown):
            pending = pending or a
        elif isinstance(a, str) and a.endswith(f":iam::aws:policy/{policy_name}"):
            hits.append(a)
    return hits, pending


@control(
    "iam.cloudshell-full-access-attached",
    title="AWSCloudShellFullAccess is not attached to any IAM principal",
    resource=list(PRINCIPALS),
    severity=Severity.MEDIUM,
    fix="Detach AWSCloudShellFullAccess and grant a narrower CloudShell policy (no file transfer) if needed.",
)
def cloudshell_full_access_attached(r: Resource) -> Verdict:
    hits, pending = _arns_named(r, CLOUDSHELL_POLICY)
    if hits:
        return failed(f"{CLOUDSHELL_POLICY} is attached", ManagedPolicyArns=hits)
    if pending is not None:
        raise UnknownValue("ManagedPolicyArns[]", pending)
    return passed(f"{CLOUDSHELL_POLICY} is not attached")


@control(
    "iam.support-role",
    title="A support role exists to manage incidents with AWS Support",
    resource=pseudo.ACCOUNT,
    severity=Severity.LOW,
    fix="Create an IAM role trusted by your administrators and attach the AWSSupportAccess policy to it.",
    reads=list(PRINCIPALS),
    places=(LIVE,),
)
def support_role(r: Resource, ctx: Context) -> Verdict:
    """A role seen with the policy passes; its absence fails only when every principal was read."""
    holders: dict[str, list[str]] = {}
    for t in PRINCIPALS:
        for p in ctx.inventory.of_type(t, account=r.account):
            hits, _ = _arns_named(p, SUPPORT_POLICY)
            if hits:
                holders.setdefault(t.rsplit("::", 1)[-1], []).append(p.display_name)
    if holders.get("Role"):
        return passed(f"{SUPPORT_POLICY} is attached to a role", roles=holders["Role"])
    if holders:
        return fail_unless_gap(ctx, PRINCIPALS, r.account, r.region,
                               f"{SUPPORT_POLICY} is attached only to users or groups, not to a role", **holders)
    return fail_unless_gap(ctx, PRINCIPALS, r.account, r.region, f"no role has {SUPPORT_POLICY} attached")


@control(
    "iam.expired-server-certificates",
    title="Expired SSL/TLS certificates stored in IAM are removed",
    resource=pseudo.SERVER_CERTIFICATE,
    severity=Severity.MEDIUM,
    fix="Delete the expired server certificate (aws iam delete-server-certificate).",
    places=(LIVE,),
)
def expired_server_certificates(r: Resource, ctx: Context) -> Verdict:
    expiration = r.fact("expiration")
    if not isinstance(expiration, datetime):
        raw = r.get("Expiration")
        if not raw:
            return unknown("the certificate's expiration date is not known")
        expiration = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if expiration <= ctx.now:
        return failed(f"the certificate expired {_days(ctx.now, expiration)} day(s) ago",
                      Expiration=expiration.isoformat())
    return passed("the certificate has not expired", Expiration=expiration.isoformat())
