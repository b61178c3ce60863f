"""Deadlines: how long one API call and one collector may take before their slice becomes a gap.

botocore bounds one attempt (connect and read timeouts) and the number of attempts, but not
their sum: a stalled endpoint costs read timeout x attempts plus the backoff between them (over
six minutes with botocore's defaults). Two hooks on every client close that:

- `before-call` stamps the call with its deadline: now + `call` seconds, or the collector's own
  deadline when that comes first; a call started after its collector's deadline fails at once.
- `needs-retry` refuses to retry a failed attempt once the deadline has passed, raising
  `DeadlineExceeded` (a gap or an `Unknown`, like any failed call) instead of trying again.

So a stalled call costs at most about `call + read` seconds, and a collector about
`collector + read` seconds. The collector's deadline travels in a context variable that the
runner sets per task; `per_resource` and other worker pools copy it into their threads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from railguard.sources.aws.errors import THROTTLED, DeadlineExceeded, describe

_KEY = "railguard_deadline"
_COLLECTOR: ContextVar[tuple[float, str] | None] = ContextVar("railguard_collector_deadline", default=None)


@dataclass(frozen=True)
class Timeouts:
    """Seconds (and attempts) for the AWS calls of a scan; `railguard.yaml` `timeouts:` and flags."""

    connect: float = 5.0  # to open a connection
    read: float = 20.0  # between two bytes of an answer
    attempts: int = 5  # tries per call (botocore's adaptive retries)
    call: float = 45.0  # all tries of one call together
    collector: float = 600.0  # one collector in one account and region


@contextmanager
def collector_deadline(seconds: float, what: str) -> Iterator[None]:
    """Calls made inside (in this thread, or in pools that copy the context) end by now + seconds."""
    token = _COLLECTOR.set((time.monotonic() + seconds, f"{what} ({seconds:g} s)"))
    try:
        yield
    finally:
        _COLLECTOR.reset(token)


def install(client: Any, timeouts: Timeouts) -> None:
    def start(model: Any, context: dict[str, Any], **_: Any) -> None:
        now = time.monotonic()
        deadline, why = now + timeouts.call, f"the {timeouts.call:g} s call deadline"
        collector = _COLLECTOR.get()
        if collector is not None:
            if now >= collector[0]:
                raise DeadlineExceeded(f"{_op(model)} not called: past the collector deadline of {collector[1]}")
            if collector[0] < deadline:
                deadline, why = collector[0], f"the collector deadline of {collector[1]}"
        context[_KEY] = (deadline, why)

    def enforce(
        response: Any = None, operation: Any = None, attempts: int = 1, caught_exception: Any = None,
        request_dict: Any = None, **_: Any,
    ) -> None:
        stamp = ((request_dict or {}).get("context") or {}).get(_KEY)
        if stamp is None or time.monotonic() < stamp[0] or not _would_retry(response, caught_exception):
            return
        last = describe(caught_exception) if caught_exception is not None else _status(response)
        raise DeadlineExceeded(
            f"{_op(operation)}: no answer within {stamp[1]} after {attempts} attempt(s) (last: {last})"
        )

    client.meta.events.register("before-call", start)
    client.meta.events.register_first("needs-retry", enforce)


def _would_retry(response: Any, caught: Any) -> bool:
    if caught is not None:
        return True
    if not response:
        return False
    http, parsed = response
    status = int(getattr(http, "status_code", 0) or 0)
    code = str(((parsed or {}).get("Error") or {}).get("Code") or "")
    return status >= 500 or status == 429 or code in THROTTLED


def _status(response: Any) -> str:
    http, parsed = response
    code = ((parsed or {}).get("Error") or {}).get("Code")
    return f"HTTP {getattr(http, 'status_code', '?')}{f' {str(code)[:60]}' if code else ''}"


def _op(model: Any) -> str:
    if model is None:
        return "the call"
    return f"{model.service_model.service_name}:{model.name}"
