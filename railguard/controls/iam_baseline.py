"""IAM controls of the `railguard-baseline` framework: users who only assume roles, no inline
policies, console access for a configured list of administrators, MFA in the trust of privileged
roles, unused access keys, dangerous policy patterns, privileged instance roles, password expiry.

They build on the policy analysis of `railguard.controls.policy` and on
`railguard.controls.iam.principal_policies` (inline, attached managed and group policies of a
principal, `Unknown` for what was not read). Two rules hold everywhere:

- A document that is not a policy (invalid JSON...) or that could not be read is UNKNOWN for the
  principal that holds it, never a crash and never a PASS; a FAIL seen in the documents that
  could be read stays a FAIL (the engine's rule).
- Conditions are not evaluated: a conditional Allow still grants (it is reported as such), a
  conditional Deny never cancels an Allow.

"Privileged" has one definition, `privilege()`, shared by `iam.privileged-role-trust-mfa` and
`iam.instance-role-privileged`:

- administrator: every action on every resource (`*:*`);
- power user: every action of each of the core services in `POWER_USER_SERVICES` on every resource
  (what `PowerUserAccess`, `NotAction: iam:*`, or a NotAction list sparing IAM grants);
- IAM administrator: one of `IAM_CHANGE_ACTIONS` (put/attach policies, new policy versions, new
  keys or passwords, trust-policy updates, `iam:PassRole`) on every resource (`*`).

A grant counts when it is allowed or allowed under conditions, unless an unconditional explicit
Deny cancels it: any overlapping Deny for administrator (`*:*` minus anything is not everything),
a Deny of the whole probe for the other levels (a power user denied one EC2 action is still one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from railguard.controls import LIVE, Context, control
from railguard.controls import policy as pol
from railguard.controls.helpers import as_list, refers_to
from railguard.controls.iam import (
    GROUP,
    GROUP_POLICY,
    INLINE_POLICY,
    MANAGED_POLICY,
    PRINCIPALS,
    ROLE,
    ROLE_POLICY,
    USER,
    USER_POLICY,
    _find,
    _int,
    _iso,
    _policy_value,
    principal_policies,
)
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

INSTANCE = "AWS::EC2::Instance"
INSTANCE_PROFILE = "AWS::IAM::InstanceProfile"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
STANDALONE_POLICIES = (INLINE_POLICY, USER_POLICY, ROLE_POLICY, GROUP_POLICY)
MAX_EVIDENCE = 5  # the first few offending grants; the count says how many in all

# --- what a user may hold (iam.user-only-assume-role) ------------------------------------------

# Actions a user may hold on any resource: assume roles (the roles' trust policies decide which),
# know who it is, get an MFA session, read the password policy, manage its virtual MFA devices
# (as in AWS's "manage your own MFA device" example policy).
USER_ANY_RESOURCE_ACTIONS = (
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
    "sts:GetSessionToken",
    "iam:ChangePassword",  # acts on the caller only, whatever the Resource says
    "iam:GetAccountPasswordPolicy",
    "iam:ListVirtualMFADevices",
    "iam:*VirtualMFADevice",  # CreateVirtualMFADevice, DeleteVirtualMFADevice
)
# Actions a user may hold only on its own user (`user/${aws:username}` or its own ARN): on `*`
# they would let it read or disable other users' MFA.
USER_OWN_ACTIONS = (
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:DeactivateMFADevice",
)

# --- privilege -----------------------------------------------------------------------------

ADMINISTRATOR = "administrator"
POWER_USER = "power user"
IAM_ADMINISTRATOR = "IAM administrator"
POWER_USER_SERVICES = ("ec2", "s3", "lambda", "rds", "dynamodb", "cloudformation", "ssm", "secretsmanager")
IAM_CHANGE_ACTIONS = (
    "iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy",
    "iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:AttachGroupPolicy",
    "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
    "iam:UpdateAssumeRolePolicy", "iam:PassRole", "iam:AddUserToGroup",
)

# AWS-managed policies a template can only name (their documents are not in the file): the ones
# that decide privilege or a user's self-service, as AWS publishes them. Live scans read the real documents instead.
_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
KNOWN_AWS_POLICIES: Mapping[str, Mapping[str, Any]] = {
    "AdministratorAccess": {"Version": "2012-10-17", "Statement": [_ALL]},
    "PowerUserAccess": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": [
            "account:GetAccountInformation", "account:GetPrimaryEmail", "account:ListRegions",
            "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
            "organizations:DescribeOrganization"], "Resource": "*"},
    ]},
    "IAMUserChangePassword": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"},
    ]},
    "IAMFullAccess": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount",
                                       "organizations:DescribeOrganization",
                                       "organizations:DescribeOrganizationalUnit",
                                       "organizations:DescribePolicy",
                                       "organizations:ListChildren", "organizations:ListParents",
                                       "organizations:ListPoliciesForTarget", "organizations:ListRoots",
                                       "organizations:ListPolicies", "organizations:ListTargetsForPolicy"],
         "Resource": "*"},
    ]},
}


# --- documents ------------------------------------------------------------------------------


def _known_aws_policy(arn: Any) -> str | None:
    if not isinstance(arn, str) or ":iam::aws:policy/" not in arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    return name if arn.endswith(f":iam::aws:policy/{name}") and name in KNOWN_AWS_POLICIES else None


def policies_of(r: Resource, inventory: Inventory) -> list[tuple[str, Any]]:
    """`principal_policies`, with the documents of well-known AWS-managed policies filled in where
    a template only names them (so that `AdministratorAccess` in a template is not UNKNOWN)."""
    docs = principal_policies(r, inventory)
    if r.is_live:
        return docs
    known: dict[str, Any] = {}

    def note(p: Resource, prefix: str) -> None:
        for arn in as_list(p.get_raw("ManagedPolicyArns")):
            name = _known_aws_policy(arn)
            if name:
                known[f"{prefix}managed:{name}"] = KNOWN_AWS_POLICIES[name]

    note(r, "")
    if r.type == USER:
        for g in as_list(r.get_raw("Groups")):
            group = _find(inventory, GROUP, g)
            if group is not None:
                note(group, f"group:{group.display_name}/")
    return [(s, known.get(s, d) if isinstance(d, Unknown) else d) for s, d in docs]


@dataclass
class Parsed:
    """Documents that could be parsed, and the first reason why another could not."""

    docs: list[pol.PolicyDocument] = field(default_factory=list)
    problem: str | None = None

    def note(self, problem: str) -> None:
        self.problem = self.problem or problem


def parse_all(docs: Iterable[tuple[str, Any]]) -> Parsed:
    out = Parsed()
    for source, raw in docs:
        try:
            out.docs.append(pol.parse(raw, source))
        except pol.PolicyError as exc:
            out.note(f"policy {source!r} cannot be analysed: {exc}")
        except UnknownValue as exc:
            out.note(f"policy {source!r} is unknown: {exc.unknown.reason}")
    return out


# --- privilege ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Privilege:
    """How privileged a set of policy documents is: `level` None means none of the levels, and is
    certain only when `problem` is None."""

    level: str | None
    grant: str = ""
    statements: tuple[pol.Statement, ...] = ()
    conditional: bool = False
    problem: str | None = None

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"privilege": self.level, "grant": self.grant,
                               "statements": [s.to_evidence() for s in self.statements[:MAX_EVIDENCE]]}
        if self.conditional:
            out["conditional"] = True
        return out


def privilege(docs: Iterable[tuple[str, Any]] | Parsed) -> Privilege:
    """The highest privilege level the documents grant (see the module docstring). When no level
    is granted by the documents that could be read, `problem` says what could not be."""
    parsed = docs if isinstance(docs, Parsed) else parse_all(docs)
    problem = parsed.problem

    def access(action: str, *, strict: bool = False) -> pol.Access | None:
        """The grant of `action` on every resource. `strict`: any overlapping Deny cancels it
        (administrator means everything); otherwise only a Deny of all of it does (a power user
        denied ec2:TerminateInstances is still a power user)."""
        nonlocal problem
        try:
            a = pol.evaluate(parsed.docs, action, "*")
            if strict:
                return a if a.possibly_allowed else None
            if not a.allows:
                return None
            if any(not d.conditional and d.covers_action(action) and d.covers_resource("*") for d in a.denies):
                return None
            return a
        except UnknownValue as exc:
            problem = problem or f"{exc.path} is unknown ({exc.unknown.reason})"
            return None

    def found(level: str, grant: str, hits: list[pol.Access]) -> Privilege:
        seen: dict[int, pol.Statement] = {}
        for a in hits:
            for s in a.allows:
                seen.setdefault(id(s), s)
        conditional = any(all(s.conditional for s in a.allows) for a in hits)
        return Privilege(level, grant, tuple(seen.values()), conditional)

    admin = access("*", strict=True)
    if admin is not None:
        return found(ADMINISTRATOR, "*:*", [admin])
    power: list[pol.Access] = []
    for service in POWER_USER_SERVICES:
        a = access(f"{service}:*")
        if a is None:
            break
        power.append(a)
    if len(power) == len(POWER_USER_SERVICES):
        return found(POWER_USER, ", ".join(f"{s}:*" for s in POWER_USER_SERVICES), power)
    for action in IAM_CHANGE_ACTIONS:
        a = access(action)
        if a is not None:
            return found(IAM_ADMINISTRATOR, f"{action} on *", [a])
    return Privilege(None, problem=problem)


def _privilege_verdict_unknown(p: Privilege, what: str) -> Verdict:
    return unknown(f"cannot tell whether {what} is privileged: {p.problem}")


# --- users hold nothing but role assumption ---------------------------------------------------


def _own_resource(pattern: str, r: Resource) -> bool:
    """Does a Resource pattern name only user `r` itself?"""
    if ":user/" in pattern and pattern.endswith("/${aws:username}"):
        return True
    names = {n for n in (r.arn, r.id) if n}
    if pattern in names:
        return True
    user_name = r.get_raw("UserName") or r.name
    return isinstance(user_name, str) and ":user/" in pattern and pattern.endswith(f"/{user_name}") \
        and "*" not in pattern and "?" not in pattern


def _extra_actions(st: pol.Statement, r: Resource) -> list[str]:
    """The action patterns of Allow statement `st` that go beyond what a user may hold."""
    if st.actions is None:
        return [f"NotAction {[str(a) for a in st.not_actions or ()]}"]
    out: list[str] = []
    for p in st.actions:
        p = require(p, "Action")
        if any(pol.action_covers(a, p) for a in USER_ANY_RESOURCE_ACTIONS):
            continue
        if any(pol.action_covers(a, p) for a in USER_OWN_ACTIONS):
            if st.resources is not None and all(_own_resource(require(q, "Resource"), r) for q in st.resources):
                continue
            out.append(f"{p} (on resources other than the user itself)")
            continue
        out.append(p)
    return out


def _denied(action: str, st: pol.Statement, denies: Sequence[pol.Statement]) -> bool:
    """Does an unconditional Deny cancel `action` on every resource the Allow `st` names?"""
    resources = [str(q) for q in st.resources or ()] if st.resources is not None else ["*"]
    for d in denies:
        try:
            if d.covers_action(action) and all(d.covers_resource(q) for q in resources):
                return True
        except UnknownValue:
            continue
    return False


@control(
    "iam.user-only-assume-role",
    title="IAM users hold no permission beyond assuming roles (and managing their own MFA and password)",
    resource=USER,
    severity=Severity.MEDIUM,
    fix="Move the user's permissions to roles it assumes; leave it only sts:AssumeRole and self-service MFA/password.",
    reads=[GROUP, MANAGED_POLICY],
)
def user_only_assume_role(r: Resource, ctx: Context) -> Verdict:
    """Through its inline, attached and group policies a user may hold only `sts:AssumeRole`,
    `sts:GetCallerIdentity`, `sts:GetSessionToken`, `iam:ChangePassword`,
    `iam:GetAccountPasswordPolicy`, `iam:ListVirtualMFADevices` and `iam:*VirtualMFADevice` on any
    resource, and `iam:GetUser`, `iam:ListMFADevices`, `iam:EnableMFADevice`,
    `iam:ResyncMFADevice`, `iam:DeactivateMFADevice` on its own user only
    (`arn:aws:iam::*:user/${aws:username}` or its ARN). Anything else, or any `NotAction` Allow,
    fails unless an unconditional explicit Deny cancels it on every resource it is granted on."""
    parsed = parse_all(policies_of(r, ctx.inventory))
    denies = [s for d in parsed.docs for s in d.statements
              if not isinstance(s.effect, Unknown) and s.is_deny and not s.conditional]
    extras: list[dict[str, Any]] = []
    pending: str | None = parsed.problem
    for doc in parsed.docs:
        for i, st in enumerate(doc.statements):
            try:
                if not st.is_allow:
                    continue
                for action in _extra_actions(st, r):
                    bare = "*" if action.startswith("NotAction") else action.split(" ", 1)[0]
                    if _denied(bare, st, denies):
                        continue
                    extras.append({"action": action, "policy": doc.source, "statement": st.sid or f"#{i}",
                                   **({"conditional": True} if st.conditional else {})})
            except UnknownValue as exc:
                pending = pending or f"policy {doc.source!r}: {exc.path} is unknown ({exc.unknown.reason})"
    if extras:
        shown = ", ".join(f"{e['action']} ({e['policy']})" for e in extras[:3])
        return failed(f"the user holds {len(extras)} permission(s) beyond assuming roles: {shown}",
                      extra_actions=extras[:MAX_EVIDENCE], count=len(extras))
    if pending is not None:
        return unknown(pending)
    return passed("the user holds nothing beyond assuming roles and self-service MFA/password",
                  policies=[d.source for d in parsed.docs])


# --- inline policies --------------------------------------------------------------------------


def _inline_names(r: Resource, ctx: Context, list_key: str, single_key: str, own_type: str) -> list[str]:
    names = []
    for p in as_list(r.get("Policies")):
        p = require(p, "Policies[]")
        name = p.get("PolicyName") if isinstance(p, Mapping) else None
        names.append(name if isinstance(name, str) else "?")
    if not r.is_live:  # templates: standalone inline policies naming the principal
        for p in ctx.inventory.of_type(INLINE_POLICY):
            if p.origin.file and any(refers_to(v, r) for v in as_list(p.get_raw(list_key))):
                names.append(f"{INLINE_POLICY}:{p.display_name}")
        for p in ctx.inventory.of_type(own_type):
            if p.origin.file and refers_to(p.get_raw(single_key), r):
                names.append(f"{own_type}:{p.display_name}")
    return names


@control(
    "iam.user-inline-policies",
    title="IAM users have no inline policies",
    resource=USER,
    severity=Severity.LOW,
    fix="Replace the user's inline policies with managed policies on a group or, better, a role it assumes.",
)
def user_inline_policies(r: Resource, ctx: Context) -> Verdict:
    """Inline policies cannot be reviewed, versioned or reused; in templates `AWS::IAM::Policy`
    (`Users`) and `AWS::IAM::UserPolicy` (`UserName`) create inline policies too."""
    names = _inline_names(r, ctx, "Users", "UserName", USER_POLICY)
    if names:
        return failed(f"the user has {len(names)} inline polic{'y' if len(names) == 1 else 'ies'}", policies=names)
    return passed("the user has no inline policy")


@control(
    "iam.role-inline-policies",
    title="IAM roles have no inline policies",
    resource=ROLE,
    severity=Severity.LOW,
    fix="Replace the role's inline policies with customer-managed policies attached to it.",
)
def role_inline_policies(r: Resource, ctx: Context) -> Verdict:
    """As for users: `Policies`, and in templates `AWS::IAM::Policy` (`Roles`) and
    `AWS::IAM::RolePolicy` (`RoleName`)."""
    names = _inline_names(r, ctx, "Roles", "RoleName", ROLE_POLICY)
    if names:
        return failed(f"the role has {len(names)} inline polic{'y' if len(names) == 1 else 'ies'}", policies=names)
    return passed("the role has no inline policy")


# --- console access ---------------------------------------------------------------------------


def _has_console_password(r: Resource) -> bool:
    if r.is_live:
        return bool(r.fact("password_enabled"))
    return r.get("LoginProfile") is not None


@control(
    "iam.console-access-restricted",
    title="Console access is restricted to the configured administrators",
    resource=USER,
    severity=Severity.MEDIUM,
    fix="Remove the user's console password (delete its login profile), or add it to baseline.console_admins.",
    params={"admins": []},
)
def console_access_restricted(r: Resource, ctx: Context) -> Verdict:
    """A user with a console password (live: the credential report; template: `LoginProfile`)
    must be in `admins` (user names or ARNs, compared case-insensitively as IAM does). With no list
    configured the check needs a person: MANUAL for users with a console password."""
    if not _has_console_password(r):
        return passed("the user has no console password")
    admins = {str(a).casefold() for a in as_list(ctx.params.get("admins")) if a}
    if not admins:
        return Verdict(Result.MANUAL, "no list of console administrators configured (baseline.console_admins)")
    user_name = r.get_raw("UserName")
    names = {str(n).casefold() for n in (user_name, r.name, r.arn) if isinstance(n, str) and n}
    if not r.is_live and not isinstance(user_name, str):
        names.add(r.id.casefold())
    if names & admins:
        return passed("the user has a console password and is a configured administrator")
    return failed("the user has a console password and is not in the list of console administrators",
                  user=r.display_name, console_admins=sorted(admins))


# --- privileged roles require MFA in their trust policy ---------------------------------------


def _aws_principals(st: pol.Statement) -> list[str]:
    """The `AWS` principals (accounts, users, roles, `*`) a trust statement names; Service and
    Federated principals are not IAM principals of an account."""
    if st.not_principal is not None:
        return ["NotPrincipal (everyone but the listed principals)"]
    p = require(st.principal, "Principal")
    if p is None:
        return []
    if isinstance(p, str):
        return [p]
    if not isinstance(p, Mapping):
        raise pol.PolicyError("Principal is neither a string nor an object")
    out = []
    for kind, vals in p.items():
        if str(kind) != "AWS":
            continue
        for v in as_list(vals):
            out.append(f"<unknown: {v.reason}>" if isinstance(v, Unknown) else str(v))
    return out


def _denies_without_mfa(st: pol.Statement) -> bool:
    """A Deny of sts:AssumeRole to everyone when `BoolIfExists aws:MultiFactorAuthPresent false`:
    that also refuses long-term keys, so it requires MFA for every caller."""
    if not st.is_deny or not st.overlaps_action("sts:AssumeRole"):
        return False
    if _aws_principals(st) != ["*"]:
        return False
    values = pol.condition_values(st, "BoolIfExists", "aws:MultiFactorAuthPresent")
    return any(v.lower() == "false" for v in values) and len(st.condition) == 1


def _trust(trust: pol.PolicyDocument) -> tuple[list[str], list[pol.Statement], bool]:
    """(AWS principals that may assume the role, the Allow statements naming them without MFA,
    whether a Deny refuses every caller without MFA)."""
    open_: list[pol.Statement] = []
    principals: list[str] = []
    mfa_deny = False
    for st in trust.statements:
        if st.is_deny:
            mfa_deny = mfa_deny or _denies_without_mfa(st)
            continue
        if not st.overlaps_action("sts:AssumeRole"):
            continue
        names = _aws_principals(st)
        if not names:
            continue
        principals += names
        if not pol.requires_mfa(st):
            open_.append(st)
    return principals, open_, mfa_deny


@control(
    "iam.privileged-role-trust-mfa",
    title="Privileged roles that IAM principals or other accounts can assume require MFA in their trust policy",
    resource=ROLE,
    severity=Severity.HIGH,
    fix="Add Condition Bool aws:MultiFactorAuthPresent true to the trust policy's AWS-principal statements.",
    reads=[MANAGED_POLICY],
)
def privileged_role_trust_mfa(r: Resource, ctx: Context) -> Verdict | None:
    """A role that is an administrator, a power user or an IAM administrator (`privilege()`) and
    that AWS principals (an account, its root, users, roles, `*`) may assume must require MFA for
    each of them: `Bool aws:MultiFactorAuthPresent true` (or `aws:MultiFactorAuthAge` below a
    bound) on every Allow statement naming an AWS principal, or a Deny of everyone under
    `BoolIfExists aws:MultiFactorAuthPresent false`. `BoolIfExists ... true` on an Allow does not
    count (it lets long-term keys through). Roles only services or SAML/OIDC providers can assume
    are out of scope. An administrator role whose trust requires MFA passes."""
    try:
        principals, open_, mfa_deny = _trust(pol.parse(r.get("AssumeRolePolicyDocument"), "trust policy"))
    except pol.PolicyError as exc:
        return unknown(f"the trust policy cannot be analysed: {exc}")
    if not principals:
        return None  # services, SAML or OIDC only
    if not open_ or mfa_deny:
        return passed("every AWS principal must use MFA to assume the role", principals=principals)
    p = privilege(policies_of(r, ctx.inventory))
    if p.level is None:
        if p.problem is not None:
            return _privilege_verdict_unknown(p, "the role")
        return passed("the role is assumable without MFA but is not privileged", principals=principals)
    without = sorted({n for st in open_ for n in _aws_principals(st)})
    return failed(f"{p.level} role assumable without MFA by {', '.join(without[:3])}",
                  principals_without_mfa=without, trust_statements=[s.to_evidence() for s in open_],
                  **p.evidence())


# --- unused access keys -----------------------------------------------------------------------


@control(
    "iam.access-key-unused",
    title="Access keys unused for N days (default 90) are removed",
    resource=USER,
    severity=Severity.MEDIUM,
    fix="Deactivate and delete access keys that have not been used for the configured number of days.",
    params={"days": 90},
    places=(LIVE,),
    remediation="iam.deactivate-access-key",
)
def access_key_unused(r: Resource, ctx: Context) -> Verdict:
    """An active key last used `days` or more ago, or never used and created (last rotated)
    `days` or more ago, fails; a never-used key younger than that passes (it may be new)."""
    days = int(ctx.params["days"])
    stale = []
    for k in r.fact("access_keys") or []:
        if not k.get("active"):
            continue
        used = k.get("last_used")
        since = used or k.get("last_rotated") or r.fact("user_creation_time")
        if since is None:
            continue
        age = (ctx.now - since).days
        if age >= days:
            stale.append({"slot": k.get("slot"), "last_used": _iso(used), "last_rotated": _iso(k.get("last_rotated")),
                          "days": age, "never_used": used is None})
    if stale:
        return failed(f"{len(stale)} active access key(s) unused for {days}+ days", access_keys=stale)
    return passed(f"no active access key unused for {days} days")


# --- dangerous policy patterns ----------------------------------------------------------------


def _dangers(st: pol.Statement) -> list[str]:
    """The dangerous patterns of one statement (`*:*` is iam.policy-full-admin's, not repeated)."""
    if not st.is_allow:
        return []
    if st.covers_action("*") and st.covers_resource("*"):
        return []
    out = []
    if st.not_actions is not None:
        out.append("Allow with NotAction")
    if st.not_resources is not None:
        out.append("Allow with NotResource")
    if st.covers_action("iam:PassRole") and st.covers_resource("*"):
        out.append("iam:PassRole on *")
    if st.covers_action("sts:AssumeRole") and st.covers_resource("*"):
        out.append("sts:AssumeRole on *")
    return out


def _danger_verdict(docs: Iterable[tuple[str, Any]], what: str) -> Verdict:
    parsed = parse_all(docs)
    found: list[dict[str, Any]] = []
    pending = parsed.problem
    for doc in parsed.docs:
        for i, st in enumerate(doc.statements):
            try:
                patterns = _dangers(st)
            except UnknownValue as exc:
                pending = pending or f"policy {doc.source!r}: {exc.path} is unknown ({exc.unknown.reason})"
                continue
            if patterns:
                found.append({"policy": doc.source, "statement": st.sid or f"#{i}", "patterns": patterns,
                              "Statement": st.to_evidence()})
    if found:
        kinds = sorted({p for f in found for p in f["patterns"]})
        return failed(f"{what} allows {', '.join(kinds)}", statements=found[:MAX_EVIDENCE], count=len(found))
    if pending is not None:
        return unknown(pending)
    return passed(f"{what} allows no iam:PassRole or sts:AssumeRole on *, NotAction or NotResource")


@control(
    "iam.policy-dangerous-permissions",
    title="No policy allows iam:PassRole or sts:AssumeRole on *, or Allow with NotAction or NotResource",
    resource=[MANAGED_POLICY, *STANDALONE_POLICIES, *PRINCIPALS],
    severity=Severity.HIGH,
    fix="Name the roles that may be passed or assumed, and list actions and resources instead of excluding them.",
)
def policy_dangerous_permissions(r: Resource) -> Verdict | None:
    """Customer-managed policies (AWS-managed ones are out of scope: they cannot be changed) and
    inline policies, in principals' `Policies` or as template policy resources. Evidence names each
    statement (Sid, or `#index`) and its patterns. Live customer-managed policies attached to
    nothing pass (they grant nothing), as in iam.policy-full-admin."""
    return judge_policies(r, _danger_verdict)


def judge_policies(r: Resource, judge: Callable[[Iterable[tuple[str, Any]], str], Verdict]) -> Verdict | None:
    """`judge(documents, what)` over the policies a policy control owns on `r`: a principal's inline
    policies, a template policy resource, or a customer-managed policy (AWS-managed ones are out of
    scope; a live one attached to nothing passes, with the finding as its reason)."""
    if r.type in PRINCIPALS:
        docs = []
        for p in as_list(r.get("Policies")):
            p = require(p, "Policies[]")
            name = p.get("PolicyName")
            docs.append((f"inline:{name if isinstance(name, str) else '?'}", p.get("PolicyDocument")))
        if not docs:
            return passed("no inline policy")
        return judge(docs, "an inline policy")
    if r.type == MANAGED_POLICY and r.is_live and r.fact("aws_managed", False):
        return None
    verdict = judge([(r.display_name, r.get_raw("PolicyDocument"))], "the policy")
    if r.type == MANAGED_POLICY and r.is_live and verdict.result == Result.FAIL and not r.fact("attachment_count", 0):
        return passed(f"{verdict.reason}, but is not attached to anything", attachment_count=0)
    return verdict


# --- privileged instance roles ----------------------------------------------------------------


def _profile_name(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def _instance_profile_ref(r: Resource, ctx: Context) -> str | None:
    """The instance's profile: its own `IamInstanceProfile`, or its launch template's (templates).
    Raises UnknownValue when it cannot be resolved."""
    if r.is_live:
        arn = r.live.get("instance_profile_arn")
        if isinstance(arn, str) and arn:
            return arn
    value = r.get("IamInstanceProfile")
    if isinstance(value, Mapping):
        value = require(value.get("Arn"), "IamInstanceProfile.Arn") or require(value.get("Name"), "IamInstanceProfile.Name")
    if value:
        return str(value)
    if r.is_live:
        return None
    ref = r.get("LaunchTemplate")
    if not ref:
        return None
    keys = [ref.get("LaunchTemplateId"), ref.get("LaunchTemplateName")] if isinstance(ref, Mapping) else [ref]
    keys = [require(k, "LaunchTemplate") for k in keys if k is not None]
    for lt in ctx.inventory.of_type(LAUNCH_TEMPLATE):
        if any(refers_to(k, lt) or lt.get_raw("LaunchTemplateName") == k for k in keys):
            data = lt.get("LaunchTemplateData.IamInstanceProfile")
            if isinstance(data, Mapping):
                data = require(data.get("Arn"), "IamInstanceProfile.Arn") or require(data.get("Name"), "IamInstanceProfile.Name")
            return str(data) if data else None
    raise UnknownValue("LaunchTemplate", Unknown(f"launch template {keys[0] if keys else '?'} is not in the scanned files"))


def _profile_roles(r: Resource, profile: str, ctx: Context) -> list[Resource] | Verdict:
    """The roles of instance profile `profile` (ARN or name)."""
    if r.is_live:
        name = _profile_name(profile)
        roles = []
        for role in ctx.inventory.of_type(ROLE, account=r.account):
            arns = role.fact("instance_profiles") or []
            if profile in arns or any(_profile_name(a) == name for a in arns):
                roles.append(role)
        return roles
    prof = _find(ctx.inventory, INSTANCE_PROFILE, profile) or _find(ctx.inventory, INSTANCE_PROFILE, _profile_name(profile))
    if prof is None:
        return unknown(f"instance profile {profile} is not defined in the scanned files")
    out = []
    for ref in as_list(prof.get("Roles")):
        ref = require(ref, "InstanceProfile.Roles[]")
        found = _find(ctx.inventory, ROLE, ref)
        if found is None:
            return unknown(f"role {ref} of instance profile {prof.display_name} is not defined in the scanned files")
        out.append(found)
    return out


@control(
    "iam.instance-role-privileged",
    title="No instance profile role allows power-user access or more",
    resource=INSTANCE,
    severity=Severity.HIGH,
    fix="Give the instance a role with only the actions its workload needs (no *:*, NotAction or IAM changes).",
    reads=[ROLE, MANAGED_POLICY],
)
def instance_role_privileged(r: Resource, ctx: Context) -> Verdict | None:
    """The role of the instance's profile must not be privileged (`privilege()`: administrator,
    power user or IAM administrator): anyone on the instance, or any SSRF through it, holds the
    role. Live: the instance's profile ARN and the roles' `instance_profiles`. Templates:
    `IamInstanceProfile` (or the launch template's) -> `AWS::IAM::InstanceProfile.Roles` ->
    `AWS::IAM::Role` in the same files; what does not resolve is UNKNOWN."""
    state = r.live.get("state") if r.is_live else None
    if isinstance(state, str) and state.lower() in ("terminated", "shutting-down"):
        return None
    profile = _instance_profile_ref(r, ctx)
    if not profile:
        return passed("the instance has no instance profile")
    roles = _profile_roles(r, profile, ctx)
    if isinstance(roles, Verdict):
        return roles
    if not roles:
        return passed(f"instance profile {_profile_name(profile)} has no role", instance_profile=profile)
    problem: Privilege | None = None
    for role in roles:
        p = privilege(policies_of(role, ctx.inventory))
        if p.level is not None:
            return failed(f"instance {r.display_name} runs with {p.level} role {role.display_name}",
                          instance=r.display_name, role=role.display_name, instance_profile=profile, **p.evidence())
        if p.problem is not None:
            problem = problem or Privilege(None, problem=f"role {role.display_name}: {p.problem}")
    if problem is not None:
        return _privilege_verdict_unknown(problem, "the instance role")
    return passed(f"instance role {', '.join(x.display_name for x in roles)} is not privileged",
                  instance_profile=profile, roles=[x.display_name for x in roles])


# --- password expiry --------------------------------------------------------------------------


@control(
    "iam.password-expiry",
    title="The IAM password policy expires passwords as configured",
    resource=pseudo.PASSWORD_POLICY,
    severity=Severity.LOW,
    fix="Set the account password policy's maximum password age to the configured number of days or less.",
    params={"max_age_days": None},
    remediation="iam.password-policy",
)
def password_expiry(r: Resource, ctx: Context) -> Verdict:
    """`max_age_days` None (the default: current NIST guidance does not ask for expiry) passes;
    otherwise MaxPasswordAge must be set and at most `max_age_days`. No password policy at all
    (live) means passwords never expire."""
    want = ctx.params.get("max_age_days")
    if want is None:
        return passed("no expiry required by configuration")
    want = int(want)
    exists, raw = _policy_value(r, "MaxPasswordAge")
    if not exists:
        return failed(f"the account has no password policy, so passwords never expire (want <= {want} days)",
                      MaxPasswordAge=None)
    age = _int(raw)
    if not age or age > want:
        return failed(f"maximum password age is {age if age else 'not set'} (want <= {want} days)", MaxPasswordAge=age)
    return passed(f"passwords expire after {age} days", MaxPasswordAge=age)

