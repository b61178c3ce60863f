"""Forensics and countermeasures: the principal an event supplied is kept with the findings and shown
in "has this happened before?"; after N violations by one principal in a window, a countermeasure
deactivates their keys, behind the same breaker.

The countermeasure's action is the catalogue's `iam.deactivate-access-key` with `all_active: true`
(every active key of the user), against moto's IAM.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from railguard.remediation.pipeline import Context
from railguard.store import Store, open_store
from tests.remediation.pipehelp import guardrails, look, run, world_open_group

MALLORY = "arn:aws:iam::123456789012:user/mallory"


GUARDRAIL = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    trigger: [event]
    mode: assess
    countermeasure: {{after: 3, window: 1d, action: {{id: iam.deactivate-access-key, params: {{all_active: true}}}}}}
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


REAL = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    mode: remediate
    action: {id: ec2.restrict-world-ingress}
    safeguards: {max_actions: 10}
    countermeasure: {after: 3, window: 1d, action: {id: iam.deactivate-access-key, params: {all_active: true}}}
    notify: [console]
notifications:
  console: {stdout: true}
"""


def _reopen(gid: str) -> None:
    from tests.remediation.pipehelp import WORLD_SSH, ec2

    ec2().authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH])


def test_the_real_key_action_acts_on_offenders_the_store_names_once_per_offence(
        store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    """No event in the run: the offenders come from the store (what earlier events attributed). The
    countermeasure deactivates every active key with `iam.deactivate-access-key` (all_active), says
    "has this happened before?" in the notification, does not fire again on the same violations,
    respects an undo, and fires again (naming the earlier action) after three new violations."""
    import json

    from railguard.remediation.undo import undo_action

    _user()
    gids = [world_open_group(n) for n in ("a", "b", "c")]
    gs = guardrails(REAL)
    event = Context(trigger="event", principal=MALLORY, source_ip="203.0.113.9")
    run(gs, store, context=event)  # what the events worker records (dry run): three violations by mallory
    capsys.readouterr()
    acted = run(gs, store, apply=True)  # a manual run: nobody named, the store knows who
    counter = [i for i in acted.items if i.control == "countermeasure:no-admin-ports"]
    assert [c.status for c in counter] == ["applied"], counter
    assert _statuses() == {"Inactive"} and counter[0].action_id == "iam.deactivate-access-key"
    assert counter[0].history.startswith(f"3 violation(s) by {MALLORY} within 1d")
    note = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    by_resource = {i["resource"]: i for i in note["items"]}
    assert by_resource[counter[0].resource_id]["history"] == counter[0].history
    assert all(f"last by {MALLORY}" in by_resource[g]["history"] for g in gids)

    assert not [i for i in run(gs, store, apply=True).items if i.control.startswith("countermeasure")]
    row = store.journal.get(counter[0].journal_id or "")
    assert row is not None and row.fingerprint == f"countermeasure:{MALLORY}"
    sessions = {s.account: s for s in look(gs).sessions}
    undo_action(store, row.id, sessions, by="alice")
    assert _statuses() == {"Active"}
    assert not [i for i in run(gs, store, apply=True).items if i.control.startswith("countermeasure")]

    for g in gids:  # mallory opens the three groups again: three new violations
        _reopen(g)
    run(gs, store, context=event)
    again = [i for i in run(gs, store, apply=True).items if i.control.startswith("countermeasure")]
    assert [c.status for c in again] == ["applied"] and _statuses() == {"Inactive"}
    assert "1 earlier action(s) on them (last: undone" in again[0].history


def test_a_countermeasure_names_an_action_on_users() -> None:
    from railguard.guardrails import GuardrailError

    bad = REAL.replace("iam.deactivate-access-key, params: {all_active: true}", "ec2.revoke-world-ingress")
    with pytest.raises(GuardrailError, match=r"countermeasure.*an IAM user"):
        guardrails(bad)
