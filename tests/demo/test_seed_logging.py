"""The logging seed, scanned end to end over real HTTP: every planted FAIL fails, every twin passes."""

from __future__ import annotations

import pytest

from railguard.model import Result
from tests.demo.seedscan import scan_seeded

LOGGING_CONTROLS = [
    "cloudtrail.multi-region-enabled", "cloudtrail.log-file-validation", "cloudtrail.kms-encryption",
    "cloudtrail.cloudwatch-logs-delivery", "cloudtrail.bucket-access-logging",
    "cloudtrail.s3-data-events-write", "cloudtrail.s3-data-events-read", "config.recorder-all-regions",
    "kms.rotation-enabled", "kms.key-policy-wildcard-principal", "securityhub.enabled-all-regions",
    "guardduty.enabled-all-regions", "sns.topic-encrypted", "sqs.queue-encrypted",
    *(f"cloudwatch.alarm-{k}" for k in (
        "unauthorized-api-calls", "console-signin-without-mfa", "root-usage", "iam-policy-changes",
        "cloudtrail-changes", "console-auth-failures", "cmk-disable-or-deletion", "s3-bucket-policy-changes",
        "config-changes", "security-group-changes", "nacl-changes", "network-gateway-changes",
        "route-table-changes", "vpc-changes", "organizations-changes", "new-iam-user",
        "admin-policy-attached", "kms-decrypt-burst", "root-access-key-use",
    )),
]


@pytest.mark.e2e
def test_seed_logging_scanned_over_http() -> None:
    from railguard.demo import seed_logging

    regions = ["us-east-1", "eu-west-1"]
    run, lab = scan_seeded(seed_logging.seed, LOGGING_CONTROLS, regions)

    got: dict[tuple[str, str], tuple[Result, str]] = {}
    for f in run.findings:
        got[(f.control_id, f.resource_name or f.resource_id)] = (f.result, f.reason)
    wrong = [(k, got.get(k)) for k in sorted(lab.expected_fail) if got.get(k, (None,))[0] != Result.FAIL]
    wrong += [(k, got.get(k)) for k in sorted(lab.expected_pass) if got.get(k, (None,))[0] != Result.PASS]
    assert not wrong, wrong
    assert not run.gaps, run.gaps
    # each trail is read once (in its home region), whatever the number of regions
    trails = {f.resource_name for f in run.findings if f.control_id == "cloudtrail.log-file-validation"}
    assert run.api_calls["cloudtrail:GetTrailStatus"] == len(trails) == 3
    assert run.api_calls["cloudtrail:DescribeTrails"] == len(regions)
    # every control of the slice is exercised, and every one of them has a planted FAIL
    assert {c for c, _ in lab.expected_fail} >= set(LOGGING_CONTROLS) - {
        "cloudtrail.multi-region-enabled", "cloudtrail.s3-data-events-write", "cloudwatch.alarm-unauthorized-api-calls",
        "cloudwatch.alarm-root-usage", "cloudwatch.alarm-new-iam-user", "cloudwatch.alarm-root-access-key-use"}
    # the chain says which link is missing
    assert "no alarm on its metric" in got[("cloudwatch.alarm-cloudtrail-changes", lab.account)][1]
    assert "confirmed subscriber" in got[("cloudwatch.alarm-console-signin-without-mfa", lab.account)][1]
    assert "no metric filter" in got[("cloudwatch.alarm-iam-policy-changes", lab.account)][1]
