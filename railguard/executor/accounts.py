"""Accounts for distributed runs: the coordinator lists them (one identity call, one organization
listing) without entering any; each worker enters the account of its task itself, with its own
credentials (none ever travels through the broker or the store), and keeps the assumed session for
the next task of the same account.

The same rules as `open_sessions`: the caller's own account is read with its own credentials, every
other one through `--role-name`; an account whose role cannot be assumed is an UNKNOWN gap.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
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


class SharedCredentials:
    """Assumed-role credentials shared by the children of one `railguard worker`, until near expiry.

    Without it each child assumes the role of an account again for each of its tasks' accounts (with
    8 children, up to 3 `AssumeRole` per account where the local executor makes one). Kept like the
    AWS CLI's own cache: files of the worker's user, mode 0600, in the worker's private temporary
    directory (0700, removed when the worker stops); never in the broker or the store."""

    def __init__(self, directory: str) -> None:
        self.dir = directory

    def _path(self, key: tuple[Any, ...]) -> str:
        import hashlib
        import os

        return os.path.join(self.dir, hashlib.sha256(repr(key).encode()).hexdigest()[:32] + ".json")

    def get(self, key: tuple[Any, ...]) -> tuple[dict[str, Any], float] | None:
        """(credentials, seconds left) when fresh."""
        import json

        try:
            with open(self._path(key), encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError):
            return None
        left = float(d.get("expires", 0)) - time.time()
        return (d, left) if left > 60 else None

    def put(self, key: tuple[Any, ...], creds: Mapping[str, Any], expires: float) -> None:
        import json
        import os

        path = self._path(key)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({k: creds[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")} |
                          {"expires": expires}, f)
            os.replace(tmp, path)
        except OSError:  # a full or vanished directory: the child keeps its own copy only
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _expiry(creds: Mapping[str, Any]) -> float:
    """Epoch seconds at which to stop using these credentials: 10 minutes before they expire."""
    exp: Any = creds.get("Expiration")
    until = exp.timestamp() - 600 if isinstance(exp, datetime) else time.time() + SESSION_TTL_S
    return min(until, time.time() + SESSION_TTL_S)


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

    def __init__(self, shared_dir: str | None = None) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[tuple[Any, ...], tuple[Any, float]] = {}
        self.shared = SharedCredentials(shared_dir) if shared_dir else None

    def enter(self, spec: Mapping[str, Any], account: str, assume: bool, counter: CallCounter) -> AccountSession:
        import os

        endpoint = spec.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL") or None
        timeouts = Timeouts(**spec.get("timeouts", {}))
        base_key = (spec.get("profile"), spec.get("region"), endpoint, spec.get("role_arn"))
        try:
            base = self._get(base_key, lambda: (self._base(spec, endpoint, counter, timeouts), SESSION_TTL_S))
        except Exception as exc:
            return AccountSession(_base_session(spec.get("profile"), spec.get("region")), account,
                                  endpoint_url=endpoint, counter=counter, timeouts=timeouts,
                                  error=f"cannot open the worker's AWS session ({describe(exc)})")
        if not assume:
            return AccountSession(base, account, endpoint_url=endpoint, counter=counter, timeouts=timeouts)
        arn = f"arn:aws:iam::{account}:role/{spec.get('role_name') or 'OrganizationAccountAccessRole'}"

        def assume_role() -> tuple[Any, float]:
            key = (*base_key, arn)
            cached = self.shared.get(key) if self.shared else None
            if cached is not None:
                return shared_session(cached[0], base.region_name), cached[1]
            sts = AccountSession(base, "", endpoint_url=endpoint, counter=counter, timeouts=timeouts).client("sts")
            creds = sts.assume_role(RoleArn=arn, RoleSessionName="railguard")["Credentials"]
            expires = _expiry(creds)
            if self.shared:
                self.shared.put(key, creds, expires)
            return shared_session(creds, base.region_name), expires - time.time()

        try:
            sess = self._get((*base_key, arn), assume_role)
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

    def _get(self, key: tuple[Any, ...], make: Callable[[], tuple[Any, float]]) -> Any:
        """`make` returns (value, seconds it may be used)."""
        now = time.monotonic()
        with self._lock:
            hit = self._sessions.get(key)
            if hit is not None and hit[1] > now:
                return hit[0]
        value, ttl = make()
        with self._lock:
            self._sessions[key] = (value, now + min(ttl, SESSION_TTL_S))
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
        return value
