"""Turn botocore failures into short, credential-free reasons for gaps and UNKNOWN findings."""

from __future__ import annotations

from typing import Any

DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "OptInRequired",
    "SubscriptionRequiredException",
}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
}


BODY_BYTES = 80  # how much of an answer a reason may quote (redacted)


class BadAnswer(Exception):
    """A 2xx answer that is not the document its operation promises (see `shapes`)."""

    def __init__(self, operation: str, status: int, why: str, body: bytes = b"", headers: Any = None) -> None:
        self.operation = operation
        self.status = status
        self.why = why
        self.body_summary = summarize_body(body)
        quoted = f"; {self.body_summary}" if body else ""
        super().__init__(f"malformed answer to {operation} (HTTP {status}: {why}{quoted})")


class DeadlineExceeded(Exception):
    """A call or a collector ran past its deadline (see `deadlines`)."""


def summarize_body(body: bytes | str | None, limit: int = BODY_BYTES) -> str:
    """`body 13012 bytes: '<html><head>…'`: the size and the first bytes, secrets redacted."""
    from railguard.model.redact import redact_text

    if body is None:
        return "no body"
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "replace")
    if not raw:
        return "empty body"
    head = raw[: limit * 4].decode("utf-8", "replace")
    head = " ".join(redact_text(head).split())[:limit]
    more = "…" if len(raw) > len(head) else ""
    return f"body {len(raw)} bytes: {head!r}{more}"


def error_code(exc: BaseException) -> str | None:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "") or None
    return None


def describe(exc: BaseException, operation: str | None = None) -> str:
    """A one-line reason such as `access denied (AccessDenied) on s3:GetBucketPolicy`."""
    from botocore import exceptions as be
    from botocore.parsers import ResponseParserError

    op = operation or getattr(exc, "operation_name", None)
    where = f" on {op}" if op else ""
    if isinstance(exc, BadAnswer | DeadlineExceeded):
        return str(exc)
    code = error_code(exc)
    if code in DENIED:
        return f"access denied ({code}){where}"
    if code in THROTTLED:
        return f"throttled past retries ({code}){where}"
    if code and code.isdigit():  # no error document: the endpoint failed or does not serve the API
        return f"the service answered HTTP {code}{where} (an emulator that does not implement it, or an outage)"
    if code:
        status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"API error {_capped(code, 80)}{f' (HTTP {status})' if status else ''}{where}"
    if isinstance(exc, be.NoCredentialsError | be.PartialCredentialsError):
        return "no AWS credentials found"
    if isinstance(exc, be.EndpointConnectionError | be.ConnectTimeoutError):
        return f"endpoint unreachable{where}"
    if isinstance(exc, be.ReadTimeoutError):
        return f"endpoint timed out{where}"
    if isinstance(exc, ResponseParserError):  # its message quotes the whole body
        return f"unreadable answer{where} ({_first_line(exc)})"
    if isinstance(exc, be.ConnectionClosedError | be.ConnectionError):
        return f"connection failed{where} ({type(exc).__name__})"
    return f"{type(exc).__name__}{where}: {_capped(str(exc))}"


def _first_line(exc: BaseException) -> str:
    return _capped(str(exc).split("\n", 1)[0].split(", invalid", 1)[0])


def _capped(text: str, limit: int = 200) -> str:
    """One line, at most `limit` characters, secrets redacted: exception texts may quote anything."""
    from railguard.model.redact import redact_text

    line = " ".join(redact_text(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def is_code(exc: BaseException, *codes: str) -> bool:
    return error_code(exc) in codes
