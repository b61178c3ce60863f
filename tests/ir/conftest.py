from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from railguard.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'ir.db'}") as s:
        yield s


@pytest.fixture
def session(aws: None) -> Any:
    from railguard.sources.aws.session import open_sessions

    (home,) = open_sessions(region="us-east-1")
    return home


def deny(client: Any, operation: str, code: str = "UnauthorizedOperation") -> None:
    """Make `operation` on this client answer an AWS error (as a denied IAM policy would)."""

    def handler(**_: Any) -> Any:
        return (SimpleNamespace(status_code=403, headers={}, content=b""),
                {"Error": {"Code": code, "Message": f"You are not authorized to perform {operation}"},
                 "ResponseMetadata": {"HTTPStatusCode": 403}})

    service = client.meta.service_model.service_name
    client.meta.events.register(f"before-call.{service}.{operation}", handler)
