"""Deliver a notification to one channel: retried with backoff, redacted first, never raises.

Retried: HTTP 5xx and 429, timeouts, connection errors, AWS throttling and 5xx. Not retried: any
other 4xx or AWS client error (a wrong URL or a denied publish will not fix itself). After the
last attempt the delivery is recorded as undelivered and the run goes on. Errors name the
status or exception type, never the URL (a Slack webhook URL is a credential).
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import httpx
import orjson

from railguard.notify import render
from railguard.notify.config import ChannelConfig
from railguard.notify.model import Delivery, Notification
from railguard.notify.redact import redact_note
from railguard.secrets import redact_text

ATTEMPTS = 3
BACKOFF_S = 0.5  # first pause; doubles per attempt, with jitter
BACKOFF_CAP_S = 8.0
_AWS_RETRY_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                              "TooManyRequestsException", "ServiceUnavailable", "InternalError", "InternalFailure"})


class Retryable(Exception):
    """A failure worth another attempt; `after` is a server's Retry-After, in seconds."""

    def __init__(self, message: str, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class Failed(Exception):
    """A failure another attempt will not fix."""


class ClientFactory(Protocol):
    def client(self, service_name: str, **kwargs: Any) -> Any: ...


def deliver(channel: ChannelConfig, note: Notification, *, timeout: float = 5.0, attempts: int = ATTEMPTS,
            session: ClientFactory | None = None, sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Send `note` to `channel`. `session` makes the SNS/SES clients (default: a new boto3 session);
    `sleep` is the pause between attempts (tests pass a recorder)."""
    kind = channel.kind
    try:
        safe = redact_note(note)
        send = _sender(channel, safe, timeout, session)
    except Exception as exc:  # a bug or a broken environment must not stop the run
        return Delivery(False, 0, _err(f"could not prepare the message: {type(exc).__name__}: {exc}"), kind)
    return _with_retries(send, kind, max(1, attempts), sleep)


def deliver_all(notes: Mapping[str, Notification], channels: Mapping[str, ChannelConfig], *,
                timeout: float = 5.0, session: ClientFactory | None = None) -> dict[str, Delivery]:
    """Deliver each channel's notification concurrently (a slow channel does not delay the others)."""
    if not notes:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(notes))) as pool:
        futures = {name: pool.submit(deliver, channels[name], note, timeout=timeout, session=session)
                   for name, note in notes.items()}
        return {name: f.result() for name, f in futures.items()}


def _err(message: str) -> str:
    return redact_text(message)[:500]


def _with_retries(send: Callable[[], str | None], kind: str, attempts: int,
                  sleep: Callable[[float], None]) -> Delivery:
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            return Delivery(True, attempt, None, kind, send())
        except Retryable as exc:
            error = str(exc)
            if attempt < attempts:
                pause = min(BACKOFF_CAP_S, BACKOFF_S * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
                sleep(min(BACKOFF_CAP_S, exc.after) if exc.after is not None else pause)
        except Failed as exc:
            return Delivery(False, attempt, _err(str(exc)), kind)
        except Exception as exc:
            return Delivery(False, attempt, _err(f"{type(exc).__name__}: {exc}"), kind)
    return Delivery(False, attempts, _err(f"undelivered after {attempts} attempts: {error}"), kind)


def _sender(channel: ChannelConfig, note: Notification, timeout: float,
            session: ClientFactory | None) -> Callable[[], str | None]:
    kind = channel.kind
    if kind == "slack_webhook":
        assert channel.slack_webhook is not None
        return _http_post(channel.slack_webhook.get_secret_value(), render.slack(note), {}, timeout)
    if kind == "webhook":
        assert channel.webhook is not None
        headers = {k: v.get_secret_value() for k, v in channel.headers.items()}
        return _http_post(channel.webhook.get_secret_value(), note.as_json(), headers, timeout)
    if kind == "stdout":
        return lambda: _stdout(note)
    if kind == "sns_topic":
        return _sns(channel, note, timeout, session)
    return _ses(channel, note, timeout, session)


def _stdout(note: Notification) -> None:
    sys.stdout.write(orjson.dumps(note.as_json()).decode() + "\n")
    sys.stdout.flush()


def _http_post(url: str, payload: Mapping[str, Any], headers: dict[str, str],
               timeout: float) -> Callable[[], str | None]:
    body = orjson.dumps(payload)
    hdrs = {"Content-Type": "application/json", "User-Agent": "railguard-notify", **headers}

    def send() -> None:
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                resp = client.post(url, content=body, headers=hdrs)
        except httpx.TimeoutException as exc:
            raise Retryable(f"timed out after {timeout:g} s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise Retryable(f"connection failed ({type(exc).__name__})") from None
        if resp.status_code < 300:
            return
        reason = f"HTTP {resp.status_code}" + (f": {resp.text[:200]}" if resp.text else "")
        if resp.status_code >= 500 or resp.status_code == 429:
            raise Retryable(reason, _retry_after(resp.headers.get("Retry-After")))
        raise Failed(reason)

    return send


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _aws_client(session: ClientFactory | None, service: str, region: str, timeout: float) -> Any:
    import boto3
    from botocore.config import Config

    factory: ClientFactory = session if session is not None else boto3.session.Session()
    cfg = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1, "mode": "standard"})
    return factory.client(service, region_name=region, config=cfg)


def _aws_call(call: Callable[[], Mapping[str, Any]]) -> str | None:
    from botocore import exceptions as bce

    try:
        resp = call()
    except bce.ClientError as exc:
        err = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        reason = f"{err.get('Code', 'error')}: {err.get('Message', '')}"
        if status >= 500 or err.get("Code") in _AWS_RETRY_CODES:
            raise Retryable(reason) from None
        raise Failed(reason) from None
    except (bce.ConnectTimeoutError, bce.ReadTimeoutError) as exc:
        raise Retryable(f"timed out ({type(exc).__name__})") from None
    except (bce.ConnectionError, bce.HTTPClientError) as exc:
        raise Retryable(f"connection failed ({type(exc).__name__})") from None
    except bce.BotoCoreError as exc:  # no credentials, no region, ...: not worth retrying
        raise Failed(f"{type(exc).__name__}: {exc}") from None
    return resp.get("MessageId")


def _sns(channel: ChannelConfig, note: Notification, timeout: float,
         session: ClientFactory | None) -> Callable[[], str | None]:
    client = _aws_client(session, "sns", channel.topic_region, timeout)
    message = render.text(note)
    args: dict[str, Any] = {
        "TopicArn": channel.sns_topic, "Subject": render.subject(note), "Message": message,
        "MessageAttributes": {
            "severity": {"DataType": "String", "StringValue": note.severity.value},
            "needs_human": {"DataType": "String", "StringValue": str(note.needs_human).lower()},
        },
    }
    if channel.sns_topic and channel.sns_topic.endswith(".fifo"):
        args["MessageGroupId"] = "railguard"
        args["MessageDeduplicationId"] = hashlib.sha256(message.encode()).hexdigest()
    return lambda: _aws_call(lambda: client.publish(**args))


def _ses(channel: ChannelConfig, note: Notification, timeout: float,
         session: ClientFactory | None) -> Callable[[], str | None]:
    target = channel.ses
    assert target is not None
    region = target.region or _default_region(session)
    client = _aws_client(session, "ses", region, timeout)
    message = {
        "Subject": {"Data": render.subject(note, 200), "Charset": "UTF-8"},
        "Body": {"Text": {"Data": render.text(note), "Charset": "UTF-8"},
                 "Html": {"Data": render.email_html(note), "Charset": "UTF-8"}},
    }
    return lambda: _aws_call(lambda: client.send_email(
        Source=target.sender, Destination={"ToAddresses": list(target.to)}, Message=message))


def _default_region(session: ClientFactory | None) -> str:
    region = getattr(session, "region_name", None)
    if not region:
        import boto3

        region = boto3.session.Session().region_name
    return region or "us-east-1"
