"""IAM policy-document analysis: pure helpers that controls build on. No I/O.

What it understands, and why it is careful:

- Documents arrive as dicts (boto3 decodes most), JSON strings, or URL-encoded JSON strings
  (what the raw IAM API returns, and what some tools store). `parse` accepts all three.
- `Statement` may be one object or a list; `Action`/`NotAction`, `Resource`/`NotResource` may be a
  string or a list. Wildcards `*` and `?` work in actions (case-insensitive, as IAM matches
  them) and resources (case-sensitive); policy variables such as `${aws:username}` stand for an
  unknown value.
- Questions are asked about *patterns*, not just concrete names: "does this allow `iam:*` on
  `*`?" means "every IAM action on every resource". An Allow answers it only when one of its
  statements covers the whole question; a Deny cancels it as soon as it overlaps the question
  (so an explicit Deny of one action makes "everything" no longer allowed).
- Conditions are not evaluated (they depend on the request): a statement with a `Condition` makes
  the answer CONDITIONAL, never a plain ALLOWED, and a conditional Deny never cancels an Allow.
- A value from a template that could not be resolved (`Unknown`) is kept; a question that depends
  on it raises `UnknownValue`, so a control reports UNKNOWN instead of guessing. A statement that
  decides the question without it still decides it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from railguard.controls.helpers import any_known, refers_to, same_scope
from railguard.controls.kms import cannot_be_star, unresolved_sub
from railguard.model import Resource, Result, Unknown, UnknownValue, Verdict, failed, passed, require, unknown

if TYPE_CHECKING:
    from railguard.controls.registry import Context

ALLOW = "Allow"
DENY = "Deny"
ALL_ACTIONS = "*:*"
ALL_RESOURCES = "arn:*"  # every resource ARN starts with `arn:`; `*` as a query means this


class PolicyError(ValueError):
    """A document that is not a valid IAM policy (not JSON, no statements, bad Effect...)."""


# --- glob patterns --------------------------------------------------------------------------

_STAR = ("*",)  # tokens are 1-tuples so that they never equal a literal character
_QMARK = ("?",)


@lru_cache(maxsize=8192)  # a scan asks for the same few hundred actions and patterns tens of thousands of times
def _tokens(pattern: str, *, fold: bool) -> tuple[Any, ...]:
    """A pattern as tokens: literal characters, `_STAR`, `_QMARK`, or `("var", name)`."""
    text = pattern.lower() if fold else pattern
    out: list[Any] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "$" and text.startswith("${", i):
            end = text.find("}", i + 2)
            if end != -1:
                name = text[i + 2 : end]
                if name in ("*", "?", "$"):
                    out.append(name)  # ${*} ${?} ${$}: the literal character
                else:
                    out.append(("var", name))
                i = end + 1
                continue
        if c == "*":
            if not (out and out[-1] is _STAR):
                out.append(_STAR)
        elif c == "?":
            out.append(_QMARK)
        else:
            out.append(c)
        i += 1
    return tuple(out)


def _is_var(tok: Any) -> bool:
    return isinstance(tok, tuple) and len(tok) == 2 and tok[0] == "var"


def _covers(general: tuple[Any, ...], specific: tuple[Any, ...]) -> bool:
    """Does every string matched by `specific` also match `general`? (sound: never a false yes)"""
    memo: dict[tuple[int, int], bool] = {}

    def go(i: int, j: int) -> bool:
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(general):
            res = j == len(specific)
        elif general[i] is _STAR:
            res = go(i + 1, j) or (j < len(specific) and go(i, j + 1))
        elif j == len(specific):
            res = False
        else:
            g, s = general[i], specific[j]
            if g is _QMARK:
                res = s is not _STAR and not _is_var(s) and go(i + 1, j + 1)
            else:  # a literal (or a variable) covers only itself
                res = g == s and go(i + 1, j + 1)
        memo[key] = res
        return res

    return go(0, 0)


def _overlaps(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Is there a string that both patterns match? (a variable may be anything)"""
    memo: dict[tuple[int, int], bool] = {}

    def wild(tok: Any) -> bool:
        return tok is _STAR or _is_var(tok)

    def go(i: int, j: int) -> bool:
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(a) and j == len(b):
            res = True
        elif i < len(a) and wild(a[i]):
            res = go(i + 1, j) or (j < len(b) and go(i, j + 1))
        elif j < len(b) and wild(b[j]):
            res = go(i, j + 1) or (i < len(a) and go(i + 1, j))
        elif i == len(a) or j == len(b):
            res = False
        else:
            x, y = a[i], b[j]
            res = (x is _QMARK or y is _QMARK or x == y) and go(i + 1, j + 1)
        memo[key] = res
        return res

    return go(0, 0)


@lru_cache(maxsize=16384)  # pure, and asked for the same pairs across every policy of a scan
def action_covers(pattern: str, action: str) -> bool:
    """Does action pattern `pattern` (from a policy) include every action of `action`?"""
    return _covers(_tokens(pattern, fold=True), _tokens(_action_query(action), fold=True))


@lru_cache(maxsize=16384)  # pure, and asked for the same pairs across every policy of a scan
def action_overlaps(pattern: str, action: str) -> bool:
    return _overlaps(_tokens(pattern, fold=True), _tokens(_action_query(action), fold=True))


@lru_cache(maxsize=16384)  # pure, and asked for the same pairs across every policy of a scan
def resource_covers(pattern: str, resource: str) -> bool:
    return _covers(_tokens(pattern, fold=False), _tokens(_resource_query(resource), fold=False))


@lru_cache(maxsize=16384)  # pure, and asked for the same pairs across every policy of a scan
def resource_overlaps(pattern: str, resource: str) -> bool:
    return _overlaps(_tokens(pattern, fold=False), _tokens(_resource_query(resource), fold=False))


def _action_query(action: str) -> str:
    return ALL_ACTIONS if action.strip() == "*" else action.strip()


def _resource_query(resource: str) -> str:
    return ALL_RESOURCES if resource.strip() == "*" else resource.strip()


# --- documents ------------------------------------------------------------------------------

Pattern = str | Unknown


@dataclass(frozen=True)
class Statement:
    """One statement, normalized. Exactly one of `actions`/`not_actions` is set; resources may
    both be None (trust policies name no resource)."""

    effect: str | Unknown
    actions: tuple[Pattern, ...] | None = None
    not_actions: tuple[Pattern, ...] | None = None
    resources: tuple[Pattern, ...] | None = None
    not_resources: tuple[Pattern, ...] | None = None
    principal: Any = None
    not_principal: Any = None
    condition: Mapping[str, Any] = field(default_factory=dict)
    sid: str | None = None
    source: str = ""  # which policy it came from (for evidence)

    @property
    def conditional(self) -> bool:
        return bool(self.condition)

    @property
    def is_allow(self) -> bool:
        return require(self.effect, "Effect") == ALLOW

    @property
    def is_deny(self) -> bool:
        return require(self.effect, "Effect") == DENY

    # "covers": every action/resource of the question; "overlaps": at least one of them.
    def covers_action(self, action: str) -> bool:
        if self.actions is not None:
            return any_known(self.actions, "Action", lambda p: action_covers(p, action))
        assert self.not_actions is not None
        return not any_known(self.not_actions, "NotAction", lambda p: action_overlaps(p, action))

    def overlaps_action(self, action: str) -> bool:
        if self.actions is not None:
            return any_known(self.actions, "Action", lambda p: action_overlaps(p, action))
        assert self.not_actions is not None
        return not any_known(self.not_actions, "NotAction", lambda p: action_covers(p, action))

    def covers_resource(self, resource: str) -> bool:
        if self.resources is not None:
            return any_known(self.resources, "Resource", lambda p: resource_covers(p, resource))
        if self.not_resources is not None:
            return not any_known(self.not_resources, "NotResource", lambda p: resource_overlaps(p, resource))
        return True

    def overlaps_resource(self, resource: str) -> bool:
        if self.resources is not None:
            return any_known(self.resources, "Resource", lambda p: resource_overlaps(p, resource))
        if self.not_resources is not None:
            return not any_known(self.not_resources, "NotResource", lambda p: resource_covers(p, resource))
        return True

    def to_evidence(self) -> dict[str, Any]:
        """The statement as it reads in the policy (for a finding's evidence)."""
        out: dict[str, Any] = {"Effect": _plain(self.effect)}
        if self.sid:
            out["Sid"] = self.sid
        for key, val in (
            ("Action", self.actions), ("NotAction", self.not_actions),
            ("Resource", self.resources), ("NotResource", self.not_resources),
        ):
            if val is not None:
                out[key] = [_plain(v) for v in val]
        if self.condition:
            out["Condition"] = dict(self.condition)
        if self.source:
            out["Policy"] = self.source
        return out


@dataclass(frozen=True)
class PolicyDocument:
    statements: tuple[Statement, ...]
    version: str | None = None
    source: str = ""


def _plain(v: Any) -> Any:
    return f"<unknown: {v.reason}>" if isinstance(v, Unknown) else v


def load_json(raw: Any) -> Mapping[str, Any]:
    """A policy document as a mapping, from a dict, a JSON string or a URL-encoded JSON string."""
    if isinstance(raw, Unknown):
        raise UnknownValue("PolicyDocument", raw)
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        raise PolicyError(f"policy document is a {type(raw).__name__}, not an object")
    text = raw.strip()
    if not text.startswith("{") and "%" in text:
        text = unquote(text).strip()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise PolicyError(f"policy document is not valid JSON: {exc}") from None
    if not isinstance(doc, Mapping):
        raise PolicyError("policy document is not a JSON object")
    return doc


def _strings(value: Any, key: str) -> tuple[Pattern, ...]:
    if isinstance(value, Unknown):
        return (value,)
    items = value if isinstance(value, list | tuple) else [value]
    out: list[Pattern] = []
    for v in items:
        if isinstance(v, Unknown):
            out.append(v)
        elif isinstance(v, str | int | float) and not isinstance(v, bool):
            out.append(str(v))
        else:
            raise PolicyError(f"{key} holds a {type(v).__name__}, expected strings")
    return tuple(out)


def _statement(raw: Any, source: str) -> Statement:
    if isinstance(raw, Unknown):
        raise UnknownValue("Statement", raw)
    if not isinstance(raw, Mapping):
        raise PolicyError("a statement is not an object")
    effect = raw.get("Effect")
    if not isinstance(effect, Unknown):
        if not isinstance(effect, str) or effect.strip().capitalize() not in (ALLOW, DENY):
            raise PolicyError(f"statement Effect must be Allow or Deny, not {effect!r}")
        effect = effect.strip().capitalize()
    has_a, has_na = "Action" in raw, "NotAction" in raw
    if has_a == has_na:
        raise PolicyError("a statement needs exactly one of Action and NotAction")
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError("a statement cannot have both Resource and NotResource")
    condition = raw.get("Condition") or {}
    if isinstance(condition, Unknown):
        condition = {"<unknown>": condition}
    elif not isinstance(condition, Mapping):
        raise PolicyError("statement Condition is not an object")
    sid = raw.get("Sid")
    return Statement(
        effect=effect,
        actions=_strings(raw["Action"], "Action") if has_a else None,
        not_actions=_strings(raw["NotAction"], "NotAction") if has_na else None,
        resources=_strings(raw["Resource"], "Resource") if "Resource" in raw else None,
        not_resources=_strings(raw["NotResource"], "NotResource") if "NotResource" in raw else None,
        principal=raw.get("Principal"),
        not_principal=raw.get("NotPrincipal"),
        condition=condition,
        sid=sid if isinstance(sid, str) else None,
        source=source,
    )


def parse(raw: Any, source: str = "") -> PolicyDocument:
    """Parse a policy document (dict, JSON or URL-encoded JSON). Raises `PolicyError` when it is
    not a policy, `UnknownValue` when the document or its statement list is unresolved."""
    if isinstance(raw, PolicyDocument):
        return raw
    doc = load_json(raw)
    stmts = doc.get("Statement")
    if isinstance(stmts, Unknown):
        raise UnknownValue("PolicyDocument.Statement", stmts)
    if stmts is None:
        raise PolicyError("policy document has no Statement")
    if isinstance(stmts, Mapping):
        stmts = [stmts]
    if not isinstance(stmts, list | tuple):
        raise PolicyError("policy Statement is neither an object nor a list")
    version = doc.get("Version")
    return PolicyDocument(
        statements=tuple(_statement(s, source) for s in stmts),
        version=version if isinstance(version, str) else None,
        source=source,
    )


def _docs(docs: Any) -> list[PolicyDocument]:
    if isinstance(docs, PolicyDocument | Mapping | str | Unknown):
        docs = [docs]
    return [parse(d) for d in docs]


# --- questions ------------------------------------------------------------------------------


class Decision(StrEnum):
    ALLOWED = "allowed"  # an unconditional Allow covers the question and nothing denies any of it
    CONDITIONAL = "conditional"  # allowed only under conditions, or a conditional Deny may cancel it
    DENIED = "denied"  # an unconditional explicit Deny overlaps the question
    IMPLICIT_DENY = "implicit-deny"  # no Allow covers the question


@dataclass(frozen=True)
class Access:
    decision: Decision
    allows: tuple[Statement, ...] = ()
    denies: tuple[Statement, ...] = ()

    @property
    def allowed(self) -> bool:
        """Allowed without conditions."""
        return self.decision == Decision.ALLOWED

    @property
    def possibly_allowed(self) -> bool:
        return self.decision in (Decision.ALLOWED, Decision.CONDITIONAL)


def evaluate(docs: Any, action: str, resource: str = "*") -> Access:
    """May the identity holding `docs` perform every action of `action` on every resource of
    `resource` (`*` = all)? Statements may be spread over several documents (managed, inline,
    group policies: pass them all). Only identity-policy logic: no SCP, boundary or session policy.
    """
    allows: list[Statement] = []
    denies: list[Statement] = []
    unknown_allow: UnknownValue | None = None
    unknown_deny: UnknownValue | None = None
    for doc in _docs(docs):
        for st in doc.statements:
            try:
                if st.is_deny:
                    if st.overlaps_action(action) and st.overlaps_resource(resource):
                        denies.append(st)
                elif st.covers_action(action) and st.covers_resource(resource):
                    allows.append(st)
            except UnknownValue as exc:
                try:
                    is_deny = st.is_deny
                except UnknownValue:
                    is_deny = True  # unknown Effect: it might deny or allow; both block a verdict
                    unknown_allow = unknown_allow or exc
                if is_deny:
                    unknown_deny = unknown_deny or exc
                else:
                    unknown_allow = unknown_allow or exc
    if any(not d.conditional for d in denies):
        return Access(Decision.DENIED, tuple(allows), tuple(denies))
    if not allows:
        if unknown_allow is not None:
            raise unknown_allow
        return Access(Decision.IMPLICIT_DENY, (), tuple(denies))
    if unknown_deny is not None:
        raise unknown_deny
    if denies or all(a.conditional for a in allows):
        return Access(Decision.CONDITIONAL, tuple(allows), tuple(denies))
    return Access(Decision.ALLOWED, tuple(allows), tuple(denies))


def full_admin_statements(docs: Any) -> list[Statement]:
    """Allow statements that grant every action on every resource (`"Action": "*"`, `"Resource":
    "*"`), unless an unconditional Deny of everything in the same documents cancels them.
    Conditions on the Allow do not excuse it: it is still a full-admin grant."""
    parsed = _docs(docs)
    found: list[Statement] = []
    pending: UnknownValue | None = None
    cancelled = False
    for doc in parsed:
        for st in doc.statements:
            try:
                if st.is_allow:
                    if st.covers_action(ALL_ACTIONS) and st.covers_resource(ALL_RESOURCES):
                        found.append(st)
                elif not st.conditional and st.covers_action(ALL_ACTIONS) and st.covers_resource(ALL_RESOURCES):
                    cancelled = True
            except UnknownValue as exc:
                pending = pending or exc
    if found and not cancelled:
        return found
    if pending is not None and not cancelled:
        raise pending
    return []


def is_full_admin(docs: Any) -> bool:
    return bool(full_admin_statements(docs))


def statements_beyond(docs: Any, allowed: Iterable[str]) -> list[Statement]:
    """Allow statements granting some action outside `allowed` patterns (e.g. a user that
    should hold nothing but `sts:AssumeRole`). A `NotAction` Allow is always beyond."""
    allowed = list(allowed)
    out: list[Statement] = []
    for doc in _docs(docs):
        for st in doc.statements:
            if not st.is_allow:
                continue
            if st.actions is None:
                out.append(st)
                continue
            for p in st.actions:
                p = require(p, "Action")
                if not any(action_covers(a, p) for a in allowed):
                    out.append(st)
                    break
    return out


# --- principals and conditions (trust policies) ---------------------------------------------


def principals(st: Statement) -> dict[str, tuple[str, ...]]:
    """`Principal` as {"AWS": (...), "Service": (...), "Federated": (...), ...}; `"*"` is {"AWS": ("*",)}."""
    p = require(st.principal, "Principal")
    if p is None:
        return {}
    if isinstance(p, str):
        return {"AWS": (p,)}
    if not isinstance(p, Mapping):
        raise PolicyError("Principal is neither a string nor an object")
    out: dict[str, tuple[str, ...]] = {}
    for kind, vals in p.items():
        out[str(kind)] = tuple(str(require(v, f"Principal.{kind}")) for v in _strings(vals, f"Principal.{kind}"))
    return out


def condition_values(st: Statement, operator: str, key: str) -> tuple[str, ...]:
    """Values of condition `key` under `operator` (both matched case-insensitively)."""
    for op, block in st.condition.items():
        if op.lower() != operator.lower() or not isinstance(block, Mapping):
            continue
        for k, v in block.items():
            if k.lower() == key.lower():
                vals = [require(x, f"Condition.{op}.{k}") for x in (v if isinstance(v, list | tuple) else [v])]
                return tuple(str(x).lower() if isinstance(x, bool) else str(x) for x in vals)
    return ()


def requires_mfa(st: Statement) -> bool:
    """Does the statement apply only to MFA-authenticated requests?

    `Bool aws:MultiFactorAuthPresent true` or `NumericLessThan(Equals) aws:MultiFactorAuthAge N`.
    `BoolIfExists ... true` does not count: it also matches long-term keys, where the key is absent.
    """
    if any(v.lower() == "true" for v in condition_values(st, "Bool", "aws:MultiFactorAuthPresent")):
        return True
    return any(
        condition_values(st, op, "aws:MultiFactorAuthAge")
        for op in ("NumericLessThan", "NumericLessThanEquals")
    )


# --- resource-policy exposure ---------------------------------------------------------------
#
# Who, outside the owner, may use a resource? A resource policy (bucket, topic, queue, key, function,
# repository, secret, domain) or a role's trust policy *exposes* it when an Allow statement names
# everyone (`"*"`, `{"AWS": "*"}`, or an Allow with `NotPrincipal`) and no condition really narrows
# who that is, or names an account that is neither the resource's own nor one of the owned accounts.
#
# Conditions that narrow "everyone" (each with a positive operator, never `...IfExists` nor
# `ForAllValues:`: a missing key satisfies those, and a request from the internet has no VPC key):
# network origin (`aws:SourceVpce`, `aws:SourceVpc`, `aws:SourceIp` within private or trusted
# ranges), organization (`aws:PrincipalOrgID`, `...OrgPaths`, `aws:SourceOrgID`), the calling
# account or resource (`aws:SourceAccount`, `aws:SourceOwner`, `aws:SourceArn`,
# `aws:PrincipalAccount`, `aws:PrincipalArn`, `kms:CallerAccount`: whose accounts are then judged as
# principals), and AWS services only (`aws:PrincipalIsAWSService`, `aws:PrincipalServiceName`). A
# Deny for everyone unless one of those holds (`StringNotEquals aws:SourceVpce ...`) that covers
# the allowed actions narrows the Allow the same way.

PRIVATE_NETS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
                "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128")

# AWS accounts that deliver logs into customer buckets (Elastic Load Balancing, per region, from
# the ELB access-log documentation): granting them write access is the documented set-up.
AWS_SERVICE_ACCOUNTS = frozenset({
    "127311923021", "033677994240", "027434742980", "797873946194", "098369216593", "985666609251",
    "054676820928", "156460612806", "652711504416", "635631232127", "009996457667", "897822967062",
    "754344448648", "582318560864", "600734575887", "383597477331", "114774131450", "783225319266",
    "718504428378", "076674570225", "507241528517", "048591011584", "190560391635", "638102146993",
    "037604701340",
})

_ORG_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths")
_NET_KEYS = ("aws:sourcevpce", "aws:sourcevpc")
_ACCOUNT_KEYS = ("aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "kms:calleraccount")
_ARN_KEYS = ("aws:sourcearn", "aws:principalarn")
_SERVICE_KEYS = ("aws:principalservicename",)
_POSITIVE = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")
_NEGATIVE = ("stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike")
OWN = "own"  # what an unresolved own-account value (`${AWS::AccountId}`, aws_caller_identity) stands for
_OWN_ACCOUNT_HINTS = ("AWS::AccountId is only known", "data.aws_caller_identity.")


@dataclass(frozen=True)
class Exposure:
    """What a policy opens: statements granting everyone, statements granting accounts outside the
    owned ones, accounts that cannot be judged because no owned list is configured, and the first
    unresolved value that could have opened it further."""

    public: tuple[dict[str, Any], ...] = ()
    external: tuple[dict[str, Any], ...] = ()
    unjudged: tuple[str, ...] = ()
    pending: UnknownValue | None = None


@dataclass
class _Scope:
    account: str | None  # the resource's own account (live), None for templates
    owned: frozenset[str]
    trusted: tuple[Any, ...]  # ip networks

    def outside(self, acct: str) -> bool | None:
        """Is this account outside the owner's? None when it cannot be told (no owned list)."""
        if acct == OWN or acct == self.account or acct in self.owned or acct in AWS_SERVICE_ACCOUNTS:
            return False
        if not self.owned:
            return None
        return True


def _own_account_unknown(value: Unknown) -> bool:
    """An unresolved value that is the deploying account: `!Ref AWS::AccountId`, an ARN built
    with `${AWS::AccountId}` in its account field, Terraform's `aws_caller_identity`."""
    reason = value.reason
    if reason.startswith("AWS::AccountId is only known") or reason.startswith("data.aws_caller_identity."):
        return True
    sub = unresolved_sub(value)
    if sub is None:
        return False
    # `${...}` may hold colons (`${AWS::Region}`): split the ARN with each placeholder as one token
    tokens = re.split(r"(\$\{[^}]*\})", sub[0])
    fields, current = [], ""
    for tok in tokens:
        if tok.startswith("${"):
            current += tok
            continue
        pieces = tok.split(":")
        current += pieces[0]
        for piece in pieces[1:]:
            fields.append(current)
            current = piece
    fields.append(current)
    return len(fields) >= 5 and fields[0] == "arn" and fields[4].replace(" ", "") == "${AWS::AccountId}"


def _account_of(value: Any) -> str | None:
    """The account a principal or condition value names: 12 digits, or the account field of an
    ARN; OWN for an unresolved own-account value; None when it names no account (a service,
    a canonical user, an S3 ARN). Raises UnknownValue for another unresolved value."""
    if isinstance(value, Unknown):
        if _own_account_unknown(value):
            return OWN
        raise UnknownValue("Principal", value)
    s = str(value).strip()
    if len(s) == 12 and s.isdigit():
        return s
    parts = s.split(":")
    if len(parts) >= 6 and parts[0] == "arn":
        return parts[4] if parts[4] else None
    return None


def _cidr_trusted(value: Any, scope: _Scope) -> bool:
    value = require(value, "Condition.aws:SourceIp")
    try:
        net = ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return False
    nets = [ipaddress.ip_network(p) for p in PRIVATE_NETS] + list(scope.trusted)
    return any(net.version == n.version and net.subnet_of(n) for n in nets)


def _values(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list | tuple) else [v]


def _narrowed_accounts(key: str, values: list[Any]) -> list[str] | None:
    """The accounts an account/ARN condition key narrows to; None when a value is a wildcard
    (does not narrow). An ARN without an account field (an S3 bucket) narrows to that resource."""
    out: list[str] = []
    for v in values:
        if isinstance(v, Unknown):
            out.append(_account_of(v) or "")
            continue
        s = str(v).strip()
        if key in _ACCOUNT_KEYS:
            if not s or "*" in s or "?" in s:
                return None
            out.append(s)
            continue
        parts = s.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn" or "*" in parts[4] or "?" in parts[4]:
            return None
        if not parts[4] and parts[5].strip("*?/") == "":
            return None  # `arn:aws:s3:::*`: any bucket
        out.append(parts[4])
    return out


def _operator(op: str) -> tuple[str, bool]:
    """`ForAnyValue:StringEqualsIfExists` -> ("stringequals", weak); weak when a missing key
    satisfies it (IfExists, ForAllValues)."""
    low = op.lower()
    weak = low.endswith("ifexists") or low.startswith("forallvalues:")
    low = low.split(":", 1)[1] if ":" in low else low
    return low.removesuffix("ifexists"), weak


def _narrowing(condition: Mapping[str, Any], scope: _Scope, *, negated: bool = False) -> tuple[bool, list[str]]:
    """Does a Condition narrow "everyone" (for a Deny: with negated operators, "everyone except")?
    Returns (narrows, accounts it narrows to). Unresolved values raise UnknownValue only where they
    decide it."""
    accounts: list[str] = []
    narrows = False
    pending: UnknownValue | None = None
    for op, block in condition.items():
        if isinstance(block, Unknown):
            pending = pending or UnknownValue(f"Condition.{op}", block)
            continue
        if op == "<unknown>":
            pending = pending or UnknownValue("Condition", block)
            continue
        if not isinstance(block, Mapping):
            continue
        base, weak = _operator(op)
        if weak and not negated:
            continue
        positive = base in _NEGATIVE if negated else base in _POSITIVE
        ip_op = "notipaddress" if negated else "ipaddress"
        bool_op = base == "bool"
        for key, raw in block.items():
            k = key.lower()
            vals = _values(raw)
            try:
                if k in _ORG_KEYS + _NET_KEYS + _SERVICE_KEYS and positive:
                    if all(not isinstance(v, Unknown) and str(v).strip() in ("*", "") for v in vals):
                        continue
                    for v in vals:
                        if isinstance(v, Unknown) and not cannot_be_star(v):
                            raise UnknownValue(f"Condition.{op}.{key}", v)
                    narrows = True
                elif k == "aws:sourceip" and base == ip_op:
                    if all(_cidr_trusted(v, scope) for v in vals):
                        narrows = True
                elif k == "aws:principalisawsservice" and bool_op and not negated:
                    if any(str(require(v, key)).lower() == "true" for v in vals):
                        narrows = True
                elif k in _ACCOUNT_KEYS + _ARN_KEYS and positive:
                    found = _narrowed_accounts(k, vals)
                    if found is not None:
                        narrows = True
                        accounts.extend(a for a in found if a)
            except UnknownValue as exc:
                pending = pending or exc
    if narrows:
        return True, accounts
    if pending is not None:
        raise pending
    return False, []


def _everyone(principal: Any) -> bool:
    """Principal `*` or `{"AWS": "*"}` (an unresolved value that may be `*` raises)."""
    principal = require(principal, "Principal")
    if isinstance(principal, Mapping):
        principal = principal.get("AWS")
    pending: Unknown | None = None
    for v in _values(principal) if principal is not None else []:
        if isinstance(v, Unknown):
            if not cannot_be_star(v) and not _own_account_unknown(v):
                pending = pending or v
        elif str(v).strip() == "*":
            return True
    if pending is not None:
        raise UnknownValue("Principal", pending)
    return False


def _denied_except_narrowed(allow: Statement, denies: list[Statement], scope: _Scope) -> bool:
    """Does a Deny for everyone, unless a narrowing condition holds, cover all of `allow`'s actions?"""
    if allow.actions is None:
        return False
    for d in denies:
        if d.actions is None or d.not_principal is not None or not d.condition:
            continue
        try:
            if not _everyone(d.principal):
                continue
            narrows, _ = _narrowing(d.condition, scope, negated=True)
        except UnknownValue:
            continue
        if not narrows:
            continue
        known = [a for a in allow.actions if isinstance(a, str)]
        if len(known) == len(allow.actions) and all(
            any(isinstance(p, str) and action_covers(p, a) for p in d.actions) for a in known
        ) and (d.resources is None or any(p == "*" for p in d.resources)
               or (allow.resources is not None and all(
                   isinstance(r, str) and any(isinstance(p, str) and resource_covers(p, r) for p in d.resources)
                   for r in allow.resources))):
            return True
    return False


def _where(st: Statement, index: int) -> str:
    return st.sid or f"#{index}"


def exposure(
    raw: Any,
    *,
    account: str | None = None,
    owned: Iterable[str] = (),
    trusted_cidrs: Iterable[str] = (),
    trust: bool = False,
) -> Exposure:
    """Judge one resource or trust policy (see the section comment). Each statement stands on its
    own: a statement known to expose the resource counts whatever the unresolved ones hold; an
    unresolved value is `pending` only where it could have exposed it. `trust` adds the web-identity
    principals of a role trust policy (GitHub OIDC without a `sub` condition: any repository)."""

    nets: list[Any] = []
    for c in trusted_cidrs:
        try:
            nets.append(ipaddress.ip_network(str(c), strict=False))
        except ValueError:
            continue
    scope = _Scope(account=account, owned=frozenset(str(a) for a in owned), trusted=tuple(nets))
    doc = parse(raw)
    denies = [st for st in doc.statements if not isinstance(st.effect, Unknown) and st.effect == DENY]
    public: list[dict[str, Any]] = []
    external: list[dict[str, Any]] = []
    unjudged: list[str] = []
    pending: UnknownValue | None = None
    for i, st in enumerate(doc.statements):
        try:
            if require(st.effect, "Effect") != ALLOW:
                continue
            found = _statement_exposure(st, scope, denies, trust=trust)
        except UnknownValue as exc:
            pending = pending or exc
            continue
        if found is None:
            continue
        kind, detail = found
        evidence = {"statement": _where(st, i), **detail,
                    "actions": [_plain(a) for a in (st.actions or st.not_actions or ())]}
        if kind == "public":
            public.append(evidence)
        elif kind == "external":
            external.append(evidence)
        else:
            unjudged.extend(detail["accounts"])
    return Exposure(tuple(public), tuple(external), tuple(dict.fromkeys(unjudged)), pending)


def _statement_exposure(
    st: Statement, scope: _Scope, denies: list[Statement], *, trust: bool
) -> tuple[str, dict[str, Any]] | None:
    """("public" | "external" | "unjudged", evidence) for one Allow, or None when it exposes nothing."""
    pending: UnknownValue | None = None
    if st.not_principal is not None:
        everyone, accounts = True, list[str]()
    else:
        everyone = _everyone(st.principal)
        accounts, pending = _principal_accounts(st.principal)
        if trust and not everyone and _open_web_identity(st):
            return "public", {"principal": _plain_principal(st.principal),
                              "why": "a web-identity provider shared by everyone, without a condition on the subject"}
    if everyone:
        narrows, via = _narrowing(st.condition, scope) if st.condition else (False, [])
        if not narrows and _denied_except_narrowed(st, denies, scope):
            narrows = True
        if not narrows:
            return "public", {"principal": "*", "why": "no condition restricts who may use it"}
        accounts = via
    outside = [a for a in accounts if scope.outside(a)]
    if outside:
        return "external", {"accounts": outside, "why": "accounts outside the owned accounts"}
    if pending is not None:
        raise pending
    unjudged = [a for a in accounts if scope.outside(a) is None]
    if unjudged:
        return "unjudged", {"accounts": unjudged}
    return None


def _principal_accounts(principal: Any) -> tuple[list[str], UnknownValue | None]:
    """The accounts an Allow's `Principal.AWS` names, and the first value it could not resolve."""
    principal = require(principal, "Principal")
    if not isinstance(principal, Mapping):
        principal = {"AWS": principal}
    out: list[str] = []
    pending: UnknownValue | None = None
    aws = principal.get("AWS")
    for v in _values(aws) if aws is not None else []:
        try:
            acct = _account_of(v)
        except UnknownValue as exc:
            pending = pending or exc
            continue
        if acct and acct != "*":
            out.append(acct)
    return out, pending


_WEB_IDENTITY_SUBJECT = {
    "token.actions.githubusercontent.com": ("token.actions.githubusercontent.com:sub",),
    "cognito-identity.amazonaws.com": ("cognito-identity.amazonaws.com:aud",),
}


def _open_web_identity(st: Statement) -> bool:
    """A trust statement for a shared OIDC provider (GitHub Actions, Cognito identity pools) with
    no condition on the subject or audience: every GitHub repository / identity pool may assume."""
    p = st.principal
    if not isinstance(p, Mapping):
        return False
    for v in _values(p.get("Federated")) if p.get("Federated") is not None else []:
        if isinstance(v, Unknown):
            continue
        for provider, keys in _WEB_IDENTITY_SUBJECT.items():
            if str(v).endswith(provider):
                named = {k.lower() for block in st.condition.values() if isinstance(block, Mapping)
                         for k in block}
                if not any(k in named for k in keys):
                    return True
    return False


def _plain_principal(p: Any) -> Any:
    if isinstance(p, Mapping):
        return {k: _plain(v) if not isinstance(v, list) else [_plain(x) for x in v] for k, v in p.items()}
    return _plain(p)


# --- exposure controls: finding a resource's policies and judging them --------------------------

EXPOSURE_PARAMS: dict[str, Any] = {"owned_accounts": [], "trusted_cidrs": []}


def attached(r: Resource, ctx: Context, policy_type: str, key: str) -> tuple[list[Resource], list[str]]:
    """Policy resources of `policy_type` whose `key` (one reference or a list) names `r`, and the
    reasons of those whose target is unresolved (they may be r's)."""
    out: list[Resource] = []
    unresolved: list[str] = []
    for p in ctx.inventory.of_type(policy_type, account=r.account):
        if not same_scope(p, r):
            continue
        targets = p.get_raw(key)
        for t in targets if isinstance(targets, list) else [targets]:
            if isinstance(t, Unknown):
                unresolved.append(f"the {key} of {p.display_name} is unknown ({t.reason})")
            elif refers_to(t, r) or (isinstance(t, str) and _names_by_arn(t, r)):
                out.append(p)
                break
    return out, unresolved


def _names_by_arn(ref: str, r: Resource) -> bool:
    """A reference that is an ARN or partial ARN ending with the resource's name (Lambda accepts
    `123456789012:function:name`, SQS policies name queues by URL)."""
    name = r.name or r.id
    return bool(name) and (ref.endswith((f":{name}", f"/{name}")))


def target_in_scope(p: Resource, ctx: Context, target_type: str, key: str) -> bool:
    """Does a policy resource's target resolve to a `target_type` resource in the scanned scope?
    (Then that resource's control judges it; else the policy is judged on its own.)"""
    targets = p.get_raw(key)
    for t in targets if isinstance(targets, list) else [targets]:
        if isinstance(t, Unknown) or t is None:
            continue
        for r in ctx.inventory.of_type(target_type, account=p.account):
            if same_scope(p, r) and (refers_to(t, r) or (isinstance(t, str) and _names_by_arn(t, r))):
                return True
    return False


def exposure_verdict(
    r: Resource,
    ctx: Context,
    documents: list[tuple[str, Any]],
    what: str,
    *,
    unresolved: Iterable[str] = (),
    trust: bool = False,
    public_blocked: str | None = None,
) -> Verdict:
    """PASS/FAIL/UNKNOWN for the policies `documents` ((name, document) pairs) of resource `r`.

    Public grants fail (unless `public_blocked` says why the service ignores them, as S3's
    RestrictPublicBuckets); grants to accounts outside `owned_accounts` fail; an account that cannot
    be judged because no owned list is configured, or an unresolved value that could open the
    resource, is UNKNOWN; nothing else passes."""
    owned = [str(a) for a in ctx.params.get("owned_accounts") or []]
    trusted = [str(c) for c in ctx.params.get("trusted_cidrs") or []]
    account = r.account if r.is_live else None
    public: list[dict[str, Any]] = []
    external: list[dict[str, Any]] = []
    unjudged: list[str] = []
    pending: list[str] = list(unresolved)
    for name, raw in documents:
        if raw is None:
            continue
        try:
            e = exposure(raw, account=account, owned=owned, trusted_cidrs=trusted, trust=trust)
        except UnknownValue as exc:
            pending.append(f"{name}: {exc.path} is unknown ({exc.unknown.reason})")
            continue
        except PolicyError as exc:
            pending.append(f"{name} is not a valid policy: {exc}")
            continue
        public += [{"policy": name, **x} for x in e.public]
        external += [{"policy": name, **x} for x in e.external]
        unjudged += list(e.unjudged)
        if e.pending is not None:
            pending.append(f"{name}: {e.pending.path} is unknown ({e.pending.unknown.reason})")
    if public and public_blocked is None:
        return failed(f"{what} grants access to everyone without a condition that restricts it",
                      public_statements=public, **({"external_statements": external} if external else {}))
    if external:
        return failed(f"{what} grants access to accounts outside the owned accounts "
                      f"({', '.join(sorted({a for x in external for a in x['accounts']}))})",
                      external_statements=external, owned_accounts=owned)
    if pending:
        return unknown(f"{what} cannot be fully read: {pending[0]}")
    if unjudged:
        return unknown(f"{what} grants access to account(s) {', '.join(unjudged)}; no list of owned accounts "
                       "is configured to tell whether they are yours (baseline.owned_accounts in railguard.yaml)",
                       accounts=unjudged)
    if public:
        return passed(f"{what} grants everyone access, but {public_blocked}", public_statements=public)
    if not any(raw is not None for _, raw in documents):
        return passed(f"{what}: no policy")
    return passed(f"{what} grants nothing to everyone nor to accounts outside the owner's")


def separate_policy_verdict(
    r: Resource, ctx: Context, *, target: str, policy_type: str, key: str, document: str, what: str
) -> Verdict | None:
    """For services whose policy is a resource of its own (`AWS::SNS::TopicPolicy` naming its
    topics in `key`, the policy in `document`): the target resource is judged with every policy
    that names it; a policy resource only when its target is not in the scanned scope."""
    if r.type == policy_type:
        if target_in_scope(r, ctx, target, key):
            return None
        return exposure_verdict(r, ctx, [(r.display_name, r.get_raw(document))], what)
    policies, unresolved = attached(r, ctx, policy_type, key)
    return at_offender(exposure_verdict(r, ctx, [(p.display_name, p.get_raw(document)) for p in policies], what,
                                        unresolved=unresolved), policies)


def at_offender(verdict: Verdict, policies: Iterable[Resource]) -> Verdict:
    """A FAIL on a resource judged with policies written as resources of their own (a bucket policy,
    a topic policy, a Lambda permission) points at the first offending policy's file and line, so a
    pull-request annotation lands on the statement's resource, not on its target's."""
    if verdict.result != Result.FAIL:
        return verdict
    by_name = {p.display_name: p for p in policies}
    for key in ("public_statements", "external_statements"):
        for statement in verdict.evidence.get(key) or []:
            p = by_name.get(statement.get("policy"))
            if p is not None and p.origin.file and p.origin.line:
                return replace(verdict, evidence={**verdict.evidence, "file": p.origin.file, "line": p.origin.line})
    return verdict
