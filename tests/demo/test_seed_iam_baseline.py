"""The railguard-baseline IAM seed, scanned end to end over real HTTP with the lab's configuration
(console_admins [lab-admin]): every planted FAIL fails, every twin passes."""

from __future__ import annotations

import pytest

from railguard.model import Result
from tests.demo.seedscan import mismatches, scan_seeded

BASELINE_IAM_CONTROLS = [
    "iam.user-only-assume-role", "iam.user-inline-policies", "iam.role-inline-policies",
    "iam.console-access-restricted", "iam.privileged-role-trust-mfa", "iam.access-key-unused",
    "iam.policy-dangerous-permissions", "iam.instance-role-privileged", "iam.password-expiry",
]


@pytest.mark.e2e
def test_seed_iam_baseline_scanned_over_http() -> None:
    from railguard.demo import seed_iam_baseline

    regions = ["us-east-1"]
    run, lab = scan_seeded(seed_iam_baseline.seed, BASELINE_IAM_CONTROLS, regions, framework='railguard-baseline')

    wrong = mismatches(run, lab)
    assert not wrong, wrong
    assert {c for c, _ in lab.expected_fail} == set(BASELINE_IAM_CONTROLS) - {"iam.password-expiry"}
    assert {c for c, _ in lab.expected_pass} == set(BASELINE_IAM_CONTROLS)
    # the admin instance's finding names the instance and its role
    [f] = [f for f in run.findings if f.control_id == "iam.instance-role-privileged" and f.result == Result.FAIL]
    assert f.evidence["instance"] == "rg-base-admin-instance-0" and f.evidence["role"] == "rg-base-admin-instance-role-0"
