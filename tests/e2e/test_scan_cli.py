"""End to end: the `railguard` console script over real HTTP against moto's server.

Faults (AccessDenied, throttling, an unreachable endpoint, no credentials) go through the
lab's fault proxy, which answers in each service's own wire format.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from railguard.demo.faultproxy import Fault, FaultProxy

RAILGUARD = [sys.executable, "-m", "railguard.cli"]
REGIONS = "us-east-1,eu-west-1"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        _seed(url)
        yield url


def _client(service: str, url: str, region: str = "us-east-1"):  # type: ignore[no-untyped-def]
    return boto3.client(service, region_name=region, endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _seed(url: str) -> None:
    ec2 = _client("ec2", url, "eu-west-1")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="<script>alert(1)</script>", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    _client("s3", url).create_bucket(Bucket="e2e-plain-bucket")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    env.update(extra)
    return env


def railguard(*args: str, env: dict[str, str] | None = None, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RAILGUARD, *args], env=env or _env(), capture_output=True, text=True, timeout=timeout)


def _report(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "railguard-report.json").read_text())


def _items(report: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {i["id"]: i for i in report["items"]}


def test_scan_writes_every_report_and_shows_every_cis_item(moto_url: str, tmp_path: Path) -> None:
    p = railguard("scan", "--endpoint-url", moto_url, "--regions", REGIONS, "-o", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    report = _report(tmp_path)
    items = _items(report)
    assert len(items) == 62  # every CIS 3.0 item, manual ones included
    assert items["1.1"]["result"] == "MANUAL"
    assert items["5.2"]["result"] == "FAIL"
    offenders = items["5.2"]["offenders"]
    assert any(o["resource_name"] == "<script>alert(1)</script>" and o["region"] == "eu-west-1" for o in offenders)
    assert items["4.3"]["note"]  # section 4 says that railguard checks a Manual item
    assert report["api_calls"]["total"] > 0
    failed = json.loads((tmp_path / "railguard-failed.json").read_text())
    assert "5.2" in failed["Failed"]
    assert (tmp_path / "railguard-report.csv").read_text().splitlines()[0].count(",") >= 5
    html = (tmp_path / "railguard-report.html").read_text().replace("<wbr>", "")  # break hints in ids
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_fail_on_sets_exit_code_for_ci(moto_url: str, tmp_path: Path) -> None:
    p = railguard("scan", "--endpoint-url", moto_url, "--regions", REGIONS, "-o", str(tmp_path),
                  "--controls", "ec2.sg-admin-port-open-to-world-ipv4", "--fail-on", "high", "--format", "json")
    assert p.returncode == 1, p.stderr
    p = railguard("scan", "--endpoint-url", moto_url, "--regions", REGIONS, "-o", str(tmp_path),
                  "--controls", "ec2.sg-admin-port-open-to-world-ipv4", "--fail-on", "critical", "--format", "json")
    assert p.returncode == 0, p.stderr


def test_access_denied_on_one_service_is_unknown_and_the_rest_is_intact(moto_url: str, tmp_path: Path) -> None:
    with FaultProxy(moto_url, faults=[Fault("deny", service="s3")]) as url:
        p = railguard("scan", "--endpoint-url", url, "--regions", REGIONS, "-o", str(tmp_path), "--format", "json")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    items = _items(_report(tmp_path))
    assert items["2.1.1"]["result"] == "UNKNOWN"
    assert "denied" in items["2.1.1"]["reason"]
    assert items["5.2"]["result"] == "FAIL"  # EC2 was readable


def test_access_denied_in_one_region_is_unknown_for_that_region(moto_url: str, tmp_path: Path) -> None:
    with FaultProxy(moto_url, faults=[Fault("deny", service="ec2", region="us-east-1", action="DescribeSecurityGroups")]) as url:
        p = railguard("scan", "--endpoint-url", url, "--regions", REGIONS, "-o", str(tmp_path), "--format", "json",
                      "--controls", "ec2.sg-admin-port-open-to-world-ipv6")
    assert p.returncode == 0, p.stderr
    report = _report(tmp_path)
    item = _items(report)["ec2.sg-admin-port-open-to-world-ipv6"]  # --controls alone: one item per control
    assert item["result"] == "UNKNOWN"  # no false PASS: us-east-1 could not be read
    assert any(o["region"] == "us-east-1" and "denied" in o["reason"] for o in item["offenders"])
    assert any(g["region"] == "us-east-1" for g in report["gaps"])


def test_throttling_past_retries_is_unknown(moto_url: str, tmp_path: Path) -> None:
    with FaultProxy(moto_url, faults=[Fault("throttle", service="kms")]) as url:
        p = railguard("scan", "--endpoint-url", url, "--regions", "us-east-1", "-o", str(tmp_path),
                      "--format", "json", "--controls", "kms.rotation-enabled")
    assert p.returncode == 0, p.stderr
    item = _items(_report(tmp_path))["kms.rotation-enabled"]
    assert item["result"] == "UNKNOWN"
    assert "throttl" in item["reason"]


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    p = railguard("scan", "--endpoint-url", "http://127.0.0.1:9", "-o", str(tmp_path))
    assert p.returncode == 3
    assert "unreachable" in p.stderr
    assert "Traceback" not in p.stderr


def test_missing_credentials_is_a_clear_error(tmp_path: Path) -> None:
    env = _env()
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    p = railguard("scan", "-o", str(tmp_path), env=env)
    assert p.returncode == 3
    assert "no AWS credentials" in p.stderr
    assert "Traceback" not in p.stderr


def test_bad_flags_are_usage_errors(tmp_path: Path) -> None:
    p = railguard("scan", "--format", "pdf", "-o", str(tmp_path))
    assert p.returncode == 2 and "unknown format" in p.stderr
    p = railguard("scan", "--framework", "cis-9.9", "-o", str(tmp_path))
    assert p.returncode == 2 and "unknown framework" in p.stderr
    p = railguard("scan", "--fail-on", "urgent", "-o", str(tmp_path))
    assert p.returncode == 2 and "severity" in p.stderr


def test_dry_run_prints_plan_and_permissions() -> None:
    p = railguard("scan", "--dry-run", "--controls", "s3.deny-http")
    assert p.returncode == 0, p.stderr
    assert "s3:" in p.stdout.lower()


def test_several_accounts_through_assumed_roles(moto_url: str, tmp_path: Path) -> None:
    p = railguard("scan", "--endpoint-url", moto_url, "--regions", "us-east-1", "-o", str(tmp_path),
                  "--format", "json", "--accounts", "111111111111,222222222222", "--role-name", "Audit",
                  "--controls", "ec2.default-sg-restricts-all")
    assert p.returncode == 0, p.stderr
    report = _report(tmp_path)
    assert sorted(report["accounts"]) == ["111111111111", "222222222222"]


def test_controls_and_frameworks_commands() -> None:
    p = railguard("frameworks", "list")
    assert "cis-aws-foundations-3.0" in p.stdout and "cis-aws-foundations-5.0" in p.stdout
    p = railguard("frameworks", "show", "cis-aws-foundations-5.0")
    assert "5.1.2" in p.stdout and "MANUAL" in p.stdout
    p = railguard("controls", "show", "s3.deny-http")
    assert p.returncode == 0 and "cis-aws-foundations-3.0 2.1.1" in p.stdout
    p = railguard("controls", "show", "nope.nothing")
    assert p.returncode == 2 and "unknown control" in p.stderr


def test_whole_organization_through_assumed_roles(moto_url: str, tmp_path: Path) -> None:
    org = _client("organizations", moto_url)
    org.create_organization(FeatureSet="ALL")
    made = {org.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"]["AccountId"]
            for n in ("dev", "prod")}
    p = railguard("scan", "--endpoint-url", moto_url, "--regions", "us-east-1", "-o", str(tmp_path),
                  "--format", "json", "--org", "--controls", "ec2.default-sg-restricts-all")
    assert p.returncode == 0, p.stderr
    assert made <= set(_report(tmp_path)["accounts"])


def test_invalid_config_is_refused_before_any_api_call(tmp_path: Path) -> None:
    cfg = tmp_path / "railguard.yaml"
    cfg.write_text("baseline:\n  owned_accounts: [not-an-account]\n")
    proxy = FaultProxy("http://127.0.0.1:9")  # counts every request it receives
    with proxy as url:
        p = railguard("scan", "--endpoint-url", url, "--config", str(cfg), "-o", str(tmp_path))
        assert proxy.state.total == 0
        assert p.returncode == 2
        assert f"{cfg}:2: field baseline.owned_accounts.0" in p.stderr
        assert "Traceback" not in p.stderr


def test_profile_and_role_arn(moto_url: str, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = _env(AWS_SHARED_CREDENTIALS_FILE=str(creds))
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    args = ["scan", "--endpoint-url", moto_url, "--regions", "us-east-1", "-o", str(tmp_path), "--format", "json",
            "--controls", "ec2.default-sg-restricts-all"]
    p = railguard(*args, "--profile", "audit", env=env)
    assert p.returncode == 0, p.stderr
    p = railguard(*args, "--profile", "audit", "--role-arn", "arn:aws:iam::333333333333:role/SecurityAudit", env=env)
    assert p.returncode == 0, p.stderr
    assert _report(tmp_path)["accounts"] == ["333333333333"]
    p = railguard(*args, "--profile", "nope", env=env)
    assert p.returncode == 3 and "profile" in p.stderr and "Traceback" not in p.stderr


def test_version() -> None:
    p = railguard("--version")
    assert p.returncode == 0 and p.stdout.startswith("railguard ")
