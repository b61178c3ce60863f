"""Channel configuration: exactly one kind, strict keys, credentials never printed."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from railguard.model import Severity
from railguard.notify import ChannelConfig

HOOK = "https://hooks.slack.com/services/T000/B000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"


def test_each_kind_is_accepted_and_named() -> None:
    channels = TypeAdapter(dict[str, ChannelConfig]).validate_python({
        "slack": {"slack_webhook": HOOK},
        "siem": {"webhook": "https://siem.example.com/in", "headers": {"Authorization": "Bearer t0k3n"}},
        "pager": {"sns_topic": "arn:aws:sns:eu-west-1:111111111111:secops", "min_severity": "HIGH", "top": 5},
        "mail": {"ses": {"from": "railguard@example.com", "to": ["secops@example.com"], "region": "eu-west-1"}},
        "console": {"stdout": True},
    })
    assert {n: c.kind for n, c in channels.items()} == {
        "slack": "slack_webhook", "siem": "webhook", "pager": "sns_topic", "mail": "ses", "console": "stdout"}
    assert channels["pager"].topic_region == "eu-west-1"
    assert channels["pager"].min_severity is Severity.HIGH and channels["pager"].top == 5
    assert channels["mail"].ses is not None and channels["mail"].ses.sender == "railguard@example.com"


def test_repr_and_errors_never_show_the_webhook_url_or_headers() -> None:
    cfg = ChannelConfig.model_validate({"webhook": "https://siem.example.com/in?token=s3cr3t",
                                        "headers": {"Authorization": "Bearer t0k3n"}})
    shown = repr(cfg) + str(cfg) + cfg.model_dump_json()
    assert "s3cr3t" not in shown and "t0k3n" not in shown
    with pytest.raises(ValidationError) as err:  # nested, as the guardrail schema holds it
        TypeAdapter(dict[str, ChannelConfig]).validate_python(
            {"slack": {"slack_webhook": "http://hooks.example.com/services/s3cr3t"}})
    assert "must use https" in str(err.value) and "s3cr3t" not in str(err.value)
    assert err.value.errors()[0]["loc"] == ("slack", "slack_webhook")


@pytest.mark.parametrize(("raw", "message"), [
    ({}, "exactly one of"),
    ({"stdout": True, "slack_webhook": HOOK}, "found: slack_webhook, stdout"),
    ({"stdout": True, "colour": "red"}, "Extra inputs are not permitted"),
    ({"stdout": False}, "Input should be True"),
    ({"sns_topic": "secops"}, "SNS topic ARN"),
    ({"ses": {"from": "a@example.com", "to": []}}, "at least 1 item"),
    ({"ses": {"sender": "a@example.com", "to": ["b@example.com"]}}, "Extra inputs"),
    ({"ses": {"from": "not-an-address", "to": ["b@example.com"]}}, "should match pattern"),
    ({"webhook": "ftp://example.com/x"}, "must be an http(s) URL"),
    ({"stdout": True, "headers": {"A": "b"}}, "`headers` applies to `webhook`"),
    ({"stdout": True, "top": 0}, "greater than or equal to 1"),
    ({"stdout": True, "min_severity": "urgent"}, "unknown severity"),
])
def test_bad_channel_is_refused_with_the_field(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        ChannelConfig.model_validate(raw)
    assert message in str(err.value)


def test_plain_http_is_allowed_to_the_local_machine_only() -> None:
    assert ChannelConfig.model_validate({"webhook": "http://127.0.0.1:8080/x"}).kind == "webhook"
    with pytest.raises(ValidationError):
        ChannelConfig.model_validate({"webhook": "http://10.0.0.5:8080/x"})
