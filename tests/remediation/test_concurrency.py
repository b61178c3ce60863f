"""Two runs started together on one store act once: the idempotency key is claimed in a transaction
before apply. On SQLite and on a throwaway PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from railguard.remediation.pipeline import PipelineResult
from railguard.store import open_store
from tests.remediation.pipehelp import guardrails, look, run, world_open, world_open_group

GUARDRAIL = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    mode: remediate
    action: {id: ec2.restrict-world-ingress}
"""


@pytest.fixture
def moto(aws: None) -> Iterator[None]:
    yield


def test_two_runs_started_together_act_once(moto: None, store_url: str) -> None:
    gids = [world_open_group(f"g{i}") for i in range(3)]
    gs = guardrails(GUARDRAIL)
    seen = look(gs)  # both runs start from the same observation, as two schedulers firing at once would
    with open_store(store_url):
        pass  # migrate once up front; each run opens its own connection below
    results: list[PipelineResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def one() -> None:
        try:
            with open_store(store_url) as store:
                barrier.wait()
                results.append(run(gs, store, apply=True, seen=seen))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    statuses = Counter(i.status for r in results for i in r.items)
    assert statuses == {"applied": 3, "skipped": 3}, statuses
    assert not any(world_open(g) for g in gids)
    with open_store(store_url) as store:
        applied = store.journal.query(statuses=["applied"])
        assert sorted(r.resource_id for r in applied) == sorted(gids)
        assert len({r.idempotency_key for r in applied}) == 3
    skipped = [i for r in results for i in r.items if i.status == "skipped"]
    assert all("already handled" in i.summary for i in skipped)


def test_a_later_run_on_fresh_data_may_act_again(moto: None, tmp_path: object) -> None:
    gid = world_open_group("g")
    gs = guardrails(GUARDRAIL)
    with open_store(f"sqlite:///{tmp_path}/rg.db") as store:
        assert run(gs, store, apply=True).items[0].status == "applied"
        from tests.remediation.pipehelp import WORLD_SSH, ec2

        ec2().authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH])  # someone re-opens it
        again = run(gs, store, apply=True)
        assert again.items[0].status == "applied" and "earlier action" in again.items[0].history
        assert not world_open(gid)


def test_a_run_observed_in_the_same_second_as_an_earlier_claim_still_acts(
        moto: None, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The observation time is kept to the microsecond: a claim made earlier in the same second
    counts, so the second run's idempotency key differs and it acts (it is not a duplicate)."""
    from railguard.guardrails import run as observe_mod
    from tests.remediation.pipehelp import WORLD_SSH, ec2

    gid = world_open_group("g")
    gs = guardrails(GUARDRAIL)
    with open_store(f"sqlite:///{tmp_path}/rg.db") as store:
        first = run(gs, store, apply=True).items[0]
        claim = store.journal.get(first.journal_id or "")
        assert claim is not None and claim.status == "applied"
        ec2().authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH])
        just_after = claim.created_at + timedelta(microseconds=1)
        monkeypatch.setattr(observe_mod, "utcnow", lambda: just_after)
        again = run(gs, store, apply=True).items[0]
        assert again.status == "applied", again.summary
        assert not world_open(gid)
