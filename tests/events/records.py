"""CloudTrail records shaped exactly as CloudTrail writes them (field names, nulls, nesting).

Shapes follow the CloudTrail record contents reference and published sample records; the
values are ours. Every record carries the full set of top-level fields CloudTrail writes.
"""

from __future__ import annotations

import itertools
from typing import Any

ACCOUNT = "111122223333"
OUTSIDE = "444455556666"
OWNED_OTHER = "777788889999"
_ids = itertools.count(1)


def iam_user(name: str = "alice", key: str = "AKIAIOSFODNN7EXAMPLE", account: str = ACCOUNT) -> dict[str, Any]:
    return {"type": "IAMUser", "principalId": "AIDAJ45Q7YFFAREXAMPLE", "arn": f"arn:aws:iam::{account}:user/{name}",
            "accountId": account, "accessKeyId": key, "userName": name}


def console_user(name: str = "alice", account: str = ACCOUNT) -> dict[str, Any]:
    """An IAM user in a console session: temporary ASIA key and a session context."""
    ui = iam_user(name, "ASIAIOSFODNN7EXAMPLE", account)
    ui["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                            "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "true"}}
    return ui


def root(key: str = "", account: str = ACCOUNT) -> dict[str, Any]:
    return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account,
            "accessKeyId": key}


def assumed_role(role: str = "ops", session: str = "bob", account: str = ACCOUNT,
                 key: str = "ASIAQGYBEXAMPLE2ROLE") -> dict[str, Any]:
    return {
        "type": "AssumedRole", "principalId": f"AROAEXAMPLEROLEID:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}", "accountId": account, "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLEID",
                              "arn": f"arn:aws:iam::{account}:role/{role}", "accountId": account, "userName": role},
            "webIdFederationData": {},
            "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def instance_role(instance: str = "i-0abc1234def567890", role: str = "app-server") -> dict[str, Any]:
    ui = assumed_role(role, instance, key="ASIAINSTANCEEXAMPLE1")
    ui["sessionContext"]["ec2RoleDelivery"] = "2.0"
    return ui


def service(name: str = "ec2.amazonaws.com") -> dict[str, Any]:
    return {"type": "AWSService", "invokedBy": name}


def ct(
    event: str,
    source: str,
    *,
    who: dict[str, Any] | None = None,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    error: str | None = None,
    ip: str = "198.51.100.7",
    time: str = "2024-05-01T10:00:00Z",
    region: str = "us-east-1",
    account: str = ACCOUNT,
    event_id: str | None = None,
    read_only: bool | None = False,
    **extra: Any,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": who if who is not None else iam_user(),
        "eventTime": time,
        "eventSource": f"{source}.amazonaws.com",
        "eventName": event,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": request,
        "responseElements": response,
        "requestID": "c6f8b8a5-1b4e-4c9e-9b0e-EXAMPLE",
        "eventID": event_id or f"ev-{next(_ids):06d}",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{source}.{region}.amazonaws.com"},
    }
    if error:
        rec["errorCode"] = error
        rec["errorMessage"] = f"{error}: example message"
    rec.update(extra)
    return rec


def console_login(who: dict[str, Any], *, ok: bool = True, mfa: str = "No", **kw: Any) -> dict[str, Any]:
    rec = ct("ConsoleLogin", "signin", who=who, request=None,
             response={"ConsoleLogin": "Success" if ok else "Failure"},
             additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
                                  "MFAUsed": mfa},
             eventType="AwsConsoleSignIn", userAgent="Mozilla/5.0 (X11; Linux x86_64)", **kw)
    if not ok:
        rec["errorMessage"] = "Failed authentication"
    return rec


def eventbridge(detail: dict[str, Any], detail_type: str = "AWS API Call via CloudTrail") -> dict[str, Any]:
    src = str(detail.get("eventSource", "ec2.amazonaws.com")).split(".")[0]
    return {"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": detail_type,
            "source": f"aws.{src}", "account": ACCOUNT, "time": detail.get("eventTime", "2024-05-01T10:00:00Z"),
            "region": detail.get("awsRegion", "us-east-1"), "resources": [], "detail": detail}
