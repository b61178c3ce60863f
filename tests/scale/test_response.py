"""Response fanned out: `railguard ir from-events --apply --executor celery` runs one case per task on
real workers, each in the account its detection names; the isolation breaker holds across workers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.scale.conftest import REGION, Workers, railguard

pytestmark = pytest.mark.e2e

AMI = "ami-12c6146b"  # moto's default image id


def _ec2(url: str, account: str) -> Any:
    sts = boto3.client("sts", endpoint_url=url, region_name=REGION)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                        RoleSessionName="test")["Credentials"]
    return boto3.client("ec2", endpoint_url=url, region_name=REGION, aws_access_key_id=c["AccessKeyId"],
                        aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])


def _groups(ec2: Any, iid: str) -> list[str]:
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    return sorted(g["GroupId"] for eni in inst["NetworkInterfaces"] for g in eni["Groups"])


def test_cases_from_detections_run_on_workers_in_their_accounts(workers: Workers, moto_org: dict[str, Any],
                                                                tmp_path: Path) -> None:
    from railguard.store import cases as C
    from railguard.store import open_store

    url = moto_org["url"]
    accounts = moto_org["members"][41:44]  # three member accounts no other test writes to
    suspects = []
    for acct in accounts:
        ec2 = _ec2(url, acct)
        inst = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
        suspects.append((acct, inst["InstanceId"], ec2, _groups(ec2, inst["InstanceId"])))
    detections = [{"rule": "ec2.instance-credentials-outside", "severity": "high", "region": REGION, "account": acct,
                   "summary": f"credentials of instance {iid} used from 198.51.100.7",
                   "principal": {"arn": f"arn:aws:sts::{acct}:assumed-role/app-role/{iid}"}}
                  for acct, iid, _, _ in suspects]
    (tmp_path / "detections.jsonl").write_text("\n".join(json.dumps(d) for d in detections) + "\n")
    (tmp_path / "railguard.yaml").write_text(json.dumps({"executor": {"name": "celery", "heartbeat_stale": 15,
                                                                      "poll": 0.2}}))
    workers.start(2)
    db = tmp_path / "store.db"
    p = railguard("ir", "from-events", "detections.jsonl", "--apply", "--executor", "celery", "--max-isolations", "2",
                  "--db", str(db), env=workers.env, cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr + workers.logs()  # one case waits for a person
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("case ")]
    assert len(lines) == 3
    assert sum(ln.endswith(": done") for ln in lines) == 2, lines
    assert sum(f": {C.WAITING} (" in ln and "approvals approve" in ln for ln in lines) == 1, lines

    isolated = [acct for acct, iid, ec2, before in suspects if _groups(ec2, iid) != before]
    assert len(isolated) == 2  # exactly the breaker's two, whichever workers took them
    with open_store(f"sqlite:///{db}") as store:
        cases = {c.subject: c for c in store.cases.query()}
        assert {cases[iid].account for _, iid, _, _ in suspects} == set(accounts)  # each case in its own account
        assert sorted(c.status for c in cases.values()) == sorted([C.DONE, C.DONE, C.WAITING])
        waiting = next(c for c in cases.values() if c.status == C.WAITING)
        assert waiting.account not in isolated
        from railguard.store.tasks import TaskRepo

        run = store.runs.latest("ir", 1)[0]
        states = TaskRepo(store).states(run.id)
        assert len(states) == 3 and {s.status for s in states} == {"done"} and run.meta["executor"] == "celery"
        assert len({s.worker for s in states}) >= 1
        # the coordinator, not a worker, said "needs a human" (once, for the waiting case)
        notes = [n for n in store.notifications.list() if n.kind == "needs-human"]
        assert [n.run_id for n in notes] == [waiting.id]
