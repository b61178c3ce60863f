"""A detection: what a rule saw in the event stream, with who did it and the records that show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from railguard.model import Severity


@dataclass(frozen=True)
class Detection:
    rule: str
    title: str
    severity: Severity
    technique: str | None
    time: str  # eventTime of the record that completed the detection
    summary: str
    event_ids: tuple[str, ...]
    event_name: str = ""
    account: str = ""
    region: str = ""
    principal: str = ""
    access_key_id: str = ""
    source_ip: str = ""
    user_agent: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity.value,
            "technique": self.technique,
            "time": self.time,
            "summary": self.summary,
            "event_name": self.event_name,
            "account": self.account,
            "region": self.region,
            "principal": {"arn": self.principal, "access_key_id": self.access_key_id},
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "event_ids": list(self.event_ids),
        }
