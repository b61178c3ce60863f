"""Read the fields of a CloudTrail record that every rule needs, tolerating missing or null ones.

Records stay the dicts CloudTrail wrote (parsing them into objects would cost more than the
rules); these accessors are the one place that knows where a principal, its key, its role and
its source address live, and what "missing" looks like (absent, null, "" or a non-dict).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from functools import lru_cache
from typing import Any

AccessDeniedCodes = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation",
    "UnauthorizedAccess", "AuthorizationError", "AuthorizationErrorException", "Forbidden",
})

_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "BatchGet", "Search", "Select", "Scan",
                  "Query", "Check", "Validate", "View", "Preview", "Estimate", "Test", "Simulate")
_NOT_CHANGES = frozenset({"ConsoleLogin", "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
                          "GetSessionToken", "GetFederationToken", "Decrypt", "Encrypt", "GenerateDataKey",
                          "SwitchRole", "CheckMfa", "ExitRole", "RenewRole", "StartSession", "ResumeSession",
                          "TerminateSession", "CredentialVerification", "PasswordRecoveryRequested"})


def d(value: Any) -> dict[str, Any]:
    """`value` when it is a dict, else an empty one (CloudTrail writes null for absent objects)."""
    return value if isinstance(value, dict) else {}


def s(value: Any) -> str:
    """`value` as a string, "" for null or non-strings."""
    return value if isinstance(value, str) else ""


_EMPTY: dict[str, Any] = {}  # shared: callers only read what these accessors return


# the accessors below run several times per record: they test types inline rather than call d()/s()
def identity(rec: dict[str, Any]) -> dict[str, Any]:
    v = rec.get("userIdentity")
    return v if isinstance(v, dict) else _EMPTY


def request(rec: dict[str, Any]) -> dict[str, Any]:
    v = rec.get("requestParameters")
    return v if isinstance(v, dict) else _EMPTY


def response(rec: dict[str, Any]) -> dict[str, Any]:
    v = rec.get("responseElements")
    return v if isinstance(v, dict) else _EMPTY


def principal_arn(rec: dict[str, Any]) -> str:
    ui = identity(rec)
    for field in ("arn", "principalId", "invokedBy"):
        v = ui.get(field)
        if v and isinstance(v, str):
            return v
    return ""


def role_arn(rec: dict[str, Any]) -> str:
    """The role behind an assumed-role session (its issuer), "" when there is none."""
    ctx = identity(rec).get("sessionContext")
    issuer = ctx.get("sessionIssuer") if isinstance(ctx, dict) else None
    if not isinstance(issuer, dict) or issuer.get("type") != "Role":
        return ""
    arn = issuer.get("arn")
    return arn if isinstance(arn, str) else ""


def access_key(rec: dict[str, Any]) -> str:
    v = identity(rec).get("accessKeyId")
    return v if isinstance(v, str) else ""


def account(rec: dict[str, Any]) -> str:
    v = rec.get("recipientAccountId")
    if v and isinstance(v, str):
        return v
    v = identity(rec).get("accountId")
    return v if isinstance(v, str) else ""


def user_name(rec: dict[str, Any]) -> str:
    return s(identity(rec).get("userName"))


def is_aws_service(rec: dict[str, Any]) -> bool:
    """An AWS service acting (on its own or for a principal): not a person's or a key's call."""
    ui = identity(rec)
    return ui.get("type") == "AWSService" or bool(ui.get("invokedBy")) or rec.get("eventType") == "AwsServiceEvent"


def succeeded(rec: dict[str, Any]) -> bool:
    return not rec.get("errorCode")


def is_change(rec: dict[str, Any]) -> bool:
    """A mutating call: CloudTrail's `readOnly` when written, else judged from the name."""
    ro = rec.get("readOnly")
    name = s(rec.get("eventName"))
    if name in _NOT_CHANGES:
        return False
    if isinstance(ro, bool):
        return not ro
    return not name.startswith(_READ_PREFIXES)


@lru_cache(maxsize=2048)  # records come in time order: a small cache hits as often as a large one
def epoch(event_time: str) -> float:
    """Seconds since the epoch of an ISO-8601 eventTime ("2024-05-01T12:00:00Z"); 0.0 if unparseable."""
    try:
        return datetime.fromisoformat(event_time).timestamp()
    except ValueError:
        return 0.0


def time_of(rec: dict[str, Any]) -> float:
    return epoch(s(rec.get("eventTime")))


# addresses that never reach AWS over the internet: RFC 1918, shared (CGNAT), loopback, link-local, ULA.
# Documentation ranges (192.0.2.0/24, ...) count as public: examples use them for public addresses.
_INTERNAL = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "0.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10"))


@lru_cache(maxsize=4096)
def public_ip(text: str) -> bool:
    """True for a public IP address literal; False for private ones and for service names
    ("ec2.amazonaws.com", "AWS Internal") that CloudTrail writes when AWS itself made the call."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not any(ip in net for net in _INTERNAL if net.version == ip.version)


def source_ip(rec: dict[str, Any]) -> str:
    return s(rec.get("sourceIPAddress"))


def from_outside_aws(rec: dict[str, Any]) -> bool:
    """The call came over the internet from a public address (not a service, a VPC endpoint or a private IP)."""
    return not rec.get("vpcEndpointId") and public_ip(source_ip(rec))
