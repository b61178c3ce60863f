"""Slack and generic webhooks against a local HTTP server: retries, undelivered, never raising."""

from __future__ import annotations

import json

import pytest

from railguard.notify import ChannelConfig, Notification, aggregate, deliver
from tests.notify.conftest import Endpoint
from tests.notify.helpers import run_items


@pytest.fixture
def note() -> Notification:
    out = aggregate(run_items(30), top=5, run_id="run-7", link="https://railguard.example.com/runs/7")
    assert out is not None
    return out


class Pauses(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_slack_message_shows_title_counts_and_top_items(endpoint: Endpoint, note: Notification) -> None:
    d = deliver(ChannelConfig(slack_webhook=endpoint.url), note)
    assert (d.ok, d.attempts, d.error, d.kind) == (True, 1, None, "slack_webhook")
    payload = json.loads(endpoint.bodies[0])
    assert endpoint.headers[0]["content-type"] == "application/json"
    assert payload["text"] == note.title
    blocks = payload["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": note.title}}
    counts = {f["text"] for f in blocks[1]["fields"]}
    assert "*fixed*\n5" in counts and "*held (needs a human)*\n5" in counts
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert any("A human needs to look" in s for s in sections)
    listed = [s for s in sections if "ec2.sg-admin-port-open-to-world on sg-" in s]
    assert len(listed) == 5 and listed[0].startswith("*[CRITICAL] held (needs a human):")
    contexts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert sum(c.startswith("seen ") for c in contexts) == 5
    assert "and 25 more · run run-7 · <https://railguard.example.com/runs/7|details>" in contexts


def test_slack_markup_in_values_is_escaped(endpoint: Endpoint) -> None:
    from railguard.notify import NoteItem

    note = aggregate([NoteItem("c", "<!channel> <https://evil.example|click>", "new", summary="a & b")])
    assert note is not None
    assert deliver(ChannelConfig(slack_webhook=endpoint.url), note).ok
    body = endpoint.bodies[0].decode()
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body and "a &amp; b" in body


def test_webhook_body_is_the_notification_as_json(endpoint: Endpoint, note: Notification) -> None:
    cfg = ChannelConfig.model_validate({"webhook": endpoint.url, "headers": {"Authorization": "Bearer abc"}})
    assert deliver(cfg, note).ok
    assert json.loads(endpoint.bodies[0]) == note.as_json()
    assert endpoint.headers[0]["authorization"] == "Bearer abc"
    body = json.loads(endpoint.bodies[0])
    assert body["total"] == 30 and body["more"] == 25 and body["needs_human"] is True


def test_a_500_then_success_is_retried_with_backoff(endpoint: Endpoint, note: Notification) -> None:
    endpoint.script = [500]
    pauses = Pauses()
    d = deliver(ChannelConfig(slack_webhook=endpoint.url), note, sleep=pauses)
    assert (d.ok, d.attempts) == (True, 2)
    assert len(endpoint.bodies) == 2 and endpoint.bodies[0] == endpoint.bodies[1]
    assert len(pauses) == 1 and 0 < pauses[0] <= 0.5


def test_a_persistent_500_is_recorded_as_undelivered(endpoint: Endpoint, note: Notification) -> None:
    endpoint.default = 500
    pauses = Pauses()
    d = deliver(ChannelConfig(webhook=endpoint.url), note, attempts=3, sleep=pauses)
    assert (d.ok, d.attempts, d.kind) == (False, 3, "webhook")
    assert d.error is not None and d.error.startswith("undelivered after 3 attempts: HTTP 500")
    assert endpoint.url.split("/")[-1] not in d.error and "127.0.0.1" not in d.error
    assert len(endpoint.bodies) == 3
    assert len(pauses) == 2 and pauses[1] > pauses[0] / 2  # backoff grows (with jitter)


def test_a_timeout_is_retried_then_recorded_as_undelivered(endpoint: Endpoint, note: Notification) -> None:
    endpoint.default = "hang"
    d = deliver(ChannelConfig(slack_webhook=endpoint.url), note, timeout=0.3, attempts=2, sleep=Pauses())
    assert (d.ok, d.attempts) == (False, 2)
    assert d.error is not None and "timed out after 0.3 s" in d.error
    assert len(endpoint.bodies) == 2


def test_a_client_error_is_not_retried(endpoint: Endpoint, note: Notification) -> None:
    endpoint.default = 404
    d = deliver(ChannelConfig(slack_webhook=endpoint.url), note, sleep=Pauses())
    assert (d.ok, d.attempts) == (False, 1)
    assert d.error == "HTTP 404: server trouble"


def test_429_honours_retry_after_within_the_cap(endpoint: Endpoint, note: Notification) -> None:
    endpoint.script = [429]
    pauses = Pauses()
    d = deliver(ChannelConfig(webhook=endpoint.url), note, sleep=pauses)
    assert (d.ok, d.attempts) == (True, 2) and len(pauses) == 1


def test_nothing_listening_is_a_connection_error_not_an_exception(note: Notification) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pauses = Pauses()
    d = deliver(ChannelConfig(webhook=f"http://127.0.0.1:{port}/hook"), note, attempts=2, sleep=pauses)
    assert (d.ok, d.attempts) == (False, 2)
    assert d.error is not None and "connection failed (ConnectError)" in d.error
