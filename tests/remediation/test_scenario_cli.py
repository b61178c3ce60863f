"""The issue's scenario, end to end through the `railguard` console script over HTTP against moto's
server: six world-open groups in scope (one excepted) and one out of scope, breaker at 3. Three are
fixed, two held with one "needs a human" message; the excepted and out-of-scope groups are untouched;
`railguard undo` of the three restores them. Plus the approve flow and bad input from the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

RAILGUARD = [sys.executable, "-m", "railguard.cli"]
REGION = "us-east-1"
WORLD_SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}]}
OFFICE = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.1.0.0/16", "Description": "office"}]}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        yield url


def _ec2(url: str) -> Any:
    return boto3.client("ec2", region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _group(url: str, name: str, env: str) -> str:
    c = _ec2(url)
    vpc = c.describe_vpcs()["Vpcs"][0]["VpcId"]
    gid: str = c.create_security_group(
        GroupName=name, Description=name, VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "env", "Value": env}]}])["GroupId"]
    c.authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH, OFFICE])
    return gid


def _rules(url: str, gid: str) -> list[Any]:
    perms = _ec2(url).describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    return sorted(json.dumps(p, sort_keys=True) for p in perms)


def _open(url: str, gid: str) -> bool:
    return any('"0.0.0.0/0"' in r for r in _rules(url, gid))


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "RAILGUARD_DB"}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_ENDPOINT_URL=url)
    return env


def railguard(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RAILGUARD, *args], env=_env(url), capture_output=True, text=True, timeout=180)


GUARDRAIL = """
guardrails:
  - name: no-admin-ports-from-world
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {{regions: [us-east-1], tags: {{env: prod}}}}
    mode: {mode}
    action: {{id: ec2.restrict-world-ingress}}
    safeguards: {{max_actions: 3, window: 1h}}
    exceptions:
      - {{resource: {excepted}, reason: "bastion, ticket SEC-12", owner: ops@example.com, expires: 2999-01-31}}
"""


def test_scenario_three_fixed_two_held_undo_restores(moto_url: str, tmp_path: Path) -> None:
    from railguard.demo.run import reset_moto

    reset_moto(moto_url)
    in_scope = [_group(moto_url, f"prod-{i}", "prod") for i in range(6)]
    outside = _group(moto_url, "dev-0", "dev")
    excepted = in_scope[0]
    before = {g: _rules(moto_url, g) for g in [*in_scope, outside]}
    gfile = tmp_path / "guardrails.yaml"
    gfile.write_text(GUARDRAIL.format(mode="remediate", excepted=excepted))
    db = f"sqlite:///{tmp_path / 'rg.db'}"

    dry = railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["counts"] == {"dry-run": 5, "excepted": 1, "out-of-scope": 1}
    assert {g: _rules(moto_url, g) for g in before} == before  # dry run: nothing changed

    p = railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--apply", "--json")
    assert p.returncode == 1, p.stderr  # something needs a human
    assert "Traceback" not in p.stderr
    out = json.loads(p.stdout)
    assert out["counts"] == {"applied": 3, "held": 2, "excepted": 1, "out-of-scope": 1}
    assert out["needs_human"] == ["no-admin-ports-from-world"]
    fixed = [i for i in out["items"] if i["status"] == "applied"]
    held = [i for i in out["items"] if i["status"] == "held"]
    assert all("circuit breaker" in i["summary"] for i in held)
    for i in fixed:
        assert not _open(moto_url, i["resource_id"])
        assert any('"10.1.0.0/16"' in r for r in _rules(moto_url, i["resource_id"]))  # other rules kept
    for i in held:
        assert _rules(moto_url, i["resource_id"]) == before[i["resource_id"]]
    assert _rules(moto_url, excepted) == before[excepted]
    assert _rules(moto_url, outside) == before[outside]

    text = railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--apply")
    assert "held" in text.stdout and "NEEDS A HUMAN" not in text.stdout  # same window: nobody paged twice

    for i in fixed:
        u = railguard(moto_url, "undo", i["journal_id"], "--db", db, "--by", "alice")
        assert u.returncode == 0, u.stderr
        assert "restored state verified" in u.stdout
        assert _rules(moto_url, i["resource_id"]) == before[i["resource_id"]]
    again = railguard(moto_url, "undo", fixed[0]["journal_id"], "--db", db)
    assert again.returncode == 1 and "only an applied action can be undone" in again.stderr

    found = railguard(moto_url, "findings", "list", "--db", db, "--json", "--status", "open,resolved,suppressed")
    assert found.returncode == 0, found.stderr
    rows = {r["resource_id"]: r for r in json.loads(found.stdout)}
    assert rows[excepted]["status"] == "suppressed"
    assert all(rows[i["resource_id"]]["status"] == "resolved" for i in fixed)  # as the last run saw them
    assert all(rows[i["resource_id"]]["status"] == "open" for i in held)
    after_undo = json.loads(railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--json").stdout)
    reopened = {i["resource_id"] for i in after_undo["items"] if i["status"] == "dry-run"}
    assert reopened == {i["resource_id"] for i in fixed} | {i["resource_id"] for i in held}
    assert all("reopened 1 time(s)" in i["history"] or "earlier action" in i["history"]
               for i in after_undo["items"] if i["resource_id"] in {f["resource_id"] for f in fixed})


def test_approve_flow_from_the_cli(moto_url: str, tmp_path: Path) -> None:
    from railguard.demo.run import reset_moto

    reset_moto(moto_url)
    gid = _group(moto_url, "prod-a", "prod")
    excepted = _group(moto_url, "prod-b", "prod")
    gfile = tmp_path / "g.yaml"
    gfile.write_text(GUARDRAIL.format(mode="approve", excepted=excepted))
    db = str(tmp_path / "rg.db")
    p = railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--apply", "--json")
    assert p.returncode == 1, p.stderr
    pending = [i for i in json.loads(p.stdout)["items"] if i["status"] == "pending"]
    assert [i["resource_id"] for i in pending] == [gid] and _open(moto_url, gid)
    listed = railguard(moto_url, "approvals", "list", "--db", db, "--json")
    assert [r["id"] for r in json.loads(listed.stdout)] == [pending[0]["journal_id"]]
    ok = railguard(moto_url, "approvals", "approve", pending[0]["journal_id"], "--db", db, "--by", "carol")
    assert ok.returncode == 0, ok.stderr
    assert "applied (approved by carol)" in ok.stdout and not _open(moto_url, gid)
    assert json.loads(railguard(moto_url, "approvals", "list", "--db", db, "--json").stdout) == []


def test_invalid_guardrail_file_acts_on_nothing_and_names_file_line_field(moto_url: str, tmp_path: Path) -> None:
    gfile = tmp_path / "bad.yaml"
    gfile.write_text("guardrails:\n  - name: x\n    controls: [ec2.sg-admin-port-open-to-world]\n"
                     "    mode: remediate\n    action: {id: ec2.no-such-action}\n    safegaurds: {max_actions: 1}\n")
    for cmd in (["guardrails", "validate", str(gfile)], ["guardrails", "run", str(gfile), "--apply",
                                                         "--db", str(tmp_path / "x.db")]):
        p = railguard(moto_url, *cmd)
        assert p.returncode == 2, p.stderr
        assert "Traceback" not in p.stderr
        assert f"{gfile}:5: field guardrails.0.action: unknown action 'ec2.no-such-action'" in p.stderr
        assert f"{gfile}:6: field guardrails.0.safegaurds: Extra inputs are not permitted" in p.stderr
    assert not (tmp_path / "x.db").exists()  # refused before opening anything


def test_scan_db_records_the_run_and_findings_diff(moto_url: str, tmp_path: Path) -> None:
    from railguard.demo.run import reset_moto

    reset_moto(moto_url)
    a = _group(moto_url, "scan-a", "prod")
    db = str(tmp_path / "rg.db")
    args = ["scan", "--controls", "ec2.sg-admin-port-open-to-world", "--regions", REGION, "--format", "json",
            "-o", str(tmp_path / "out"), "-q", "--db", db]
    first = railguard(moto_url, *args)
    assert first.returncode == 0, first.stderr
    run_id = next(w for w in first.stdout.split() if w.startswith("r-"))
    assert "1 new" in first.stdout
    b = _group(moto_url, "scan-b", "prod")
    _ec2(moto_url).revoke_security_group_ingress(GroupId=a, IpPermissions=[WORLD_SSH])
    second = railguard(moto_url, *args)
    assert "1 new" in second.stdout and "1 resolved" in second.stdout
    d = railguard(moto_url, "findings", "diff", "--since", run_id, "--db", db, "--json")
    assert d.returncode == 0, d.stderr
    diff = json.loads(d.stdout)
    assert [r["resource_id"] for r in diff["new"]] == [b]
    assert [r["resource_id"] for r in diff["fixed"]] == [a]
    text = railguard(moto_url, "findings", "diff", "--since", run_id, "--db", db)
    assert "1 new" in text.stdout and "1 fixed" in text.stdout
    bad = railguard(moto_url, "findings", "diff", "--since", "yesterday", "--db", db)
    assert bad.returncode == 2 and "neither a run id" in bad.stderr
