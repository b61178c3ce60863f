"""The CI gate cannot go green blind: a scan that could read nothing exits UNASSESSED (5) under
`--fail-on`, `--fail-on-unknown` makes UNKNOWN a failure (1), and stderr names the items that
tripped the gate, with `-q` too."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from railguard.cli import exitcodes
from railguard.demo.faultproxy import Fault, FaultProxy

RAILGUARD = [sys.executable, "-m", "railguard.cli"]
# the account and its regions are read; every collector's call is denied
EVERY_SERVICE_DENIED = [Fault("pass", service="sts"), Fault("pass", service="ec2", action="DescribeRegions"),
                        Fault("deny")]
CONTROLS = "ec2.sg-admin-port-open-to-world-ipv4,s3.deny-http,kms.rotation-enabled"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=url)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        sg = ec2.create_security_group(GroupName="gate-open-ssh", Description="x", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        boto3.client("s3", region_name="us-east-1", endpoint_url=url).create_bucket(Bucket="gate-bucket")
        yield url


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    return env


def scan(url: str, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [*RAILGUARD, "scan", "--endpoint-url", url, "--regions", "us-east-1", "-o", str(out), "--format", "json",
           "--controls", CONTROLS, "--config", str(out / "none.yaml"), *args]
    out.mkdir(parents=True, exist_ok=True)
    (out / "none.yaml").write_text("{}\n")
    return subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)


def test_every_service_denied_fails_the_gate_with_its_own_code_and_names_the_items(
        moto_url: str, tmp_path: Path) -> None:
    with FaultProxy(moto_url, faults=EVERY_SERVICE_DENIED) as url:
        p = scan(url, tmp_path / "a", "--fail-on", "low", "-q")
    assert p.returncode == exitcodes.UNASSESSED == 5, p.stderr
    assert "Traceback" not in p.stderr
    for control in CONTROLS.split(","):
        assert f"UNKNOWN railguard-controls {control}" in " ".join(p.stderr.split()), p.stderr
    assert "denied" in p.stderr


def test_fail_on_unknown_counts_unknown_as_a_failure(moto_url: str, tmp_path: Path) -> None:
    with FaultProxy(moto_url, faults=EVERY_SERVICE_DENIED) as url:
        p = scan(url, tmp_path, "--fail-on", "high", "--fail-on-unknown")
    assert p.returncode == exitcodes.FINDINGS, p.stderr
    assert "ec2.sg-admin-port-open-to-world-ipv4" in p.stderr  # high: at the threshold
    assert "kms.rotation-enabled" not in p.stderr.split("gate", 1)[1]  # medium: below it


def test_a_fail_outranks_unknown_and_a_gate_above_them_stays_green(moto_url: str, tmp_path: Path) -> None:
    deny_kms = [Fault("deny", service="kms")]
    with FaultProxy(moto_url, faults=deny_kms) as url:
        p = scan(url, tmp_path / "fail", "--fail-on", "low", "-q")
        assert p.returncode == exitcodes.FINDINGS, p.stderr  # the open SSH group FAILs
        assert "FAIL railguard-controls ec2.sg-admin-port-open-to-world-ipv4" in " ".join(p.stderr.split())
        p = scan(url, tmp_path / "crit", "--fail-on", "critical")
        assert p.returncode == exitcodes.OK, p.stderr


def test_without_a_gate_a_scan_only_reports(moto_url: str, tmp_path: Path) -> None:
    with FaultProxy(moto_url, faults=EVERY_SERVICE_DENIED) as url:
        p = scan(url, tmp_path)
    assert p.returncode == exitcodes.OK, p.stderr
    assert "gate" not in p.stderr
