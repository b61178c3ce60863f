"""The network seed, scanned end to end over real HTTP: every planted FAIL fails, every twin passes."""

from __future__ import annotations

import pytest

from railguard.model import Result
from tests.demo.seedscan import mismatches, scan_seeded

NETWORK_CONTROLS = [
    "ec2.sg-admin-port-open-to-world-ipv4", "ec2.sg-admin-port-open-to-world-ipv6",
    "ec2.sg-admin-port-open-to-world", "ec2.sg-cifs-open-to-world", "ec2.sg-world-ingress-undescribed",
    "ec2.default-sg-restricts-all", "ec2.nacl-admin-port-open-to-world", "ec2.vpc-flow-logs",
    "ec2.imdsv2-required", "ec2.instance-profile-attached", "ec2.instance-public-ip",
    "ec2.vpc-peering-unknown-account",
]


@pytest.mark.e2e
def test_seed_network_scanned_over_http() -> None:
    from railguard.demo import seed_network

    regions = ["us-east-1", "eu-west-1"]
    run, lab = scan_seeded(seed_network.seed, NETWORK_CONTROLS, regions)

    wrong = mismatches(run, lab)
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
