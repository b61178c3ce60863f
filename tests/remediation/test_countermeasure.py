"""Forensics and countermeasures: the principal an event supplied is kept with the findings and shown
in "has this happened before?"; after N violations by one principal in a window, a countermeasure
deactivates their keys, behind the same breaker.

The countermeasure's action here is registered by this module (a real one, against moto's IAM):
it deactivates every active key of the user, which is what a countermeasure wants.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest

from railguard.model import Resource
from railguard.remediation.action import Action, Change, Risk, Target, action
from railguard.remediation.pipeline import Context
from railguard.store import Store, open_store
from tests.remediation.pipehelp import guardrails, look, run, world_open_group

MALLORY = "arn:aws:iam::123456789012:user/mallory"


@action("test.deactivate-all-keys", title="Deactivate every active key of a user (test countermeasure)",
        resource_types="AWS::IAM::User", calls=["iam:ListAccessKeys", "iam:UpdateAccessKey"],
        risk=Risk(breaks_traffic=True))
class DeactivateAllKeys(Action):
    def reread(self, target: Target) -> Resource:
        return target.resource

    def _keys(self, target: Target) -> dict[str, str]:
        iam = target.client("iam")
        return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=target.resource.id)["AccessKeyMetadata"]}

    def build(self, target: Target, params: Any) -> Change:
        active = sorted(k for k, s in self._keys(target).items() if s == "Active")
        return self.change(target, params, f"deactivate {len(active)} key(s) of {target.resource.id}",
                           prior={"keys": active}, calls=["iam:UpdateAccessKey"], noop=not active)

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        for k in change.prior["keys"]:
            target.client("iam").update_access_key(UserName=target.resource.id, AccessKeyId=k, Status="Inactive")
        return {"deactivated": list(change.prior["keys"])}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        for k in change.prior["keys"]:
            target.client("iam").update_access_key(UserName=target.resource.id, AccessKeyId=k, Status="Active")

    def state(self, resource: Resource) -> Mapping[str, Any]:
        return {}


GUARDRAIL = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    trigger: [event]
    mode: assess
    countermeasure: {{after: 3, window: 1d, action: {{id: test.deactivate-all-keys}}}}
    safeguards: {{max_actions: {limit}}}
"""


@pytest.fixture
def store(aws: None, tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'rg.db'}") as s:
        yield s


def _user() -> list[str]:
    iam = boto3.client("iam")
    iam.create_user(UserName="mallory")
    return [iam.create_access_key(UserName="mallory")["AccessKey"]["AccessKeyId"] for _ in range(2)]


def _statuses() -> set[str]:
    return {k["Status"] for k in boto3.client("iam").list_access_keys(UserName="mallory")["AccessKeyMetadata"]}


def test_repeat_offender_keys_are_deactivated_after_n_violations(store: Store) -> None:
    _user()
    gs = guardrails(GUARDRAIL.format(limit=5).replace("mode: assess", "mode: {default: remediate}")
                    .replace("controls:", "action: {id: ec2.restrict-world-ingress}\n    controls:"))
    event = Context(trigger="event", principal=MALLORY, source_ip="203.0.113.9", user_agent="aws-cli/2")
    world_open_group("one")
    world_open_group("two")
    first = run(gs, store, context=event)  # two violations: below the threshold, dry run
    assert not any(i.control.startswith("countermeasure") for i in first.items)
    world_open_group("three")
    result = run(gs, store, apply=True, context=event)
    counter = next(i for i in result.items if i.control == "countermeasure:no-admin-ports")
    assert counter.status == "applied", counter.summary
    assert "3 violation(s) by " + MALLORY in counter.history
    assert _statuses() == {"Inactive"}
    row = store.journal.get(counter.journal_id or "")
    assert row is not None and row.principal == MALLORY and row.source_ip == "203.0.113.9" and row.trigger == "event"
    # "has this happened before?" names the principal the earlier event supplied
    groups = [i for i in result.items if i.resource_type == "AWS::EC2::SecurityGroup"]
    assert len(groups) == 3 and all(f"last by {MALLORY}" in i.history for i in groups)
    assert sum("seen 1 time(s) before" in i.history for i in groups) == 2


def test_countermeasure_is_behind_the_breaker_and_assess_mode_only_reports(store: Store) -> None:
    _user()
    for name in ("a", "b", "c"):
        world_open_group(name)
    event = Context(trigger="event", principal=MALLORY)
    assessed = run(guardrails(GUARDRAIL.format(limit=5)), store, apply=True, context=event)
    counter = next(i for i in assessed.items if i.control.startswith("countermeasure"))
    assert counter.status == "open" and "repeat offender" in counter.summary and _statuses() == {"Active"}
    held_gs = guardrails(GUARDRAIL.format(limit=0).replace("mode: assess", "mode: remediate")
                         .replace("controls:", "action: {id: ec2.restrict-world-ingress}\n    controls:"))
    held = run(held_gs, store, apply=True, context=event)
    counter = next(i for i in held.items if i.control.startswith("countermeasure"))
    assert counter.status == "held" and "circuit breaker" in counter.summary
    assert _statuses() == {"Active"}


def test_a_scheduled_run_does_not_fire_an_event_only_guardrail(store: Store) -> None:
    world_open_group("x")
    gs = guardrails(GUARDRAIL.format(limit=5))
    assert run(gs, store, context=Context(trigger="schedule")).items == []
    assert look(gs).findings
