"""Sessions per account: the standard credential chain, a profile, an endpoint, assumed roles.

boto3 sessions are not thread-safe but clients are: an `AccountSession` creates each
(service, region) client once under a lock and hands the same client to every thread.
Every HTTP attempt (retries included) is counted through botocore's `before-send` event.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from railguard.sources.aws import deadlines, shapes
from railguard.sources.aws.deadlines import Timeouts
from railguard.sources.aws.errors import describe

DEFAULT_REGION = "us-east-1"


class AwsSetupError(Exception):
    """Credentials, profile or role problems that stop the scan before it starts."""


@dataclass
class CallCounter:
    """Thread-safe count of HTTP requests sent, by `service:Operation`."""

    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, event_name: str = "", **_: Any) -> None:
        # event_name is `before-send.<service>.<Operation>`
        parts = event_name.split(".")
        key = f"{parts[1]}:{parts[2]}" if len(parts) >= 3 else event_name
        with self._lock:
            self.counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())


class AccountSession:
    """Clients for one account, shared by every collector thread."""

    def __init__(
        self,
        session: boto3.Session,
        account: str,
        *,
        endpoint_url: str | None = None,
        counter: CallCounter | None = None,
        max_pool: int = 32,
        timeouts: Timeouts | None = None,
        error: str | None = None,
    ) -> None:
        self.session = session
        self.account = account
        self.endpoint_url = endpoint_url
        self.counter = counter or CallCounter()
        self.error = error  # set when the account could not be entered (assume-role denied)
        self._clients: dict[tuple[str, str], Any] = {}
        self._partitions: dict[str, str] = {}
        self._lock = threading.Lock()
        self.timeouts = timeouts or Timeouts()
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": self.timeouts.attempts},
            max_pool_connections=max_pool,
            connect_timeout=self.timeouts.connect,
            read_timeout=self.timeouts.read,
        )

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.session.region_name or DEFAULT_REGION
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                config = self._config
                if service == "s3control" and self.endpoint_url:
                    # s3control prepends the account id to the host, which an IP endpoint can't serve
                    config = config.merge(Config(inject_host_prefix=False))
                client = self.session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=config
                )
                client.meta.events.register("before-send", self.counter.hook)
                shapes.install(client)  # a 200 with a bad body is a failure, not "no resources"
                deadlines.install(client, self.timeouts)
                if service == "s3control" and self.endpoint_url:
                    # botocore's endpoint rules add the account id to the host even so: strip it
                    client.meta.events.register("before-sign.s3-control", _strip_account_host(self.endpoint_url))
                self._clients[key] = client
            return self._clients[key]

    def release(self) -> None:
        """Drop this account's clients (made again on next use): each holds its own parsed shapes and
        connection pool, so a scan keeps only the accounts in progress, not every account, in memory."""
        with self._lock:  # not closed: a caller may still hold one; its pool goes with it
            self._clients = {}

    def partition(self, region: str) -> str:
        """The ARN partition of `region`, looked up once (the boto3 session is not thread-safe)."""
        with self._lock:
            if region not in self._partitions:
                try:
                    self._partitions[region] = str(self.session.get_partition_for_region(region))
                except Exception:  # a region botocore does not know (an emulator's name)
                    self._partitions[region] = "aws"
            return self._partitions[region]


def _strip_account_host(endpoint_url: str) -> Any:
    """A `before-sign` hook turning `https://<account>.<endpoint host>/...` back into the endpoint's host."""
    from urllib.parse import urlsplit, urlunsplit

    endpoint_host = urlsplit(endpoint_url).netloc

    def hook(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        label, _, rest = parts.netloc.partition(".")
        if rest == endpoint_host and label.isdigit():
            request.url = urlunsplit(parts._replace(netloc=rest))

    return hook


def _base_session(profile: str | None, region: str | None) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile, region_name=region or _env_region())
    except Exception as exc:  # ProfileNotFound and friends
        name = profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
        raise AwsSetupError(f"cannot open AWS profile {name!r}: {exc}") from None


def _env_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def shared_session(creds: dict[str, Any], region: str | None) -> boto3.Session:
    """A boto3 session on assumed credentials that shares one botocore data loader per process:
    without it every account's session parses its own copy of the service models (tens of MB for
    EC2), and memory would grow with the accounts entered (about 1.2 GB at 40 accounts)."""
    import botocore.session

    global _LOADER
    bs = botocore.session.Session()
    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = bs.get_component("data_loader")
        else:
            bs.register_component("data_loader", _LOADER)
    bs.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    return boto3.Session(botocore_session=bs, region_name=region)


def _assumed(base: boto3.Session, sts: Any, role_arn: str, name: str = "railguard") -> boto3.Session:
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return shared_session(creds, base.region_name)


def open_sessions(
    *,
    profile: str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    role_arn: str | None = None,
    accounts: Iterable[str] = (),
    org: bool = False,
    role_name: str = "OrganizationAccountAccessRole",
    counter: CallCounter | None = None,
    max_pool: int = 32,
    timeouts: Timeouts | None = None,
) -> list[AccountSession]:
    """One session per account to scan. An account whose role cannot be assumed is kept with
    `error` set, so that the report shows it as UNKNOWN rather than silently dropping it."""
    counter = counter or CallCounter()
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    base = _base_session(profile, region)
    if base.get_credentials() is None:
        raise AwsSetupError(
            "no AWS credentials found: configure a profile (--profile), environment variables "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or an instance role"
        )
    home = AccountSession(base, "", endpoint_url=endpoint_url, counter=counter, max_pool=max_pool,
                          timeouts=timeouts)
    sts = home.client("sts")
    try:
        if role_arn:
            base = _assumed(base, sts, role_arn)
            home = AccountSession(base, "", endpoint_url=endpoint_url, counter=counter, max_pool=max_pool,
                          timeouts=timeouts)
            sts = home.client("sts")
        home.account = sts.get_caller_identity()["Account"]
    except Exception as exc:
        where = getattr(getattr(sts, "meta", None), "endpoint_url", None) or endpoint_url or "AWS"
        raise AwsSetupError(f"cannot identify the AWS account at {where} ({describe(exc)})") from None

    targets = list(accounts)
    if org:
        try:
            pages = home.client("organizations").get_paginator("list_accounts").paginate()
            targets += [a["Id"] for p in pages for a in p["Accounts"] if a.get("Status") == "ACTIVE"]
        except Exception as exc:
            raise AwsSetupError(f"cannot list the organization's accounts ({describe(exc)})") from None
    if not targets:
        return [home]

    out: list[AccountSession] = []
    for acct in dict.fromkeys(targets):
        if acct == home.account and not role_arn:
            out.append(home)
            continue
        arn = f"arn:aws:iam::{acct}:role/{role_name}"
        try:
            sess = _assumed(base, sts, arn)
            out.append(AccountSession(sess, acct, endpoint_url=endpoint_url, counter=counter, max_pool=max_pool,
                          timeouts=timeouts))
        except Exception as exc:
            out.append(
                AccountSession(
                    base, acct, endpoint_url=endpoint_url, counter=counter, timeouts=timeouts,
                    error=f"cannot assume {arn} ({describe(exc)})",
                )
            )
    return out
