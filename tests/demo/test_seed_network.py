"""The network seed, scanned end to end over real HTTP: every planted FAIL fails, every twin passes."""

from __future__ import annotations

import pytest

from railguard.model import Result

NETWORK_CONTROLS = [
    "ec2.sg-admin-port-open-to-world-ipv4", "ec2.sg-admin-port-open-to-world-ipv6",
    "ec2.sg-admin-port-open-to-world", "ec2.sg-cifs-open-to-world", "ec2.sg-world-ingress-undescribed",
    "ec2.default-sg-restricts-all", "ec2.nacl-admin-port-open-to-world", "ec2.vpc-flow-logs",
    "ec2.imdsv2-required", "ec2.instance-profile-attached", "ec2.instance-public-ip",
    "ec2.vpc-peering-unknown-account",
]


@pytest.mark.e2e
def test_seed_network_scanned_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import ThreadedMotoServer

    from railguard.demo import seed_network
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
        seed_network.seed(lab)
        plan = build_plan([], only_controls=NETWORK_CONTROLS)
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
    # every control has a planted misconfiguration (but peering: UNKNOWN without owned_accounts)
    # and a compliant twin
    assert {c for c, _ in lab.expected_fail} == set(NETWORK_CONTROLS) - {"ec2.vpc-peering-unknown-account"}
    assert {c for c, _ in lab.expected_pass} == set(NETWORK_CONTROLS)
    # the foreign peering is honest: UNKNOWN until owned accounts are configured, never PASS
    foreign = [f for f in run.findings if f.control_id == "ec2.vpc-peering-unknown-account"
               and f.resource_name == "lab-peer-external"]
    assert [f.result for f in foreign] == [Result.UNKNOWN]
    # one Describe per type per region, whatever the number of controls reading it
    for op in ("DescribeSecurityGroups", "DescribeNetworkAcls", "DescribeVpcs", "DescribeFlowLogs",
               "DescribeInstances", "DescribeVpcPeeringConnections"):
        assert run.api_calls.get(f"ec2:{op}") == len(regions), (op, run.api_calls)
