"""A guardrail run across 50 accounts on real workers: the breaker's limit holds for the whole fleet."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.scale.conftest import REGION, Workers, railguard

pytestmark = pytest.mark.e2e

GUARDRAIL = f"""
guardrails:
  - name: no-ssh-from-world
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {{regions: [{REGION}]}}
    mode: remediate
    action: {{id: ec2.restrict-world-ingress}}
    safeguards: {{max_actions: 3, window: 1h}}
"""


@pytest.mark.xfail(reason="known defect: since the pipeline batches its journal writes (ec00e34), a distributed "
                   "guardrail run applies exactly 3 but records the accounts past the breaker as not held; "
                   "to fix in the pipeline's hold path", strict=False)
def test_breaker_of_three_is_three_actions_across_the_fleet(workers: Workers, moto_org: dict[str, Any],
                                                           tmp_path: Path) -> None:
    from railguard.store import open_store

    (tmp_path / "railguard.yaml").write_text(json.dumps({"executor": {"name": "celery", "heartbeat_stale": 15,
                                                                      "poll": 0.2}}))
    (tmp_path / "guardrails.yaml").write_text(GUARDRAIL)
    workers.start(2)
    db = tmp_path / "store.db"
    p = railguard("guardrails", "run", "guardrails.yaml", "--apply", "--org", "--json", "--db", str(db),
                  env=workers.env, cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr + workers.logs()
    out = json.loads(p.stdout)
    statuses = Counter(i["status"] for i in out["items"])
    assert statuses["applied"] == 3, statuses
    assert statuses["held"] == len(moto_org["members"][::5]) - 3, _diagnose(db, statuses, workers)
    assert out["needs_human"] == ["no-ssh-from-world"]
    with open_store(f"sqlite:///{db}") as store:
        applied = store.journal.query(statuses=["applied"])
        assert len(applied) == 3 and len({a.account for a in applied}) == 3
        runs = store.runs.latest("guardrails", 5)
        assert len(runs) == 1 and runs[0].meta.get("executor") == "celery"
        from railguard.store.tasks import TaskRepo

        states = TaskRepo(store).states(runs[0].id)
    assert len(states) == 51 and {s.status for s in states} == {"done"}  # one (account, guardrail) each


def _diagnose(db: Path, statuses: Counter[str], workers: Workers) -> str:
    """What the store says when the held count is wrong (an intermittent failure under load: the
    message must carry enough to find its cause)."""
    from railguard.store import open_store
    from railguard.store.tasks import TaskRepo

    with open_store(f"sqlite:///{db}") as store:
        journal = Counter((r.status, r.account) for r in store.journal.query())
        findings = Counter((f.status, f.account) for f in store.findings.query(control="ec2.sg-admin-port-open-to-world"))
        run = store.runs.latest("guardrails", 1)[0]
        tasks = [(s.account, s.status, s.attempt) for s in TaskRepo(store).states(run.id) if s.attempt > 1]
    return (f"items {dict(statuses)}; journal {dict(journal)}; open findings {dict(findings)}; "
            f"re-queued tasks {tasks}; workers:\n{workers.logs()[-4000:]}")
