"""The pipeline under moto with the real ec2.restrict-world-ingress action: dry-run, apply + verify,
rollback on a failed verify, AccessDenied, breaker, exceptions, environments, quiet period, approvals, undo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from railguard.remediation.approvals import ApprovalError, approve, reject
from railguard.remediation.undo import UndoError, undo_action
from railguard.store import Store, open_store
from tests.remediation.pipehelp import (
    REGION,
    by_resource,
    ec2,
    guardrails,
    ingress,
    look,
    run,
    world_open,
    world_open_group,
)

G = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    mode: {mode}
    action: {{id: ec2.restrict-world-ingress}}
    safeguards: {{max_actions: {max_actions}, window: 1h{quiet}}}
{extra}
"""


def text(mode: str = "remediate", max_actions: int = 5, quiet: str = "", extra: str = "") -> str:
    return G.format(mode=mode, max_actions=max_actions, quiet=quiet, extra=extra)


@pytest.fixture
def store(aws: None, tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'rg.db'}") as s:
        yield s


def test_dry_run_changes_nothing_and_says_what_it_would_do(store: Store) -> None:
    gid = world_open_group("web")
    before = ingress(gid)
    result = run(guardrails(text()), store)
    assert by_resource(result)[gid] == "dry-run"
    assert ingress(gid) == before
    item = next(i for i in result.items if i.resource_id == gid)
    assert item.summary.startswith("would ") and "0.0.0.0/0" in item.summary
    assert store.journal.get(item.journal_id or "").status == "dry-run"  # type: ignore[union-attr]


def test_assess_mode_never_acts_even_with_apply(store: Store) -> None:
    gid = world_open_group("web")
    result = run(guardrails(text(mode="assess")), store, apply=True)
    assert by_resource(result)[gid] == "new"
    assert world_open(gid)
    assert store.journal.query() == []


def test_apply_fixes_verifies_records_prior_state_and_undo_restores(store: Store) -> None:
    gid = world_open_group("web")
    before = ingress(gid)
    gs = guardrails(text())
    result = run(gs, store, apply=True)
    item = next(i for i in result.items if i.resource_id == gid)
    assert item.status == "applied", item.summary
    assert not world_open(gid)
    assert {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443} .items() <= ingress(gid)[-1].items()
    row = store.journal.get(item.journal_id or "")
    assert row is not None and row.verified_at is not None and row.prior and row.after and row.applied_at
    # the finding is fixed: the next run finds nothing to do
    again = run(gs, store, apply=True)
    assert gid not in by_resource(again)
    assert store.findings.get(item.fingerprint or "").status == "resolved"  # type: ignore[union-attr]
    sessions = {s.account: s for s in look(gs).sessions}
    done, check = undo_action(store, row.id, sessions, by="alice")
    assert done.status == "undone" and check == "restored state verified"
    assert ingress(gid) == before
    assert by_resource(run(gs, store))[gid] == "dry-run"  # the control fails again


def test_undo_refuses_when_the_resource_changed_since_unless_forced(store: Store) -> None:
    gid = world_open_group("web")
    gs = guardrails(text())
    row_id = next(i.journal_id for i in run(gs, store, apply=True).items if i.resource_id == gid)
    assert row_id is not None
    ec2().authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}])
    sessions = {s.account: s for s in look(gs).sessions}
    with pytest.raises(UndoError, match=r"changed since railguard applied .*--force"):
        undo_action(store, row_id, sessions)
    assert not world_open(gid)  # nothing undone
    done, _ = undo_action(store, row_id, sessions, force=True)
    assert done.status == "undone" and world_open(gid)
    with pytest.raises(UndoError, match="only an applied action"):
        undo_action(store, row_id, sessions)
    with pytest.raises(UndoError, match="no action"):
        undo_action(store, "a-nope", sessions)


def test_a_failed_verify_rolls_back(store: Store) -> None:
    # the world reached by two halves as well: the action takes only the /0 rule, the control still fails
    halves = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
              "IpRanges": [{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]}
    gid = world_open_group("halves", extra=[halves])
    before = ingress(gid)
    result = run(guardrails(text()), store, apply=True)
    item = next(i for i in result.items if i.resource_id == gid)
    assert item.status == "rolled-back", item.summary
    assert "verify failed" in item.summary and "rolled back" in item.summary
    assert ingress(gid) == before


def _deny(operation: str) -> Any:
    def hook(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}}, operation)
    return hook


def test_access_denied_on_apply_is_failed_with_the_reason_and_the_breaker_counts_it(store: Store) -> None:
    gids = [world_open_group(f"g{i}") for i in range(3)]
    gs = guardrails(text(max_actions=2))
    seen = look(gs)
    for s in seen.sessions:
        s.client("ec2", REGION).meta.events.register("before-call.ec2.RevokeSecurityGroupIngress",
                                                    _deny("RevokeSecurityGroupIngress"))
    result = run(gs, store, apply=True, seen=seen)
    statuses = sorted(by_resource(result)[g] for g in gids)
    assert statuses == ["failed", "failed", "held"]
    failed = next(i for i in result.items if i.status == "failed")
    assert "access denied (UnauthorizedOperation)" in failed.summary
    assert all(world_open(g) for g in gids)
    assert result.needs_human == ["no-admin-ports"]


def test_breaker_holds_past_the_limit_and_pages_once_per_window(store: Store) -> None:
    gids = [world_open_group(f"g{i}") for i in range(4)]
    gs = guardrails(text(max_actions=2))
    first = run(gs, store, apply=True)
    assert sorted(by_resource(first)[g] for g in gids) == ["applied", "applied", "held", "held"]
    held = [i for i in first.items if i.status == "held"]
    assert all("circuit breaker" in i.summary and "needs a human" in i.summary for i in held)
    assert first.needs_human == ["no-admin-ports"]
    second = run(gs, store, apply=True)  # same window: still held, nobody paged again, no repeat message
    assert sorted(i.status for i in second.items) == ["held", "held"]
    assert second.needs_human == [] and not any(i.notify for i in second.items)


def test_exceptions_from_the_file_and_the_store_and_an_expired_one_fires_again(store: Store) -> None:
    kept = world_open_group("bastion")
    tagged = world_open_group("lab", tags={"purpose": "lab"})
    lapsed = world_open_group("old")
    extra = (f"    exceptions:\n"
             f"      - {{resource: {kept}, reason: 'bastion, SEC-12', owner: ops@example.com, expires: 2999-01-31}}\n"
             f"      - {{resource: {lapsed}, reason: 'migration', owner: ops@example.com, expires: 2020-01-31}}\n")
    store.exceptions.add(tag_key="purpose", tag_value="lab", reason="lab account", owner="lab@example.com",
                         expires=datetime.now(UTC) + timedelta(days=30), guardrail="no-admin-ports")
    result = run(guardrails(text(extra=extra)), store, apply=True)
    got = by_resource(result)
    assert got[kept] == "excepted" and got[tagged] == "excepted" and got[lapsed] == "applied"
    assert world_open(kept) and world_open(tagged) and not world_open(lapsed)
    lapsed_item = next(i for i in result.items if i.resource_id == lapsed)
    assert "exception expired on 2020-01-31" in lapsed_item.summary and "fires again" in lapsed_item.summary
    kept_item = next(i for i in result.items if i.resource_id == kept)
    assert "bastion, SEC-12" in kept_item.summary and "ops@example.com" in kept_item.summary
    fp = kept_item.fingerprint or ""
    assert store.findings.get(fp).status == "suppressed"  # type: ignore[union-attr]


def test_environments_choose_the_mode_and_scope_limits_what_is_touched(store: Store) -> None:
    dev = world_open_group("dev", tags={"env": "dev"})
    prod = world_open_group("prod", tags={"env": "prod"})
    other = world_open_group("untagged")
    gs = guardrails("""
guardrails:
  - name: by-env
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {environments: [dev, prod]}
    mode: {dev: remediate, prod: approve}
    action: {id: ec2.restrict-world-ingress}
environments: {prod: {tag: {env: prod}}, dev: {tag: {env: dev}}}
""")
    got = by_resource(run(gs, store, apply=True))
    assert got[dev] == "applied" and got[prod] == "pending" and got[other] == "out-of-scope"
    assert not world_open(dev) and world_open(prod) and world_open(other)


def test_quiet_period_holds_when_cloudtrail_cannot_tell(store: Store) -> None:
    gid = world_open_group("web")
    result = run(guardrails(text(quiet=", quiet_minutes: 10")), store, apply=True)
    item = next(i for i in result.items if i.resource_id == gid)
    assert item.status == "held" and "cannot tell" in item.summary and "LookupEvents" in item.summary
    assert world_open(gid)


def test_approve_flow_records_the_approver_and_refuses_a_changed_resource(store: Store) -> None:
    a, b, c = world_open_group("a"), world_open_group("b"), world_open_group("c")
    gs = guardrails(text(mode="approve"))
    first = run(gs, store, apply=True)
    assert {by_resource(first)[g] for g in (a, b, c)} == {"pending"}
    assert all(world_open(g) for g in (a, b, c))
    assert {by_resource(run(gs, store, apply=True))[g] for g in (a, b, c)} == {"skipped"}  # no second pending
    ids = {i.resource_id: i.journal_id or "" for i in first.items}
    sessions = {s.account: s for s in look(gs).sessions}
    before_a = ingress(a)
    row = approve(store, ids[a], sessions, approver="alice@example.com")
    assert row.status == "applied" and row.approver == "alice@example.com" and not world_open(a)
    assert undo_action(store, row.id, sessions)[1] == "restored state verified" and ingress(a) == before_a
    ec2().authorize_security_group_ingress(GroupId=b, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    with pytest.raises(ApprovalError, match="changed since this change was planned"):
        approve(store, ids[b], sessions, approver="alice@example.com")
    assert store.journal.get(ids[b]).status == "stale"  # type: ignore[union-attr]
    assert world_open(b)
    rejected = reject(store, ids[c], approver="bob", reason="not now")
    assert rejected.status == "rejected" and rejected.approver == "bob" and world_open(c)
    with pytest.raises(ApprovalError, match="not pending"):
        approve(store, ids[c], sessions, approver="alice")


def test_where_condition_guardrail_assesses_what_the_catalogue_lacks(store: Store) -> None:
    tagged = world_open_group("legacy", tags={"team": "legacy"})
    world_open_group("fine", tags={"team": "core"})
    gs = guardrails("""
guardrails:
  - name: legacy-groups
    resource: AWS::EC2::SecurityGroup
    where:
      - {path: tags.team, eq: legacy}
      - {path: "SecurityGroupIngress[].CidrIp", cidr-contains: 8.8.8.8}
""")
    result = run(gs, store)
    assert by_resource(result) == {tagged: "new"}
    assert result.items[0].control == "guardrail.legacy-groups"


def test_history_on_every_item(store: Store) -> None:
    gid = world_open_group("web")
    gs = guardrails(text(mode="assess"))
    assert next(i for i in run(gs, store).items if i.resource_id == gid).history == "first time seen"
    later = next(i for i in run(gs, store).items if i.resource_id == gid)
    assert later.history.startswith("seen 1 time(s) before since") and later.status == "open" and not later.notify


def test_a_batch_of_groups_is_fixed_concurrently_with_one_reread_and_exact_breaker(store: Store) -> None:
    """Eight groups, breaker at 6, four workers: six applied (one of them cannot verify and is rolled
    back: the breaker counts it), two held; apply is one call per group and verify re-reads the whole
    batch in one DescribeSecurityGroups: at most 3 requests per security-group action."""
    from railguard.remediation.pipeline import run_pipeline

    halves = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
              "IpRanges": [{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]}
    gids = [world_open_group(f"batch{i}") for i in range(7)] + [world_open_group("halves", extra=[halves])]
    gs = guardrails(text(max_actions=6))
    seen = look(gs)
    counter = seen.sessions[0].counter
    before = counter.snapshot()
    result = run_pipeline(gs, seen.findings, seen.inventory, seen.sessions, store, now=seen.now, apply=True,
                          covered=seen.covered, workers=4)
    calls = {k: v - before.get(k, 0) for k, v in counter.snapshot().items() if v != before.get(k, 0)}
    statuses = by_resource(result)
    acted = [g for g in gids if statuses[g] in ("applied", "rolled-back")]
    assert len(acted) == 6 and sum(statuses[g] == "held" for g in gids) == 2, statuses
    assert statuses[gids[-1]] in ("rolled-back", "held")
    assert all(not world_open(g) for g in gids if statuses[g] == "applied")
    assert all(world_open(g) for g in gids if statuses[g] != "applied")
    assert calls.get("ec2:DescribeSecurityGroups") == 1, calls  # the batch's verify
    assert sum(calls.values()) <= 3 * len(acted), calls
    rows = store.journal.query(run_id=result.run_id)
    assert sum(r.status in ("applied", "rolled-back") for r in rows) == 6 and all(r.prior for r in rows)
