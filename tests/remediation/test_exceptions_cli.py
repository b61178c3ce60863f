"""`railguard exceptions add|list|remove` end to end with `guardrails run`, and `undo` of an action
whose resource changed since (refused with a clear message, then forced), over HTTP against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.remediation.test_scenario_cli import _ec2, _group, _open, railguard

GUARDRAIL = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {regions: [us-east-1]}
    mode: remediate
    action: {id: ec2.restrict-world-ingress}
"""


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        yield url


def test_exceptions_from_the_cli_and_undo_of_a_changed_resource(moto_url: str, tmp_path: Path) -> None:
    from railguard.demo.run import reset_moto

    reset_moto(moto_url)
    bastion, web = _group(moto_url, "bastion", "prod"), _group(moto_url, "web", "prod")
    gfile = tmp_path / "g.yaml"
    gfile.write_text(GUARDRAIL)
    db = str(tmp_path / "rg.db")

    bad = railguard(moto_url, "exceptions", "add", "--resource", bastion, "--reason", "x", "--owner", "o",
                    "--expires", "yesterday", "--db", db)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--expires" in bad.stderr
    added = railguard(moto_url, "exceptions", "add", "--resource", bastion, "--reason", "bastion, SEC-12",
                      "--owner", "ops@example.com", "--expires", "2999-01-31", "--guardrail", "no-admin-ports",
                      "--db", db)
    assert added.returncode == 0, added.stderr
    xid = added.stdout.split()[-1]
    listed = json.loads(railguard(moto_url, "exceptions", "list", "--json", "--db", db).stdout)
    assert [(e["id"], e["resource"], e["owner"]) for e in listed] == [(xid, bastion, "ops@example.com")]

    p = railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--apply", "--json")
    assert p.returncode == 0, p.stderr
    items = {i["resource_id"]: i for i in json.loads(p.stdout)["items"]}
    assert items[bastion]["status"] == "excepted" and "SEC-12" in items[bastion]["summary"]
    assert items[web]["status"] == "applied" and _open(moto_url, bastion) and not _open(moto_url, web)

    # someone changes the fixed group afterwards: undo refuses (no traceback), --force restores
    _ec2(moto_url).authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}])
    refused = railguard(moto_url, "undo", items[web]["journal_id"], "--db", db)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "changed since railguard applied" in refused.stderr and "--force" in refused.stderr
    assert not _open(moto_url, web)
    forced = railguard(moto_url, "undo", items[web]["journal_id"], "--db", db, "--force")
    assert forced.returncode == 0, forced.stderr
    assert _open(moto_url, web)

    assert railguard(moto_url, "exceptions", "remove", xid, "--db", db).returncode == 0
    assert json.loads(railguard(moto_url, "exceptions", "list", "--json", "--db", db).stdout) == []
    again = json.loads(railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--json").stdout)
    assert {i["resource_id"]: i["status"] for i in again["items"]}[bastion] == "dry-run"
