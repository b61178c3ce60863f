"""The emulated lab account: what seed modules get to plant resources and record expectations.

Each `railguard/demo/seed_*.py` module has `seed(lab: Lab) -> None`. It plants misconfigured
and compliant resources with `lab.client(...)` and records every planted misconfiguration
with `lab.expect_fail(control_id, resource_name)` and every compliant twin with
`lab.expect_pass(...)`, so tests and the benchmark can check that each one is caught.
`lab.scale` multiplies the number of resources (1 for the demo, ~20 for the large benchmark).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

ACCOUNT = "123456789012"  # moto's default account


@dataclass
class Lab:
    endpoint_url: str
    regions: list[str]
    scale: int = 1
    account: str = ACCOUNT
    expected_fail: set[tuple[str, str]] = field(default_factory=set)
    expected_pass: set[tuple[str, str]] = field(default_factory=set)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def home(self) -> str:
        return self.regions[0]

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.home
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(inject_host_prefix=False, retries={"max_attempts": 2}),
            )
        return self._clients[key]

    def backend(self, service: str, region: str = "global") -> Any:
        """moto's in-process backend (same process as ThreadedMotoServer): for what no API can set,
        such as key ages and last-used dates."""
        from moto.backends import get_backend

        backends: Any = get_backend(service)  # type: ignore[call-overload]
        return backends[self.account][region]

    def expect_fail(self, control_id: str, resource: str) -> None:
        self.expected_fail.add((control_id, resource))

    def expect_pass(self, control_id: str, resource: str) -> None:
        self.expected_pass.add((control_id, resource))
