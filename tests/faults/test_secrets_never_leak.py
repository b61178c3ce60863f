"""No secret in any output: real-shaped credentials planted in every field the emulator lets us
set, and in error bodies through the fault proxy, never appear in a report or on the terminal.

Planted (built at run time, structurally valid: the repository holds none): an AWS access key id
and secret access key, a GitHub token, a Slack token and a PEM private key, in tags (Name tags
included), security-group and rule descriptions, IAM policy `Condition` values, a KMS key's
description, and the bodies of denied, failed and malformed answers. Bucket names cannot hold
any of them (lowercase letters, digits, dots and hyphens only).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from railguard.demo.faultproxy import Fault, FaultProxy
from railguard.secrets.samples import sample

FORMATS = "json,failed,csv,html,sarif,junit"
REGION = "us-east-1"


@dataclass(frozen=True)
class Planted:
    key_id: str
    secret: str
    github: str
    slack: str
    pem: str

    @property
    def tokens(self) -> dict[str, str]:
        return {"aws-key-id": self.key_id, "aws-secret": self.secret, "github": self.github, "slack": self.slack}

    def short(self) -> str:
        """Everything that fits a 255-character field."""
        return f"{self.key_id} {self.secret} {self.github} {self.slack}"

    def fragments(self) -> dict[str, str]:
        """What must never be seen: each token, its middle, and every line of the key's body."""
        out = dict(self.tokens)
        out.update({f"{k} (middle)": v[5:-5] for k, v in self.tokens.items()})
        body = [ln for ln in self.pem.splitlines() if ln and not ln.startswith("-----")]
        out.update({f"pem line {i}": ln for i, ln in enumerate(body)})
        return out


def _planted() -> Planted:
    rng = random.Random(13)
    return Planted(*(sample(rule, rng).value for rule in (
        "aws-access-key-id", "aws-secret-access-key", "github-pat", "slack-token", "private-key-rsa")))


def _plant(url: str, p: Planted) -> None:
    def client(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, region_name=REGION, endpoint_url=url)

    conditions = {"StringEquals": {"aws:PrincipalTag/token": [p.key_id, p.secret, p.github, p.slack, p.pem]}}
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="leaky", Description=p.short()[:255], VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": p.short()[:255]}]}])
    ec2.create_tags(Resources=[sg, vpc], Tags=[{"Key": "Name", "Value": p.github}, {"Key": "token", "Value": p.slack},
                                               {"Key": "aws", "Value": f"{p.key_id} {p.secret}"}])
    iam = client("iam")
    admin = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": conditions}]}
    arn = iam.create_policy(PolicyName="leaky-admin", PolicyDocument=json.dumps(admin))["Policy"]["Arn"]
    iam.create_user(UserName="leaky-user", Tags=[{"Key": "token", "Value": p.github}])
    iam.attach_user_policy(UserName="leaky-user", PolicyArn=arn)
    iam.put_user_policy(UserName="leaky-user", PolicyName="inline-admin", PolicyDocument=json.dumps(admin))
    kms = client("kms")
    kms.create_key(Description=p.short(), Tags=[{"TagKey": "token", "TagValue": p.slack}])
    s3 = client("s3")
    s3.create_bucket(Bucket="leaky-bucket")
    s3.put_bucket_tagging(Bucket="leaky-bucket", Tagging={"TagSet": [{"Key": "token", "Value": p.github}]})
    s3.put_bucket_policy(Bucket="leaky-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::leaky-bucket/*",
         "Condition": conditions}]}))
    client("sqs").create_queue(QueueName="leaky-queue", tags={"token": p.slack})
    client("sns").create_topic(Name="leaky-topic", Tags=[{"Key": "token", "Value": p.github}])


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[str, Planted]]:
    from railguard.demo.run import moto_server

    planted = _planted()
    with moto_server() as url:
        _plant(url, planted)
        yield url, planted


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", COLUMNS="200")
    return env


def _outputs(url: str, out: Path, *extra: str) -> dict[str, str]:
    from railguard.controls import all_controls

    controls = ",".join(c.id for c in all_controls() if "live" in c.places)
    p = subprocess.run(
        [sys.executable, "-m", "railguard.cli", "scan", "--endpoint-url", url, "--regions", REGION,
         "--controls", controls, "--format", FORMATS, "-o", str(out), "--config", str(out / "none.yaml"),
         "--fail-on", "low", *extra],
        env=_env(), capture_output=True, text=True, timeout=300, cwd=out.parent)
    assert "Traceback" not in p.stderr, p.stderr
    texts = {"stdout": p.stdout, "stderr": p.stderr}
    texts.update({f.name: f.read_text(encoding="utf-8") for f in sorted(out.iterdir()) if f.name != "none.yaml"})
    return texts


def _leaks(texts: dict[str, str], planted: Planted) -> list[str]:
    return [f"{what} in {where}" for what, value in planted.fragments().items()
            for where, text in texts.items() if value in text]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    d = tmp_path / "out"
    d.mkdir()
    (d / "none.yaml").write_text("{}\n")
    return d


def test_planted_secrets_never_reach_a_report_or_the_terminal(world: tuple[str, Planted], out: Path) -> None:
    url, planted = world
    texts = _outputs(url, out)
    assert {"railguard-report.json", "railguard-failed.json", "railguard-report.csv", "railguard-report.html",
            "railguard-report.sarif", "railguard-report.junit.xml"} <= set(texts)
    assert not _leaks(texts, planted)
    # the planted fields did reach the reports, redacted: the absence above is not for want of them
    everything = "\n".join(texts.values())
    for token in (planted.github, planted.slack, planted.key_id):
        assert f"{token[:4]}****{token[-4:]}" in everything, token[:4]


def test_secrets_in_error_bodies_never_reach_a_report_or_the_terminal(
        world: tuple[str, Planted], out: Path) -> None:
    url, planted = world
    body = f"token {planted.github} key {planted.key_id} {planted.secret} slack {planted.slack}\n{planted.pem}"
    faults = [
        Fault("deny", service="sqs", body=body.encode()),
        Fault("error", service="kms", body=body.encode()),
        Fault("html", service="sns", body=f"<html><body><pre>{body}</pre></body></html>".encode()),
        Fault("foreign-json", service="dynamodb", body=json.dumps({"message": body}).encode()),
        Fault("foreign-xml", service="monitoring", body=f"<Oops>{body}</Oops>".encode()),
        Fault("truncated", service="logs", body=f'{{"metricFilters": [{{"filterName": "{body}'.encode()),
    ]
    with FaultProxy(url, faults=faults) as proxy_url:
        texts = _outputs(proxy_url, out)
    assert not _leaks(texts, planted)
    report = json.loads(texts["railguard-report.json"])
    reasons = " ".join(g["reason"] for g in report["gaps"])
    assert "malformed answer to sns:" in reasons and "ghp_****" in reasons, reasons  # quoted, redacted
    assert all(len(g["reason"]) < 400 for g in report["gaps"])  # capped, not the whole body
