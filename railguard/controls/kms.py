"""KMS: customer-managed keys rotate, and no key policy hands `kms:*` to everyone."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from typing import Any

from railguard.controls import Context, control
from railguard.controls.helpers import all_of, any_known, as_list, truthy
from railguard.model import (
    Resource,
    Severity,
    Unknown,
    UnknownValue,
    Verdict,
    failed,
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
    remediation="kms.enable-rotation",
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


# The CloudFormation resolver (railguard/sources/cloudformation/resolve.py) says in an Unknown's
# reason what it could not resolve: an unresolved `!Sub` starts with its template (cut to 80
# characters), an unresolved pseudo parameter with its name.
_SUB_REASON = re.compile(r"""^Fn::Sub (?P<literal>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"): """)
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
# Pseudo parameters whose value is never empty and never "*" (an account id is 12 digits).
_NEVER_STAR_PSEUDO = ("AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::StackId",
                      "AWS::Partition", "AWS::URLSuffix")


def cannot_be_star(value: Any) -> bool:
    """Is this principal value certainly not the wildcard `*`?

    A known value is compared. An `Unknown` could in general be anything, `*` included; the
    exceptions are an unresolved pseudo parameter that is never `*` (`!Ref AWS::AccountId`) and an
    unresolved `!Sub` whose template shows that the result is not `*` whatever its unknown parts
    are: literal text besides the `${...}` (an ARN such as
    `arn:${AWS::Partition}:iam::${AWS::AccountId}:root`), or only such pseudo parameters. Any other
    unknown (a parameter without a default, a `!Join`, a Terraform data source) may be `*`.
    """
    if not isinstance(value, Unknown):
        return value != "*"
    if value.reason.startswith(tuple(f"{p} is only known at deployment" for p in _NEVER_STAR_PSEUDO)):
        return True
    sub = unresolved_sub(value)
    if sub is None:
        return False
    template, _ = sub
    names = [n.strip() for n in _SUB_VAR.findall(template)]
    literal = _SUB_VAR.sub(lambda v: _escaped(v) or "", template)
    if literal not in ("", "*"):
        return True  # the result contains this text: it is not "*"
    return literal == "" and bool(names) and all(n in _NEVER_STAR_PSEUDO for n in names)


def unresolved_sub(value: Unknown) -> tuple[str, bool] | None:
    """The template of an unresolved CloudFormation `!Sub` (as far as its reason shows it) and
    whether it was cut short; None for any other unknown."""
    m = _SUB_REASON.match(value.reason)
    if m is None:
        return None
    try:
        template = ast.literal_eval(m.group("literal"))
    except (ValueError, SyntaxError):
        return None
    if not isinstance(template, str):
        return None
    cut = len(template) >= 80
    start = template.rfind("${")
    if start != -1 and "}" not in template[start:]:
        template, cut = template[:start], True  # a `${...` cut off at 80 characters
    return template, cut


def _escaped(var: re.Match[str]) -> str | None:
    """`${!Name}` is the literal text `${Name}` in a `!Sub`."""
    return "${" + var.group(1)[1:] + "}" if var.group(1).startswith("!") else None






def _principal_is_everyone(principal: Any) -> bool:
    """`*`, or `{"AWS": [..., "*"]}`; an unknown principal that cannot be `*` is not everyone."""
    if isinstance(principal, Mapping):
        principal = principal.get("AWS")
    values = as_list(principal)
    if any(v == "*" for v in values):
        return True
    pending = next((v for v in values if isinstance(v, Unknown) and not cannot_be_star(v)), None)
    if pending is not None:
        raise UnknownValue("Principal", pending)
    return False


def _grants_kms_all(actions: Any) -> bool:
    return any_known(actions, "Action", lambda a: str(a).lower() in ("kms:*", "*"))


def _no_condition(st: Mapping[str, Any]) -> bool:
    """A stated Condition limits the grant whatever its values; an unknown one may be absent."""
    return not require(st.get("Condition"), "Condition")


def _everyone_kms_all(st: Any) -> bool:
    """Does this statement allow kms:* to every principal without a condition? Any one part known
    to be otherwise (a Deny, a named principal, other actions, a condition) settles it: No."""
    st = require(st, "Statement")
    if not isinstance(st, Mapping):
        return False
    return all_of(
        lambda: require(st.get("Effect"), "Effect") == "Allow",
        lambda: _no_condition(st),
        lambda: _principal_is_everyone(st.get("Principal")),
        lambda: _grants_kms_all(st.get("Action")),
    )


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
    """An Allow of `kms:*` (or `*`) to Principal `*` without a Condition fails. Each statement is
    judged on its own: one known to open the key fails it whatever the others hold, and an
    unresolved value only makes the answer UNKNOWN where it could open the key (a principal that
    may be `*`; an ARN whose account is unresolved cannot be)."""
    policy = key.get("KeyPolicy")
    if isinstance(policy, str):
        policy = json.loads(policy)
    if policy is None:
        return passed("no key policy declared: the default policy grants only the account")
    if not isinstance(policy, Mapping):
        return failed("key policy is not a JSON object", KeyPolicy=str(policy)[:80])
    offending = []
    pending: UnknownValue | None = None
    statements = require(policy.get("Statement"), "KeyPolicy.Statement")
    for i, st in enumerate(as_list(statements)):
        try:
            if _everyone_kms_all(st):
                sid = st.get("Sid")
                offending.append(sid if isinstance(sid, str) and sid else "(no Sid)")
        except UnknownValue as exc:
            pending = pending or UnknownValue(f"KeyPolicy.Statement.{i}.{exc.path}", exc.unknown)
    if offending:  # a statement known to open the key fails it, whatever the unknown ones say
        return failed("key policy allows kms:* to Principal '*' without a condition", statements=offending)
    if pending is not None:
        raise pending
    return passed("no statement grants kms:* to everyone without a condition")


@control(
    "kms.key-policy-exposed",
    title="KMS key policy does not grant everyone or accounts outside the owned accounts",
    resource=KEY,
    reads=[KEY_POLICY],
    severity=Severity.HIGH,
    params={"owned_accounts": [], "trusted_cidrs": []},
    fix="Name the principals in the key policy, or restrict the '*' statement with kms:CallerAccount or aws:PrincipalOrgID",
    places=("live", "iac"),
)
def key_policy_exposed(key: Resource, ctx: Context) -> Verdict:
    """Any action (not only kms:*) to everyone without a restricting condition, or to an account
    outside `owned_accounts` (see `policy.exposure`). A template key without KeyPolicy gets the
    default policy, which grants only its own account."""
    from railguard.controls.policy import exposure_verdict  # policy imports this module

    policy = key.get_raw("KeyPolicy")
    return exposure_verdict(key, ctx, [("key policy", policy)], "the key policy")
