"""End to end: `railguard ir` as a separate process over real HTTP against moto's server (and through
the lab's fault proxy for an AccessDenied mid-way). Exit codes: 0 done, 1 needs a person (waiting or
stopped), 2 bad input; never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from railguard.demo.faultproxy import Fault, FaultProxy
from tests.ir.scenario import AMI, Scenario, build, client, eni_groups

RAILGUARD = [sys.executable, "-m", "railguard.cli"]


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[str, Scenario]]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        os.environ["AWS_ENDPOINT_URL"] = url  # the scenario's own clients
        try:
            yield url, build(3)
        finally:
            os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(autouse=True)
def _endpoint(world: tuple[str, Scenario], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", world[0])  # conftest's fake env removes it per test


def railguard(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_ENDPOINT_URL=url)
    return subprocess.run([*RAILGUARD, *args], env=env, capture_output=True, text=True, timeout=300)


def case_of(p: subprocess.CompletedProcess[str]) -> str:
    return next(w for line in (p.stdout + p.stderr).splitlines() for w in line.split() if w.startswith("case-"))\
        .rstrip(":")


def test_isolate_status_report_release_over_http(world: tuple[str, Scenario], tmp_path: Path) -> None:
    url, sc = world
    db = str(tmp_path / "ir.db")
    s = sc.suspects[0]
    dry = railguard("ir", "isolate", s["id"], "--dry-run", "--db", db, url=url)
    assert dry.returncode == 0 and "nothing was changed" in dry.stdout and not Path(db).exists()
    p = railguard("ir", "isolate", s["id"], "--region", "us-east-1", "--db", db, "--by", "oncall", url=url)
    assert p.returncode == 0, p.stderr
    case = case_of(p)
    assert f"case {case}: done" in p.stdout
    assert len(set(eni_groups(s["eni1"]) + eni_groups(s["eni2"]))) == 1
    st = json.loads(railguard("ir", "status", case, "--json", "--db", db, url=url).stdout)
    assert st["status"] == "done" and st["steps"][0]["name"] == "capture" and st["steps"][0]["actor"] == "oncall"
    assert all(len(a["sha256"]) == 64 for a in st["artefacts"])
    html = tmp_path / "case.html"
    r = railguard("ir", "report", case, "--format", "html", "-o", str(html), "--db", db, url=url)
    assert r.returncode == 0, r.stderr
    text = html.read_text()
    assert "<script" not in text and "Timeline" in text and st["artefacts"][0]["sha256"] in text
    rel = railguard("ir", "release", case, "--db", db, url=url)
    assert rel.returncode == 0, rel.stderr
    assert f"case {case}: released" in rel.stdout
    assert eni_groups(s["eni1"]) == [sc.app_sg]


def test_bad_input_is_a_clear_error_with_a_case(world: tuple[str, Scenario], tmp_path: Path) -> None:
    url = world[0]
    db = str(tmp_path / "ir.db")
    p = railguard("ir", "isolate", "i-0123456789abcdef0", "--db", db, url=url)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "instance i-0123456789abcdef0 not found in region us-east-1" in p.stderr
    st = json.loads(railguard("ir", "status", case_of(p), "--json", "--db", db, url=url).stdout)
    assert st["status"] == "stopped" and "Done: nothing" in st["message"]
    # an instance that lives in another region
    west = client("ec2", region_name="us-west-2").run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]
    p = railguard("ir", "isolate", west["InstanceId"], "--region", "us-east-1", "--db", db, url=url)
    assert p.returncode == 2 and "Traceback" not in p.stderr and "pass --region" in p.stderr
    p = railguard("ir", "isolate", "sg-123", "--db", db, url=url)
    assert p.returncode == 2 and "not an instance id" in p.stderr
    p = railguard("ir", "status", "case-nope", "--db", db, url=url)
    assert p.returncode == 2 and "no case case-nope" in p.stderr
    p = railguard("ir", "contain-principal", "nobody", "--db", db, url=url)
    assert p.returncode == 2 and "no IAM user or role named 'nobody'" in p.stderr and "Traceback" not in p.stderr


def test_access_denied_midway_stops_resumably(world: tuple[str, Scenario], tmp_path: Path) -> None:
    url, sc = world
    db = str(tmp_path / "ir.db")
    s = sc.suspects[1]
    with FaultProxy(url, faults=[Fault("deny", service="ec2", action="DisassociateAddress")]) as proxy:
        p = railguard("ir", "isolate", s["id"], "--db", db, url=proxy)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "stopped at step 'elastic-ips'" in p.stderr and "Done: capture, safeguards, tag, protect, network" in p.stderr
    assert "Not done: elastic-ips, credentials" in p.stderr
    case = case_of(p)
    r = railguard("ir", "resume", case, "--db", db, url=url)
    assert r.returncode == 0, r.stderr
    st = json.loads(railguard("ir", "status", case, "--json", "--db", db, url=url).stdout)
    assert st["status"] == "done"
    assert [x["name"] for x in st["steps"]].count("network") == 1


def test_marker_script_is_printed(world: tuple[str, Scenario]) -> None:
    p = railguard("ir", "marker-script", url=world[0])
    assert p.returncode == 0 and p.stdout.startswith("#!/bin/sh") and "X-aws-ec2-metadata-token" in p.stdout
