"""A finding: one control's verdict on one resource, with a fingerprint stable across runs."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from railguard.model.resource import GLOBAL, Origin
from railguard.model.result import Result
from railguard.model.severity import Severity


def fingerprint(control_id: str, account: str | None, region: str | None, resource_id: str) -> str:
    """Stable id of (control, account, region, resource): history, de-duplication and exceptions key on it."""
    key = "\x1f".join([control_id, account or "", region or GLOBAL, resource_id])
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Finding:
    control_id: str
    title: str
    severity: Severity
    result: Result
    resource_type: str
    resource_id: str
    reason: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    account: str | None = None
    region: str | None = None
    resource_name: str | None = None
    arn: str | None = None
    origin: Origin = field(default_factory=Origin)
    remediation: str | None = None
    suppressed_by: str | None = None  # id/reason of the exception or ignore that covers it
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # the one place findings are made: reasons and evidence quote live values (tags, rule
        # descriptions, policy conditions, error bodies) that may hold a credential
        from railguard.model.redact import redact_text, redact_value

        object.__setattr__(self, "reason", redact_text(self.reason))
        object.__setattr__(self, "evidence", redact_value(self.evidence))
        if self.resource_name:  # a Name tag is free text too
            object.__setattr__(self, "resource_name", redact_text(self.resource_name))

    @cached_property
    def fingerprint(self) -> str:  # asked several times per finding by the store and the pipeline
        resource_key = self.resource_id
        if self.origin.file:
            resource_key = f"{self.origin.file}#{self.resource_id}"
        return fingerprint(self.control_id, self.account, self.region, resource_key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "control_id": self.control_id,
            "title": self.title,
            "severity": self.severity.value,
            "result": self.result.value,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "resource_name": self.resource_name,
            "arn": self.arn,
            "account": self.account,
            "region": self.region,
            "file": self.origin.file,
            "line": self.origin.line,
            "reason": self.reason,
            "evidence": dict(self.evidence),
            "remediation": self.remediation,
            "suppressed_by": self.suppressed_by,
            "fingerprint": self.fingerprint,
        }
