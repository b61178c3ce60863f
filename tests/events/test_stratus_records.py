"""The detections on published CloudTrail records: Stratus Red Team's detonation logs (real records,
anonymized; see tests/fixtures/cloudtrail/stratus-red-team/README.md). Each technique's file is
replayed alone, as a fresh account would see it; the owned accounts are the file's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.events.detections import EventsConfig
from railguard.events.detector import Detector
from railguard.sources.cloudtrail.logfile import LogFile, read_log_file
from railguard.sources.cloudtrail.records import usable

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "cloudtrail" / "stratus-red-team"

# technique -> the rules that must report it (all of them), for techniques the detection list covers
COVERED: dict[str, set[str]] = {
    "aws.credential-access.ec2-get-password-data": {"iam.access-denied-burst"},  # every call was denied
    "aws.credential-access.ec2-steal-instance-credentials": {"ssm.command-by-unusual-principal"},
    "aws.credential-access.secretsmanager-batch-retrieve-secrets": {"secrets.retrieval-burst"},
    "aws.credential-access.secretsmanager-retrieve-secrets": {"secrets.retrieval-burst"},
    "aws.credential-access.ssm-retrieve-securestring-parameters": {"secrets.retrieval-burst"},
    "aws.defense-evasion.cloudtrail-delete": {"cloudtrail.trail-deleted"},
    "aws.defense-evasion.cloudtrail-event-selectors": {"cloudtrail.trail-weakened"},
    "aws.defense-evasion.cloudtrail-stop": {"cloudtrail.logging-stopped"},
    "aws.defense-evasion.organizations-leave": {"organizations.account-left"},  # a denied attempt
    "aws.defense-evasion.vpc-remove-flow-logs": {"ec2.flow-logs-deleted"},
    "aws.discovery.ec2-download-user-data": {"iam.access-denied-burst"},
    "aws.execution.ssm-send-command": {"ssm.command-by-unusual-principal"},
    "aws.execution.ssm-start-session": {"ssm.command-by-unusual-principal"},
    "aws.exfiltration.ec2-security-group-open-port-22-ingress": {"change.security-group"},
    "aws.exfiltration.ec2-share-ami": {"ec2.ami-shared"},
    "aws.exfiltration.ec2-share-ebs-snapshot": {"ec2.snapshot-shared"},
    "aws.exfiltration.rds-share-snapshot": {"rds.snapshot-shared"},
    "aws.initial-access.console-login-without-mfa": {"signin.console-login-without-mfa"},
    "aws.persistence.iam-backdoor-role": {"iam.role-trusts-outside-account"},
    "aws.persistence.iam-backdoor-user": {"iam.credentials-for-another-user"},
    "aws.persistence.iam-create-admin-user": {"iam.user-created", "iam.admin-granted",
                                              "iam.credentials-for-another-user"},
    "aws.persistence.iam-create-backdoor-role": {"iam.admin-granted", "iam.role-trusts-outside-account"},
    "aws.persistence.iam-create-user-login-profile": {"iam.credentials-for-another-user"},
    "aws.persistence.lambda-backdoor-function": {"lambda.permission-outside"},
    "aws.privilege-escalation.iam-update-user-login-profile": {"iam.credentials-for-another-user"},
}
# techniques outside the detection list: nothing is expected, and nothing may fire
NOT_COVERED = {
    "aws.defense-evasion.dns-delete-logs", "aws.execution.ec2-launch-unusual-instances", "aws.execution.ec2-user-data",
    "aws.impact.bedrock-invoke-model", "aws.lateral-movement.ec2-instance-connect",
    "aws.lateral-movement.ec2-serial-console-send-ssh-public-key", "aws.persistence.lambda-layer-extension",
    "aws.persistence.lambda-overwrite-code", "aws.persistence.rolesanywhere-create-trust-anchor",
    "aws.persistence.sts-federation-token",
}


def detections(technique: str) -> list[str]:
    f = HERE / f"{technique}.json"
    recs, problems = usable(read_log_file(LogFile(str(f), f.read_bytes)), f.name)
    assert problems == [] and recs
    det = Detector(EventsConfig(owned_accounts=frozenset(r["recipientAccountId"] for r in recs)))
    return [d.rule for r in sorted(recs, key=lambda r: r["eventTime"]) for d in det.process(r)]


def test_every_published_file_is_classified() -> None:
    assert {p.stem for p in HERE.glob("*.json")} == set(COVERED) | NOT_COVERED


@pytest.mark.parametrize("technique", sorted(COVERED))
def test_covered_technique_is_reported_and_nothing_else(technique: str) -> None:
    assert set(detections(technique)) == COVERED[technique]


@pytest.mark.parametrize("technique", sorted(NOT_COVERED))
def test_uncovered_technique_raises_no_detection(technique: str) -> None:
    assert detections(technique) == []
