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


def error_code(exc: BaseException) -> str | None:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "") or None
    return None


def describe(exc: BaseException, operation: str | None = None) -> str:
    """A one-line reason such as `access denied (AccessDenied) on s3:GetBucketPolicy`."""
    from botocore import exceptions as be

    op = operation or getattr(exc, "operation_name", None)
    where = f" on {op}" if op else ""
    code = error_code(exc)
    if code in DENIED:
        return f"access denied ({code}){where}"
    if code in THROTTLED:
        return f"throttled past retries ({code}){where}"
    if code and code.isdigit():  # no error document: the endpoint failed or does not serve the API
        return f"the service answered HTTP {code}{where} (an emulator that does not implement it, or an outage)"
    if code:
        status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"API error {code}{f' (HTTP {status})' if status else ''}{where}"
    if isinstance(exc, be.NoCredentialsError | be.PartialCredentialsError):
        return "no AWS credentials found"
    if isinstance(exc, be.EndpointConnectionError | be.ConnectTimeoutError):
        return f"endpoint unreachable{where}"
    if isinstance(exc, be.ReadTimeoutError):
        return f"endpoint timed out{where}"
    if isinstance(exc, be.BotoCoreError):
        return f"{type(exc).__name__}{where}: {exc}"
    return f"{type(exc).__name__}{where}: {exc}"


def is_code(exc: BaseException, *codes: str) -> bool:
    return error_code(exc) in codes
