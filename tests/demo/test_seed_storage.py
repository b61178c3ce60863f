"""The storage seed, scanned end to end over real HTTP: every planted FAIL fails, every twin passes."""

from __future__ import annotations

import pytest

from railguard.model import Result
from tests.demo.seedscan import mismatches, scan_seeded

STORAGE_CONTROLS = [
    "s3.deny-http", "s3.mfa-delete", "s3.bucket-public-access-block", "s3.account-public-access-block",
    "s3.public-acl", "s3.default-encryption", "s3.versioning-enabled", "s3.access-logging-enabled",
    "rds.storage-encrypted", "rds.auto-minor-version-upgrade", "rds.publicly-accessible", "rds.multi-az",
    "efs.encrypted", "ec2.ebs-default-encryption", "ec2.ebs-volume-encrypted",
]


@pytest.mark.e2e
def test_seed_storage_scanned_over_http() -> None:
    from railguard.demo import seed_storage

    regions = ["us-east-1", "eu-west-1"]
    run, lab = scan_seeded(seed_storage.seed, STORAGE_CONTROLS, regions)

    wrong = mismatches(run, lab)
    got = {(f.control_id, f.resource_name or f.resource_id): f.result for f in run.findings}
    assert not wrong, wrong
    assert not run.gaps, run.gaps
    # every control has a planted misconfiguration, and every one but s3.mfa-delete a compliant twin
    assert {c for c, _ in lab.expected_fail} == set(STORAGE_CONTROLS)
    assert {c for c, _ in lab.expected_pass} == set(STORAGE_CONTROLS) - {
        "s3.mfa-delete", "s3.account-public-access-block"}
    # nothing planted is left unassessed
    assert not [k for k, v in got.items() if v == Result.UNKNOWN]
    # S3 per-bucket attributes: one call each per bucket, whatever the number of controls reading them
    buckets = len({name for c, name in lab.expected_fail | lab.expected_pass if c == "s3.mfa-delete"})
    for op in ("GetBucketLocation", "GetBucketPolicy", "GetPublicAccessBlock", "GetBucketVersioning",
               "GetBucketEncryption", "GetBucketLogging", "GetBucketAcl"):
        assert run.api_calls.get(f"s3:{op}") == buckets, (op, run.api_calls)
    assert run.api_calls["s3:ListBuckets"] == 1
