"""CloudWatch Logs filter patterns: parse them, and decide whether one covers a monitoring item.

The CIS section 4 items (and the baseline's extra alarms) ask for a metric filter whose
pattern catches a family of CloudTrail events. Comparing pattern *text* with the CIS
reference (as a regex over the text, the way Prowler does) rejects equivalent patterns
written in another order, with other spacing, quoting or parentheses, or with extra terms.
Instead this module parses the pattern and *evaluates* it on representative CloudTrail
records: a pattern covers an item when it matches every record the item requires (one per
event name, for the "changes to X" items), and is not a catch-all that also matches an
unrelated, benign record. Extra `||` terms, reordering and different whitespace are thus
accepted; a narrowing `&&` term that drops a required event is caught by the record it misses.

Supported syntax (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
- JSON patterns `{ ... }`: selectors `$.a.b`, `$.a[0]`; `=`, `!=` on strings (quoted or bare,
  `*` wildcards, `%regex%`), numeric `=`, `!=`, `<`, `>`, `<=`, `>=`; `IS NULL`, `IS TRUE`,
  `IS FALSE`, `NOT EXISTS`, `EXISTS`; `&&` binding tighter than `||`; parentheses.
  A comparison on a missing field is false (only `NOT EXISTS` matches a missing field).
- Term patterns over the raw record text: `"a" "b"` (all), `?a ?b` (any), `-a` (exclude),
  `%regex%`; the empty pattern matches everything.
- Space-delimited patterns `[a, b, ...]` apply to space-delimited logs, not CloudTrail's JSON:
  they are reported as not understood (a `PatternError`), which callers turn into UNKNOWN.
Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


class PatternError(ValueError):
    """A filter pattern this module cannot evaluate (malformed, or a syntax that does not apply)."""


Event = Mapping[str, Any]
Matcher = Callable[[Event, str], bool]  # (parsed record, its JSON text) -> match

_MISSING = object()

# --------------------------------------------------------------------------- tokenizer

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<lp>\()|(?P<rp>\))|(?P<and>&&)|(?P<or>\|\|)
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<regex>%(?:[^%\\]|\\.)*%)
    | (?P<word>[^\s()&|=!<>"]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokens(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    src = src.rstrip()
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise PatternError(f"unexpected character {src[pos:pos + 10]!r} at offset {pos}")
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind)))
        pos = m.end()
    return out


# --------------------------------------------------------------------------- values

def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _string_matcher(tok: _Tok) -> Callable[[str], bool]:
    if tok.kind == "regex":
        try:
            rx = re.compile(tok.text[1:-1])
        except re.error as exc:
            raise PatternError(f"bad regular expression {tok.text}: {exc}") from None
        return lambda s: rx.search(s) is not None
    value = _unquote(tok.text) if tok.kind == "str" else tok.text
    if "*" in value:
        rx = re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)
        return lambda s: rx.fullmatch(s) is not None
    return lambda s: s == value


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None  # objects, arrays and null never equal a string


# --------------------------------------------------------------------------- selectors

_SEL_PART = re.compile(r"\.(?P<name>[A-Za-z0-9_\-@:]+)|\[(?P<index>\d+)\]")


def _selector(text: str) -> Callable[[Event], Any]:
    if not text.startswith("$"):
        raise PatternError(f"expected a selector starting with '$', got {text!r}")
    parts: list[str | int] = []
    pos = 1
    while pos < len(text):
        m = _SEL_PART.match(text, pos)
        if not m:
            raise PatternError(f"bad selector {text!r}")
        parts.append(m.group("name") if m.group("name") is not None else int(m.group("index")))
        pos = m.end()
    if not parts:
        raise PatternError("a selector must name a field ('$.field')")

    def get(event: Event) -> Any:
        node: Any = event
        for p in parts:
            if isinstance(p, int):
                if not isinstance(node, list) or p >= len(node):
                    return _MISSING
                node = node[p]
            else:
                if not isinstance(node, Mapping) or p not in node:
                    return _MISSING
                node = node[p]
        return node

    return get


# --------------------------------------------------------------------------- JSON parser

class _JsonParser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise PatternError("pattern ends too early")
        if kind is not None and tok.kind != kind:
            raise PatternError(f"expected {kind}, got {tok.text!r}")
        self.i += 1
        return tok

    def parse(self) -> Matcher:
        m = self.or_()
        if self.peek() is not None:
            raise PatternError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return m

    def or_(self) -> Matcher:
        terms = [self.and_()]
        while (t := self.peek()) is not None and t.kind == "or":
            self.take()
            terms.append(self.and_())
        if len(terms) == 1:
            return terms[0]
        return lambda e, s: any(t(e, s) for t in terms)

    def and_(self) -> Matcher:
        terms = [self.unary()]
        while (t := self.peek()) is not None and t.kind == "and":
            self.take()
            terms.append(self.unary())
        if len(terms) == 1:
            return terms[0]
        return lambda e, s: all(t(e, s) for t in terms)

    def unary(self) -> Matcher:
        tok = self.peek()
        if tok is not None and tok.kind == "lp":
            self.take()
            inner = self.or_()
            self.take("rp")
            return inner
        return self.comparison()

    def comparison(self) -> Matcher:
        get = _selector(self.take("word").text)
        tok = self.take()
        if tok.kind == "word":
            return self.keyword(get, tok.text.upper())
        if tok.kind != "op":
            raise PatternError(f"expected an operator after the selector, got {tok.text!r}")
        value = self.take()
        if value.kind not in ("word", "str", "regex"):
            raise PatternError(f"expected a value after {tok.text}, got {value.text!r}")
        return _compare(get, tok.text, value)

    def keyword(self, get: Callable[[Event], Any], word: str) -> Matcher:
        if word == "IS":
            what = self.take("word").text.upper()
            if what == "NULL":
                return lambda e, s: get(e) is None
            if what in ("TRUE", "FALSE"):
                want = what == "TRUE"
                return lambda e, s: get(e) is want
            raise PatternError(f"expected NULL, TRUE or FALSE after IS, got {what!r}")
        if word == "NOT":
            if self.take("word").text.upper() != "EXISTS":
                raise PatternError("expected EXISTS after NOT")
            return lambda e, s: get(e) is _MISSING
        if word == "EXISTS":
            return lambda e, s: get(e) is not _MISSING
        raise PatternError(f"unexpected {word!r} after a selector")


def _compare(get: Callable[[Event], Any], op: str, value: _Tok) -> Matcher:
    number = _as_number(value.text) if value.kind == "word" else None
    if op in ("<", ">", "<=", ">="):
        if number is None:
            raise PatternError(f"{op} needs a number, got {value.text!r}")
        cmp = {"<": float.__lt__, ">": float.__gt__, "<=": float.__le__, ">=": float.__ge__}[op]

        def numeric(e: Event, s: str) -> bool:
            v = get(e)
            return isinstance(v, int | float) and not isinstance(v, bool) and cmp(float(v), number)

        return numeric
    text_match = _string_matcher(value)

    def equal(v: Any) -> bool:
        if number is not None and isinstance(v, int | float) and not isinstance(v, bool):
            return float(v) == number
        t = _scalar_text(v)
        return t is not None and text_match(t)

    if op == "=":
        return lambda e, s: (v := get(e)) is not _MISSING and equal(v)
    return lambda e, s: (v := get(e)) is not _MISSING and not equal(v)


# --------------------------------------------------------------------------- term patterns

_TERM = re.compile(r'\s*([?-]?)("(?:[^"\\]|\\.)*"|%(?:[^%\\]|\\.)*%|[^\s"]+)')


def _regex_test(rx: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda s: rx.search(s) is not None


def _substring_test(word: str) -> Callable[[str], bool]:
    return lambda s: word in s


def _terms(src: str) -> Matcher:
    required: list[Callable[[str], bool]] = []
    optional: list[Callable[[str], bool]] = []
    excluded: list[Callable[[str], bool]] = []
    pos = 0
    while pos < len(src.rstrip()):
        m = _TERM.match(src, pos)
        if not m:
            raise PatternError(f"cannot read the term at offset {pos}")
        pos = m.end()
        sign, term = m.group(1), m.group(2)
        if term.startswith("%") and term.endswith("%") and len(term) >= 2:
            try:
                rx = re.compile(term[1:-1])
            except re.error as exc:
                raise PatternError(f"bad regular expression {term}: {exc}") from None
            test = _regex_test(rx)
        else:
            test = _substring_test(_unquote(term))
        {"?": optional, "-": excluded, "": required}[sign].append(test)

    def match(e: Event, s: str) -> bool:
        if any(x(s) for x in excluded):
            return False
        if optional and not any(o(s) for o in optional):
            return False
        return all(r(s) for r in required)

    return match


# --------------------------------------------------------------------------- public API

@dataclass(frozen=True)
class Pattern:
    text: str
    kind: str  # "json" | "terms" | "all"
    _match: Matcher

    def matches(self, event: Event) -> bool:
        return self._match(event, json.dumps(event, separators=(",", ":")))


def normalise(text: str) -> str:
    """Collapse whitespace (outside quoted strings it carries no meaning) for display and comparison."""
    return " ".join(text.split())


@lru_cache(maxsize=1024)
def parse(text: str) -> Pattern:
    """Parse a filter pattern; raises `PatternError` when it cannot be evaluated."""
    src = text.strip()
    if not src:
        return Pattern(text, "all", lambda e, s: True)
    if src.startswith("{"):
        if not src.endswith("}"):
            raise PatternError("a JSON pattern must end with '}'")
        toks = _tokens(src[1:-1])
        if not toks:
            raise PatternError("empty JSON pattern")
        return Pattern(text, "json", _JsonParser(toks).parse())
    if src.startswith("["):
        raise PatternError("space-delimited patterns ('[...]') do not apply to CloudTrail's JSON records")
    return Pattern(text, "terms", _terms(src))


def matches(text: str, event: Event) -> bool:
    return parse(text).matches(event)


# --------------------------------------------------------------------------- what each item requires

def _event(source: str, name: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEPRINCIPAL",
            "arn": "arn:aws:iam::111122223333:user/alice",
            "accountId": "111122223333",
            "userName": "alice",
        },
        "eventTime": "2026-01-01T12:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15",
        "requestParameters": {},
        "responseElements": None,
        "eventID": "00000000-0000-0000-0000-000000000000",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k] = {**base[k], **v}
        else:
            base[k] = v
    return base


_ROOT = {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root",
         "accountId": "111122223333", "userName": None}

# What no monitoring filter should match: a routine read by an assumed role. A pattern that
# matches it (`{ $.eventName = * }`, the empty pattern) alarms on everything, monitors nothing.
BENIGN_EVENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("a routine DescribeInstances by an assumed role", _event(
        "ec2.amazonaws.com", "DescribeInstances", readOnly=True,
        userIdentity={"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/app/i-0abc"},
    )),
)


@dataclass(frozen=True)
class Requirement:
    key: str  # the control id suffix: cloudwatch.alarm-<key>
    title: str  # "unauthorized API calls"
    reference: str  # the CIS (or baseline) reference pattern, as the fix hint
    events: tuple[tuple[str, dict[str, Any]], ...]  # (label, record) the pattern must all match


def _changes(key: str, title: str, source: str, names: list[str], reference: str | None = None) -> Requirement:
    ref = reference or (
        f"{{ ($.eventSource = {source}) && ("
        + " || ".join(f"($.eventName = {n})" for n in names) + ") }"
    )
    return Requirement(key, title, ref, tuple((n, _event(source, n)) for n in names))


_IAM = "iam.amazonaws.com"
_EC2 = "ec2.amazonaws.com"

REQUIREMENTS: dict[str, Requirement] = {r.key: r for r in [
    Requirement(
        "unauthorized-api-calls", "unauthorized API calls",
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") '
        '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
        (
            ("EC2 Client.UnauthorizedOperation", _event(
                _EC2, "RunInstances", errorCode="Client.UnauthorizedOperation",
                errorMessage="You are not authorized to perform this operation.")),
            ("IAM AccessDenied", _event(
                _IAM, "ListUsers", errorCode="AccessDenied",
                errorMessage="User is not authorized to perform iam:ListUsers")),
            ("KMS AccessDeniedException", _event(
                "kms.amazonaws.com", "Decrypt", errorCode="AccessDeniedException",
                errorMessage="not authorized to perform kms:Decrypt")),
        ),
    ),
    Requirement(
        "console-signin-without-mfa", "console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        (
            ("successful IAM user ConsoleLogin without MFA", _event(
                "signin.amazonaws.com", "ConsoleLogin", eventType="AwsConsoleSignIn",
                additionalEventData={"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No",
                                     "MFAUsed": "No"},
                responseElements={"ConsoleLogin": "Success"})),
        ),
    ),
    Requirement(
        "root-usage", "usage of the root account",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType != "AwsServiceEvent" }',
        (
            ("root ConsoleLogin", _event(
                "signin.amazonaws.com", "ConsoleLogin", userIdentity=_ROOT, eventType="AwsConsoleSignIn",
                additionalEventData={"MFAUsed": "Yes"}, responseElements={"ConsoleLogin": "Success"})),
            ("root API call", _event(
                "s3.amazonaws.com", "CreateBucket", userIdentity={**_ROOT, "accessKeyId": "AKIAEXAMPLEROOTKEY"})),
        ),
    ),
    _changes("iam-policy-changes", "IAM policy changes", _IAM, [
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy",
    ]),
    _changes("cloudtrail-changes", "CloudTrail configuration changes", "cloudtrail.amazonaws.com",
             ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"]),
    Requirement(
        "console-auth-failures", "console authentication failures",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
        (
            ("failed ConsoleLogin", _event(
                "signin.amazonaws.com", "ConsoleLogin", eventType="AwsConsoleSignIn",
                errorMessage="Failed authentication", responseElements={"ConsoleLogin": "Failure"},
                additionalEventData={"MFAUsed": "No"})),
        ),
    ),
    _changes("cmk-disable-or-deletion", "disabling or scheduled deletion of customer-managed keys",
             "kms.amazonaws.com", ["DisableKey", "ScheduleKeyDeletion"]),
    _changes("s3-bucket-policy-changes", "S3 bucket policy changes", "s3.amazonaws.com", [
        "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
        "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication",
    ]),
    _changes("config-changes", "AWS Config configuration changes", "config.amazonaws.com", [
        "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder",
    ]),
    _changes("security-group-changes", "security group changes", _EC2, [
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup",
    ]),
    _changes("nacl-changes", "network ACL changes", _EC2, [
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
    ]),
    _changes("network-gateway-changes", "network gateway changes", _EC2, [
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway",
    ]),
    _changes("route-table-changes", "route table changes", _EC2, [
        "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
        "DeleteRoute", "DisassociateRouteTable",
    ]),
    _changes("vpc-changes", "VPC changes", _EC2, [
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink",
    ]),
    _changes("organizations-changes", "AWS Organizations changes", "organizations.amazonaws.com", [
        "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
        "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
        "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization",
        "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit",
    ]),
    # railguard-baseline extensions of the CIS section 4 check
    _changes("new-iam-user", "creation of IAM users", _IAM, ["CreateUser"]),
    Requirement(
        "admin-policy-attached", "AdministratorAccess attached to a principal",
        '{ ($.eventSource = iam.amazonaws.com) && (($.eventName = AttachUserPolicy) || '
        '($.eventName = AttachRolePolicy) || ($.eventName = AttachGroupPolicy)) && '
        '($.requestParameters.policyArn = "arn:aws:iam::aws:policy/AdministratorAccess") }',
        tuple(
            (f"{n} AdministratorAccess", _event(
                _IAM, n, requestParameters={target: "someone",
                                            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}))
            for n, target in (("AttachUserPolicy", "userName"), ("AttachRolePolicy", "roleName"),
                              ("AttachGroupPolicy", "groupName"))
        ),
    ),
    _changes("kms-decrypt-burst", "KMS Decrypt calls (a burst sets off the alarm)", "kms.amazonaws.com",
             ["Decrypt"]),
    Requirement(
        "root-access-key-use", "use of a root access key",
        '{ ($.userIdentity.type = "Root") && ($.userIdentity.accessKeyId = "AKIA*") '
        '&& ($.userIdentity.invokedBy NOT EXISTS) }',
        (
            ("root API call signed with an access key", _event(
                "iam.amazonaws.com", "ListUsers", userIdentity={**_ROOT, "accessKeyId": "AKIAEXAMPLEROOTKEY"})),
        ),
    ),
]}


@dataclass(frozen=True)
class Coverage:
    """Does one pattern cover one requirement; if not, why."""

    covers: bool
    missed: tuple[str, ...] = ()  # labels of required records the pattern does not match
    catch_all: str | None = None  # the benign record it matches when it matches everything
    error: str | None = None  # the pattern could not be evaluated

    @property
    def reason(self) -> str:
        if self.error:
            return f"pattern not understood ({self.error})"
        if self.catch_all:
            return f"pattern is a catch-all (it also matches {self.catch_all})"
        if self.missed:
            more = f" and {len(self.missed) - 5} more" if len(self.missed) > 5 else ""
            return "pattern misses " + ", ".join(self.missed[:5]) + more
        return "pattern covers the required events"


def coverage(pattern: str, requirement: Requirement) -> Coverage:
    try:
        parsed = parse(pattern)
    except PatternError as exc:
        return Coverage(False, error=str(exc))
    missed = tuple(label for label, event in requirement.events if not parsed.matches(event))
    if missed:
        return Coverage(False, missed=missed)
    for label, event in BENIGN_EVENTS:
        if parsed.matches(event):
            return Coverage(False, catch_all=label)
    return Coverage(True)


def covers(pattern: str, requirement: Requirement | str) -> bool:
    req = REQUIREMENTS[requirement] if isinstance(requirement, str) else requirement
    return coverage(pattern, req).covers
