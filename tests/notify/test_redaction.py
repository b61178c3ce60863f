"""A credential planted in an item never reaches any channel's delivered body."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from railguard.notify import ChannelConfig, Notification, aggregate, deliver, deliver_all
from railguard.notify.redact import redact_note
from tests.notify.conftest import Endpoint
from tests.notify.helpers import leaky_item, planted, run_items


@pytest.fixture
def leaky() -> Notification:
    note = aggregate([leaky_item(), *run_items(5)], top=3)
    assert note is not None
    return note


def _clean(text: str) -> None:
    for fragment in planted().fragments:
        assert fragment not in text


def test_aggregate_already_redacts_what_it_lists(leaky: Notification) -> None:
    _clean(json.dumps(leaky.as_json()))
    item = leaky.items[0]
    assert item["resource"] == "user/ci (key AKIA****)"
    assert item["summary"] == "tag Notes holds aws_secret_access_key=****"
    assert "-----BEGIN RSA PRIVATE KEY-----****" in item["history"]


def test_deliver_redacts_a_notification_built_by_hand(endpoint: Endpoint) -> None:
    p = planted()
    raw = Notification(title=f"key {p.access_key_id} leaked", severity=leaky_item().severity,
                       counts={"held": 1}, items=[leaky_item().as_dict()],
                       link=f"https://x.example/?aws_secret_access_key={p.secret_access_key}")
    for cfg in (ChannelConfig(slack_webhook=endpoint.url), ChannelConfig(webhook=endpoint.url)):
        assert deliver(cfg, raw).ok
    assert len(endpoint.bodies) == 2
    for body in endpoint.bodies:
        _clean(body.decode())
    assert "AKIA****" in endpoint.bodies[1].decode()


def test_stdout_is_one_redacted_json_line(capsys: pytest.CaptureFixture[str], leaky: Notification) -> None:
    d = deliver(ChannelConfig(stdout=True), leaky)
    assert (d.ok, d.attempts, d.kind) == (True, 1, "stdout")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == redact_note(leaky).as_json()
    _clean(out)


def test_sns_and_ses_requests_carry_no_secret(aws: None) -> None:
    p = planted()
    raw = Notification(title=f"key {p.access_key_id}", severity=leaky_item().severity, counts={"held": 1},
                       items=[leaky_item().as_dict()])
    sent: list[Any] = []

    class Recording:
        def client(self, service_name: str, **kw: Any) -> Any:
            c = boto3.client(service_name, **kw)
            c.meta.events.register("provide-client-params", lambda params, **_: sent.append(params))
            return c

    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress="rg@example.com")
    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="t")["TopicArn"]
    channels = {
        "sns": ChannelConfig(sns_topic=topic),
        "mail": ChannelConfig.model_validate({"ses": {"from": "rg@example.com", "to": ["a@example.com"]}}),
    }
    results = deliver_all({"sns": raw, "mail": raw}, channels, session=Recording())
    assert {n: d.ok for n, d in results.items()} == {"sns": True, "mail": True}
    assert len(sent) == 2
    text = json.dumps(sent)
    _clean(text)
    assert "AKIA****" in text and "aws_secret_access_key=****" in text
