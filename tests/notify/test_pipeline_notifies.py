"""The remediation pipeline's notify step through real channels: one message per channel per run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from railguard.store import Store, open_store
from tests.notify.conftest import Endpoint
from tests.remediation.pipehelp import guardrails, run, world_open_group

GUARDRAIL = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {{regions: [us-east-1]}}
    mode: remediate
    action: {{id: ec2.revoke-world-ingress}}
    safeguards: {{max_actions: 3, window: 1h}}
    notify: [hook, console]
notifications:
  hook: {{webhook: "{url}"}}
  console: {{stdout: true}}
"""


@pytest.fixture
def store(aws: None, tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'rg.db'}") as s:
        yield s


def test_breaker_run_sends_one_needs_a_human_message_per_channel(
        store: Store, endpoint: Endpoint, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(5):
        world_open_group(f"g{i}")
    gs = guardrails(GUARDRAIL.format(url=endpoint.url))
    result = run(gs, store, apply=True)
    assert {k: (d.ok, d.attempts) for k, d in result.deliveries.items()} == {"hook": (True, 1), "console": (True, 1)}
    assert len(endpoint.bodies) == 1
    body = json.loads(endpoint.bodies[0])
    assert body["counts"] == {"held": 2, "applied": 3} and body["needs_human"] is True
    assert body["title"] == "railguard: 2 held (needs a human), 3 fixed"
    assert [i["status"] for i in body["items"]] == ["held", "held", "applied", "applied", "applied"]
    assert json.loads(capsys.readouterr().out) == body  # stdout: the same message, one line
    rows = store.notifications.list(result.run_id)
    assert sorted((r.channel, r.ok, r.kind) for r in rows) == [("console", 1, "needs-human"), ("hook", 1, "needs-human")]


def test_an_unreachable_channel_is_recorded_and_the_run_goes_on(store: Store, endpoint: Endpoint) -> None:
    endpoint.default = 500
    world_open_group("g0")
    result = run(guardrails(GUARDRAIL.format(url=endpoint.url)), store, apply=True)
    assert [i.status for i in result.items] == ["applied"]
    assert not result.deliveries["hook"].ok and result.deliveries["console"].ok
    hook = next(r for r in store.notifications.list(result.run_id) if r.channel == "hook")
    assert hook.ok == 0 and hook.attempts == 3 and hook.error.startswith("undelivered after 3 attempts: HTTP 500")
