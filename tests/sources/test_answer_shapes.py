"""Every operation a registered collector calls has a promised shape, and a 200 answer with a bad
body (truncated, foreign, HTML, empty) to any of them is a failure, never an empty result.

The operations are enumerated from the collector registry, so a new collector is covered (and
fails here until its operations have a promise in `railguard.sources.aws.shapes`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse

from railguard.sources.aws import shapes
from railguard.sources.aws.collector import all_collectors
from railguard.sources.aws.deadlines import Timeouts
from railguard.sources.aws.errors import BadAnswer, describe
from railguard.sources.aws.session import AccountSession

# the runner and the session call these too
EXTRA_CALLS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")


def _calls() -> list[str]:
    return sorted({c for col in all_collectors() for c in col.calls} | set(EXTRA_CALLS))


def _split(call: str) -> tuple[str, str]:
    prefix, op = call.split(":", 1)
    return shapes.client_name(prefix), op


_BOTOCORE = botocore.session.get_session()


def _operation(call: str) -> Any:
    client, op = _split(call)
    return _BOTOCORE.get_service_model(client).operation_model(op)


@pytest.mark.parametrize("call", _calls())
def test_every_collector_operation_has_a_promise_that_its_model_can_keep(call: str) -> None:
    op = _operation(call)
    promise = shapes.promise_for(op)
    assert promise is not None, f"{call}: add what a good answer holds to railguard.sources.aws.shapes.PROMISES"
    members = set(op.output_shape.members) if op.output_shape is not None else set()
    for key in (*promise.keys, *promise.omit_when_empty):
        assert key in members, f"{call}: {key} is not in the output shape ({sorted(members)})"
    protocol = op.service_model.resolved_protocol
    if protocol == "rest-xml":  # a foreign XML document parses as {}: only the root tells
        assert promise.root or promise.json_body, f"{call}: a REST-XML operation needs its root element"
    else:
        assert promise.keys or promise.omit_when_empty, f"{call}: the promise names no result key"


# --- each kind of bad body, on each operation, through botocore's real parsers ----------------

BAD_BODIES = {
    "truncated-json": b'{"Items": [{"Id": "ab',
    "truncated-xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<Response xmlns="urn:x"><Items><item><Id>ab',
    "foreign-xml": b"<Unexpected/>",
    "foreign-json": b"{}",
    "html": b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><p>Portal</p></body></html>",
    "empty": b"",
}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body

    def read(self, *_: Any, **__: Any) -> bytes:
        return self.body


def _dummy(shape: Any, depth: int = 0) -> Any:
    """A value that passes botocore's parameter validation for `shape` (required members only)."""
    kind = shape.type_name
    if kind == "structure":
        return {name: _dummy(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [_dummy(shape.member, depth + 1)]
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if kind in ("boolean",):
        return True
    if kind in ("blob",):
        return b"x"
    if kind == "timestamp":
        return 0
    enum = shape.metadata.get("enum")
    if enum:
        return enum[0]
    return "x" * max(1, int(shape.metadata.get("min", 1)))


def _session_client(call: str) -> tuple[Any, Any]:
    client_name, _ = _split(call)
    sess = AccountSession(boto3.Session(region_name="us-east-1"), "123456789012", endpoint_url="http://127.0.0.1:9",
                          timeouts=Timeouts(attempts=1))
    client = sess.client(client_name)
    return client, _operation(call)


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
@pytest.mark.parametrize("call", _calls())
def test_a_200_with_a_bad_body_is_never_an_answer(call: str, kind: str) -> None:
    client, op = _session_client(call)
    body = BAD_BODIES[kind]

    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"Content-Type": "text/html"}, _Raw(body))

    client.meta.events.register_first("before-send", answer)
    params = _dummy(op.input_shape) if op.input_shape is not None else {}
    method = getattr(client, botocore.xform_name(op.name))
    with pytest.raises(Exception) as caught:  # which exception depends on the protocol
        got = method(**params)
        got.pop("ResponseMetadata", None)
        pytest.fail(f"{call} read a {kind} body as an answer: {got!r}")
    reason = describe(caught.value, call)
    assert op.name in reason, reason
    assert "Portal" not in reason or len(reason) < 400  # quoted, but capped


def test_bad_answer_reason_is_capped_and_says_what_was_wrong() -> None:
    exc = BadAnswer("kms:ListKeys", 200, "the answer has no Keys", b"<html>" + b"x" * 20000)
    reason = describe(exc)
    assert "kms:ListKeys" in reason and "HTTP 200" in reason and "has no Keys" in reason
    assert "20006 bytes" in reason and len(reason) < 300


def test_an_empty_list_answer_from_aws_is_kept_and_a_missing_key_is_not() -> None:
    """sqs:ListQueues leaves QueueUrls out when a region has no queue: believed only from AWS."""
    client, _ = _session_client("sqs:ListQueues")
    headers: dict[str, str] = {"Content-Type": "application/x-amz-json-1.0"}

    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, dict(headers), _Raw(b"{}"))

    client.meta.events.register_first("before-send", answer)
    with pytest.raises(BadAnswer):
        client.list_queues()
    headers["x-amzn-RequestId"] = "0f3c5a9e-1111-2222-3333-444455556666"
    assert "QueueUrls" not in client.list_queues()
