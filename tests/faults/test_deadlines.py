"""A stalled API call costs its deadline, not read timeout x retries: after it, the slice is a gap.

The fault proxy accepts the calls of one service and never answers; short timeouts keep the
test to seconds. Deadlines are checked through the reasons they leave, never through timings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from railguard.demo.faultproxy import Fault, FaultProxy
from railguard.model import Result
from railguard.sources.aws.deadlines import Timeouts

STALL_KMS = [Fault("stall", service="kms")]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        boto3.client("kms", region_name="us-east-1", endpoint_url=url).create_key(Description="rotation off")
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=url)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        sg = ec2.create_security_group(GroupName="open-ssh", Description="x", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        yield url


def _scan(url: str, timeouts: Timeouts, controls: list[str]):  # type: ignore[no-untyped-def]
    from railguard.engine.plan import build_plan
    from railguard.engine.scan import ScanOptions, run_scan

    plan = build_plan([], only_controls=controls)
    return run_scan(plan, ScanOptions(endpoint_url=url, regions=["us-east-1"], region="us-east-1", timeouts=timeouts))


def test_a_stalled_call_is_a_gap_after_its_call_deadline_and_the_rest_is_read(moto_url: str) -> None:
    with FaultProxy(moto_url, faults=STALL_KMS, stall_s=30) as url:
        run = _scan(url, Timeouts(read=0.3, attempts=10, call=1.0, collector=60),
                    ["kms.rotation-enabled", "ec2.sg-admin-port-open-to-world-ipv4"])
    (kms,) = [i for i in run.items if i.id == "kms.rotation-enabled"]
    assert kms.result == Result.UNKNOWN
    assert "kms:ListKeys: no answer within the 1 s call deadline" in kms.reason
    assert "endpoint timed out" in kms.reason
    (ec2,) = [i for i in run.items if i.id == "ec2.sg-admin-port-open-to-world-ipv4"]
    assert ec2.result == Result.FAIL  # EC2 answered: one stalled service stops nothing else


def test_a_collector_past_its_own_deadline_is_a_gap_naming_it(moto_url: str) -> None:
    with FaultProxy(moto_url, faults=STALL_KMS, stall_s=30) as url:
        run = _scan(url, Timeouts(read=0.3, attempts=20, call=60, collector=1.0), ["kms.rotation-enabled"])
    (kms,) = run.items
    assert kms.result == Result.UNKNOWN
    assert "the collector deadline of kms in us-east-1 (1 s)" in kms.reason


def test_timeouts_come_from_railguard_yaml_and_flags(moto_url: str, tmp_path: Path) -> None:
    config = tmp_path / "railguard.yaml"
    config.write_text("timeouts:\n  read: 0.3\n  attempts: 10\n  call: 30\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    with FaultProxy(moto_url, faults=STALL_KMS, stall_s=30) as url:
        p = subprocess.run(
            [sys.executable, "-m", "railguard.cli", "scan", "--endpoint-url", url, "--regions", "us-east-1",
             "--controls", "kms.rotation-enabled", "--config", str(config), "--call-timeout", "1.5",
             "-o", str(tmp_path / "out"), "--format", "json", "--fail-on", "low"],
            env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 5, p.stderr
    assert "no answer within the 1.5 s call deadline" in p.stderr  # the flag over the file's 30 s


def test_bad_timeouts_in_railguard_yaml_are_refused(tmp_path: Path) -> None:
    from railguard.config import ConfigError, load_config

    config = tmp_path / "railguard.yaml"
    config.write_text("timeouts:\n  read: -1\n")
    with pytest.raises(ConfigError, match="read"):
        load_config(config)
    config.write_text("timeouts:\n  raed: 5\n")
    with pytest.raises(ConfigError, match="raed"):
        load_config(config)
