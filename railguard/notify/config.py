"""Notification channels as the guardrail file's `notifications:` map declares them.

    notifications:
      slack-secops: {slack_webhook: "${SLACK_WEBHOOK_URL}"}
      siem:         {webhook: "https://siem.example.com/hook", headers: {Authorization: "${SIEM_TOKEN}"}}
      pager:        {sns_topic: "arn:aws:sns:us-east-1:111111111111:secops", min_severity: high}
      mail:         {ses: {from: railguard@example.com, to: [secops@example.com]}}
      console:      {stdout: true}

A channel is exactly one kind. Webhook URLs and headers carry credentials (a Slack webhook URL *is*
one), so they are `SecretStr`: a repr, a log line or a validation error never prints them.
Plain HTTP is refused except to the local machine: a notification holds findings.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from railguard.model import Severity

KINDS = ("slack_webhook", "webhook", "sns_topic", "ses", "stdout")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", max_length=254)]


def _check_url(url: SecretStr | None) -> SecretStr | None:
    if url is None:
        return None
    parts = urlsplit(url.get_secret_value())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL (the value is not shown)")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError("must use https (plain http only to 127.0.0.1/localhost)")
    return url


class SesTarget(BaseModel):
    """`ses: {from: ..., to: [...], region: ...}`: the sender must be verified in SES."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sender: Email = Field(alias="from")
    to: list[Email] = Field(min_length=1, max_length=50)
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")


class ChannelConfig(BaseModel):
    """One channel: exactly one of `slack_webhook`, `webhook`, `sns_topic`, `ses`, `stdout`."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
    slack_webhook: SecretStr | None = None
    webhook: SecretStr | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict, description="Extra headers for `webhook`.")
    sns_topic: str | None = None
    ses: SesTarget | None = None
    stdout: Literal[True] | None = None
    top: int = Field(default=10, ge=1, le=40, description="How many items the message lists.")
    min_severity: Severity | None = Field(default=None, description="Leave out items below this severity.")

    _url = field_validator("slack_webhook", "webhook")(_check_url)

    @model_validator(mode="before")
    @classmethod
    def _hide(cls, data: Any) -> Any:
        """Wrap credentials before any field is checked, so no validation error carries them."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in ("slack_webhook", "webhook"):
            if isinstance(data.get(key), str):
                data[key] = SecretStr(data[key])
        if isinstance(data.get("headers"), dict):
            data["headers"] = {k: SecretStr(v) if isinstance(v, str) else v for k, v in data["headers"].items()}
        return data

    @field_validator("sns_topic")
    @classmethod
    def _topic(cls, v: str | None) -> str | None:
        if v is not None and not _TOPIC.match(v):
            raise ValueError("must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
        return v

    @field_validator("min_severity", mode="before")
    @classmethod
    def _severity(cls, v: object) -> object:
        return Severity.parse(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one_kind(self) -> ChannelConfig:
        kinds = [k for k in KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise ValueError(f"a channel needs exactly one of {', '.join(KINDS)} (found: {found})")
        if self.headers and kinds[0] != "webhook":
            raise ValueError("`headers` applies to `webhook` channels only")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @property
    def topic_region(self) -> str:
        assert self.sns_topic is not None
        return self.sns_topic.split(":")[3]
