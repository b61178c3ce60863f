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

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from railguard.controls.helpers import any_known
from railguard.model import Unknown, UnknownValue, require

ALLOW = "Allow"
DENY = "Deny"
ALL_ACTIONS = "*:*"
ALL_RESOURCES = "arn:*"  # every resource ARN starts with `arn:`; `*` as a query means this


class PolicyError(ValueError):
    """A document that is not a valid IAM policy (not JSON, no statements, bad Effect...)."""


# --- glob patterns --------------------------------------------------------------------------

_STAR = ("*",)  # tokens are 1-tuples so that they never equal a literal character
_QMARK = ("?",)


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


def action_covers(pattern: str, action: str) -> bool:
    """Does action pattern `pattern` (from a policy) include every action of `action`?"""
    return _covers(_tokens(pattern, fold=True), _tokens(_action_query(action), fold=True))


def action_overlaps(pattern: str, action: str) -> bool:
    return _overlaps(_tokens(pattern, fold=True), _tokens(_action_query(action), fold=True))


def resource_covers(pattern: str, resource: str) -> bool:
    return _covers(_tokens(pattern, fold=False), _tokens(_resource_query(resource), fold=False))


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
