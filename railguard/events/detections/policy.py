"""Who a policy document in a CloudTrail record lets in: everyone, accounts, or only services.

CloudTrail writes a bucket policy as an object (`bucketPolicy`) and a role's trust policy as a
JSON string (`policyDocument`); both are read here. Conditions that pin the caller to an
organization, account, VPC or address make a `*` principal not "everyone".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import orjson

_RESTRICTING = ("aws:sourcevpce", "aws:sourcevpc", "aws:sourceip", "aws:principalorgid", "aws:principalorgpaths",
                "aws:sourceaccount", "aws:sourcearn", "aws:principalaccount", "aws:sourceorgid",
                "aws:resourceorgid", "aws:principalarn", "aws:userid", "aws:sourceowner")
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:(?:iam|sts)::(\d{12}):")
EVERYONE = "*"


def document(value: Any) -> dict[str, Any] | None:
    """A policy document from an object or a (possibly URL-encoded) JSON string; None if unreadable."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value if value.lstrip().startswith("{") else unquote(value)
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def restricted(statement: dict[str, Any]) -> bool:
    cond = statement.get("Condition")
    if not isinstance(cond, dict):
        return False
    for op in cond.values():
        if isinstance(op, dict) and any(str(k).lower() in _RESTRICTING for k in op):
            return True
    return False


def account_of(principal: str) -> str:
    """The account id a principal string names ("" when it names none)."""
    if re.fullmatch(r"\d{12}", principal):
        return principal
    m = _ACCOUNT_IN_ARN.match(principal)
    return m.group(1) if m else ""


def granted(doc: dict[str, Any] | None) -> Iterator[str]:
    """Everyone (`*`) or the account ids that Allow statements grant to (services are skipped)."""
    if not doc:
        return
    for st in _list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow" or "NotPrincipal" in st:
            continue
        principal = st.get("Principal")
        values: list[Any] = []
        if principal == "*":
            values = ["*"]
        elif isinstance(principal, dict):
            values = _list(principal.get("AWS"))
        for v in values:
            v = str(v)
            if v == EVERYONE:
                if not restricted(st):
                    yield EVERYONE
            elif acct := account_of(v):
                yield acct


def allows_everything(doc: dict[str, Any] | None) -> bool:
    """An Allow of every action on every resource (an inline administrator policy)."""
    if not doc:
        return False
    for st in _list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _list(st.get("Action"))]
        resources = [str(r) for r in _list(st.get("Resource"))]
        if ("*" in actions or "*:*" in actions) and "*" in resources:
            return True
    return False
