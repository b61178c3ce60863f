"""The storage seed, scanned end to end over real HTTP: every planted FAIL fails, every twin passes."""

from __future__ import annotations

import pytest

from railguard.model import Result

STORAGE_CONTROLS = [
    "s3.deny-http", "s3.mfa-delete", "s3.bucket-public-access-block", "s3.account-public-access-block",
    "s3.public-acl", "s3.default-encryption", "s3.versioning-enabled", "s3.access-logging-enabled",
    "rds.storage-encrypted", "rds.auto-minor-version-upgrade", "rds.publicly-accessible", "rds.multi-az",
    "efs.encrypted", "ec2.ebs-default-encryption", "ec2.ebs-volume-encrypted",
]


@pytest.mark.e2e
def test_seed_storage_scanned_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import ThreadedMotoServer

    from railguard.demo import seed_storage
    from railguard.demo.lab import Lab
    from railguard.engine.plan import build_plan
    from railguard.engine.scan import ScanOptions, run_scan

    regions = ["us-east-1", "eu-west-1"]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        from railguard.demo.run import reset_moto

        reset_moto(endpoint)  # moto backends are process-global
        lab = Lab(endpoint_url=endpoint, regions=regions)
        seed_storage.seed(lab)
        plan = build_plan([], only_controls=STORAGE_CONTROLS)
        run = run_scan(plan, ScanOptions(endpoint_url=endpoint, regions=regions))
    finally:
        server.stop()

    got: dict[tuple[str, str], Result] = {}
    for f in run.findings:
        got[(f.control_id, f.resource_name or f.resource_id)] = f.result
    wrong = [(k, got.get(k)) for k in sorted(lab.expected_fail) if got.get(k) != Result.FAIL]
    wrong += [(k, got.get(k)) for k in sorted(lab.expected_pass) if got.get(k) != Result.PASS]
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
