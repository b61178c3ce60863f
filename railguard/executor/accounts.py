"""Accounts for distributed runs: the coordinator lists them (one identity call, one organization
listing) without entering any; each worker enters the account of its task itself, with its own
credentials (none ever travels through the broker or the store), and keeps the assumed session for
the next task of the same account.

The same rules as `open_sessions`: the caller's own account is read with its own credentials, every
other one through `--role-name`; an account whose role cannot be assumed is an UNKNOWN gap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from railguard.sources.aws.deadlines import Timeouts
from railguard.sources.aws.errors import describe
from railguard.sources.aws.session import (
    AccountSession,
    AwsSetupError,
    CallCounter,
    _assumed,
    _base_session,
    shared_session,
)

SESSION_TTL_S = 45 * 60  # assumed-role credentials last an hour
MAX_SESSIONS = 256  # accounts a worker child keeps entered (oldest dropped first)


def _assume(base: Any, sts: Any, role_arn: str) -> Any:
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="railguard")["Credentials"]
    return shared_session(creds, base.region_name)


@dataclass(frozen=True)
class Target:
    account: str
    assume: bool  # False: the caller's own account, read with the caller's credentials


def spec_of(options: Any) -> dict[str, Any]:
    """What a worker needs to enter accounts as the coordinator would (no secret: names and URLs)."""
    t = options.timeouts or Timeouts()
    return {"profile": options.profile, "endpoint_url": options.endpoint_url, "region": options.region,
            "role_arn": options.role_arn, "role_name": options.role_name,
            "timeouts": {k: getattr(t, k) for k in ("connect", "read", "attempts", "call", "collector")}}


def list_targets(options: Any, counter: CallCounter) -> list[Target]:
    """The accounts `open_sessions` would scan, in its order, without assuming into any."""
    import os

    endpoint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    base = _base_session(options.profile, options.region)
    if base.get_credentials() is None:
        raise AwsSetupError(
            "no AWS credentials found: configure a profile (--profile), environment variables "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or an instance role"
        )
    home = AccountSession(base, "", endpoint_url=endpoint, counter=counter, timeouts=options.timeouts)
    sts = home.client("sts")
    try:
        if options.role_arn:
            base = _assumed(base, sts, options.role_arn)
            home = AccountSession(base, "", endpoint_url=endpoint, counter=counter, timeouts=options.timeouts)
            sts = home.client("sts")
        me = str(sts.get_caller_identity()["Account"])
    except Exception as exc:
        raise AwsSetupError(f"cannot identify the AWS account at {endpoint or 'AWS'} ({describe(exc)})") from None
    targets = list(options.accounts)
    if options.org:
        try:
            pages = home.client("organizations").get_paginator("list_accounts").paginate()
            targets += [a["Id"] for p in pages for a in p["Accounts"] if a.get("Status") == "ACTIVE"]
        except Exception as exc:
            raise AwsSetupError(f"cannot list the organization's accounts ({describe(exc)})") from None
    if not targets:
        return [Target(me, False)]
    return [Target(a, not (a == me and not options.role_arn)) for a in dict.fromkeys(targets)]


class SessionCache:
    """Per worker process: the base session and assumed sessions by account, reused until near expiry.
    Each task gets a fresh `AccountSession` over them, so its API calls are counted for it alone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[tuple[Any, ...], tuple[Any, float]] = {}

    def enter(self, spec: Mapping[str, Any], account: str, assume: bool, counter: CallCounter) -> AccountSession:
        import os

        endpoint = spec.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL") or None
        timeouts = Timeouts(**spec.get("timeouts", {}))
        base_key = (spec.get("profile"), spec.get("region"), endpoint, spec.get("role_arn"))
        try:
            base = self._get(base_key, lambda: self._base(spec, endpoint, counter, timeouts))
        except Exception as exc:
            return AccountSession(_base_session(spec.get("profile"), spec.get("region")), account,
                                  endpoint_url=endpoint, counter=counter, timeouts=timeouts,
                                  error=f"cannot open the worker's AWS session ({describe(exc)})")
        if not assume:
            return AccountSession(base, account, endpoint_url=endpoint, counter=counter, timeouts=timeouts)
        arn = f"arn:aws:iam::{account}:role/{spec.get('role_name') or 'OrganizationAccountAccessRole'}"
        try:
            sess = self._get((*base_key, arn), lambda: _assume(
                base, AccountSession(base, "", endpoint_url=endpoint, counter=counter, timeouts=timeouts)
                .client("sts"), arn))
        except Exception as exc:
            return AccountSession(base, account, endpoint_url=endpoint, counter=counter, timeouts=timeouts,
                                  error=f"cannot assume {arn} ({describe(exc)})")
        return AccountSession(sess, account, endpoint_url=endpoint, counter=counter, timeouts=timeouts)

    @staticmethod
    def _base(spec: Mapping[str, Any], endpoint: str | None, counter: CallCounter, timeouts: Timeouts) -> Any:
        base = _base_session(spec.get("profile"), spec.get("region"))
        if spec.get("role_arn"):
            sts = AccountSession(base, "", endpoint_url=endpoint, counter=counter, timeouts=timeouts).client("sts")
            base = _assumed(base, sts, spec["role_arn"])
        return base

    def _get(self, key: tuple[Any, ...], make: Any) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._sessions.get(key)
            if hit is not None and hit[1] > now:
                return hit[0]
        value = make()
        with self._lock:
            self._sessions[key] = (value, now + SESSION_TTL_S)
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
        return value
