"""Safeguards beside the breaker (which lives in the journal's `claim`): the quiet period, and whom a
countermeasure acts on.

Quiet period: no action on a resource that someone other than railguard changed within
`quiet_minutes`. It is read from CloudTrail `LookupEvents` (only when the guardrail sets
`quiet_minutes`); when the trail cannot be read the answer is unknown, and unknown holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from railguard.model import GLOBAL, Origin, Resource

_READ_ONLY = re.compile(r"^(Describe|Get|List|Lookup|Head|Batch(Get|Describe))")
_USER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):user/(?:.*/)?([^/]+)$")


@dataclass(frozen=True)
class QuietCheck:
    hold: bool
    reason: str = ""


def _own_arn(session: Any, cache: dict[int, str | None]) -> str | None:
    key = id(session)
    if key not in cache:
        try:
            cache[key] = session.client("sts").get_caller_identity()["Arn"]
        except Exception:
            cache[key] = None
    return cache[key]


def quiet_period(session: Any, resource: Resource, region: str, minutes: int, now: datetime,
                 cache: dict[int, str | None] | None = None) -> QuietCheck:
    """Hold when someone else changed the resource in the last `minutes`, or when that cannot be told."""
    from railguard.remediation.execute import error_text

    cache = {} if cache is None else cache
    me = _own_arn(session, cache)
    try:
        client = session.client("cloudtrail", region)
        pages = client.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": resource.id}],
            StartTime=now - timedelta(minutes=minutes), EndTime=now,
        )
        events = [e for p in pages for e in p.get("Events", [])]
    except Exception as exc:
        return QuietCheck(True, f"quiet period of {minutes} min: cannot tell who changed it lately "
                                f"(CloudTrail LookupEvents: {error_text(exc)}); held")
    for e in events:
        if _READ_ONLY.match(e.get("EventName", "")) or str(e.get("ReadOnly", "false")).lower() == "true":
            continue
        who = _principal(e)
        if me is not None and who == me:
            continue
        when = e.get("EventTime")
        at = f" at {when:%H:%M:%S}" if isinstance(when, datetime) else ""
        return QuietCheck(True, f"changed by {who or 'someone'} ({e.get('EventName')}){at}, within the "
                                f"{minutes}-minute quiet period; held")
    return QuietCheck(False)


def _principal(event: dict[str, Any]) -> str | None:
    import json

    raw = event.get("CloudTrailEvent")
    if raw:
        try:
            ident = json.loads(raw).get("userIdentity", {})
            return ident.get("arn") or ident.get("principalId")
        except ValueError:
            pass
    return event.get("Username")


def principal_user(principal: str) -> Resource | None:
    """The IAM user an ARN names (a countermeasure acts on users' keys), or None for other principals."""
    m = _USER_ARN.match(principal)
    if not m:
        return None
    account, name = m.groups()
    return Resource(type="AWS::IAM::User", id=name, arn=principal, account=account, region=GLOBAL,
                    origin=Origin(account=account, region=GLOBAL), name=name)
