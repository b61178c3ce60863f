"""The railguard-baseline IAM seed, scanned end to end over real HTTP with the lab's configuration
(console_admins [lab-admin]): every planted FAIL fails, every twin passes."""

from __future__ import annotations

import pytest

from railguard.model import Result

BASELINE_IAM_CONTROLS = [
    "iam.user-only-assume-role", "iam.user-inline-policies", "iam.role-inline-policies",
    "iam.console-access-restricted", "iam.privileged-role-trust-mfa", "iam.access-key-unused",
    "iam.policy-dangerous-permissions", "iam.instance-role-privileged", "iam.password-expiry",
]


@pytest.mark.e2e
def test_seed_iam_baseline_scanned_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import ThreadedMotoServer

    from railguard import frameworks
    from railguard.demo import seed_iam_baseline
    from railguard.demo.lab import Lab
    from railguard.demo.run import lab_config, reset_moto
    from railguard.engine.plan import build_plan
    from railguard.engine.scan import ScanOptions, run_scan

    regions = ["us-east-1"]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        reset_moto(endpoint)  # moto backends are process-global
        lab = Lab(endpoint_url=endpoint, regions=regions)
        seed_iam_baseline.seed(lab)
        plan = build_plan(frameworks.resolve("railguard-baseline"), only_controls=BASELINE_IAM_CONTROLS,
                          overrides=lab_config(lab).overrides())
        run = run_scan(plan, ScanOptions(endpoint_url=endpoint, regions=regions, region=regions[0]))
    finally:
        server.stop()

    got: dict[tuple[str, str], Result] = {}
    for f in run.findings:
        got[(f.control_id, f.resource_name or f.resource_id)] = f.result
    wrong = [(k, got.get(k)) for k in sorted(lab.expected_fail) if got.get(k) != Result.FAIL]
    wrong += [(k, got.get(k)) for k in sorted(lab.expected_pass) if got.get(k) != Result.PASS]
    assert not wrong, wrong
    assert {c for c, _ in lab.expected_fail} == set(BASELINE_IAM_CONTROLS) - {"iam.password-expiry"}
    assert {c for c, _ in lab.expected_pass} == set(BASELINE_IAM_CONTROLS)
    # the admin instance's finding names the instance and its role
    [f] = [f for f in run.findings if f.control_id == "iam.instance-role-privileged" and f.result == Result.FAIL]
    assert f.evidence["instance"] == "rg-base-admin-instance-0" and f.evidence["role"] == "rg-base-admin-instance-role-0"
