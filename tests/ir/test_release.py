"""`ir release`: groups, Elastic IP, profile, Auto Scaling and target-group membership as before; evidence kept."""

from __future__ import annotations

import json
from typing import Any

import pytest

from railguard.ir import service
from railguard.ir.isolate import REVOKE_POLICY
from railguard.ir.workflow import IrError
from railguard.store import Store
from railguard.store import cases as C
from tests.ir.conftest import deny
from tests.ir.scenario import build, client, eni_groups
from tests.ir.test_isolate import case_snapshots, isolate


def test_release_restores_what_isolation_changed_and_keeps_the_evidence(store: Store, session: Any) -> None:
    sc = build(1)
    s = sc.suspects[0]
    ec2, asc, elb, iam = client("ec2"), client("autoscaling"), client("elbv2"), client("iam")
    desired = asc.describe_auto_scaling_groups(AutoScalingGroupNames=[sc.asg])["AutoScalingGroups"][0]["DesiredCapacity"]
    before_eni2 = eni_groups(s["eni2"])
    result = isolate(store, session, s["id"])
    assert result.status == C.DONE
    out = service.release(store, session, result.case_id, actor="tester")
    assert out.status == C.RELEASED, out.message
    assert eni_groups(s["eni1"]) == [sc.app_sg] and eni_groups(s["eni2"]) == before_eni2
    addr = ec2.describe_addresses(AllocationIds=[s["eip_alloc"]])["Addresses"][0]
    # back on the ENI it was on (moto leaves InstanceId empty when an address is associated by ENI id)
    assert addr["NetworkInterfaceId"] == s["eni1"] and addr["AssociationId"] and addr["PrivateIpAddress"]
    assert asc.describe_auto_scaling_instances(InstanceIds=[s["id"]])["AutoScalingInstances"][0]["LifecycleState"] == "InService"
    assert asc.describe_auto_scaling_groups(AutoScalingGroupNames=[sc.asg])["AutoScalingGroups"][0]["DesiredCapacity"] == desired
    assert s["id"] in {d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=sc.tg_arn)["TargetHealthDescriptions"]}
    assoc = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": [s["id"]]}])
    assert [a["IamInstanceProfile"]["Arn"] for a in assoc["IamInstanceProfileAssociations"] if a["State"] == "associated"] \
        == [sc.profile_arn]
    assert iam.list_role_policies(RoleName=sc.role)["PolicyNames"] == ["read-s3"]  # revocation lifted: as before
    inst = ec2.describe_instances(InstanceIds=[s["id"]])["Reservations"][0]["Instances"][0]
    assert "railguard:quarantine" not in {t["Key"] for t in inst.get("Tags", [])}
    assert not ec2.describe_instance_attribute(InstanceId=s["id"], Attribute="disableApiTermination")["DisableApiTermination"]["Value"]
    root = next(m for m in inst["BlockDeviceMappings"] if m["DeviceName"] == "/dev/sda1")
    assert root["Ebs"]["DeleteOnTermination"] is True
    # evidence kept: snapshots and artefacts; the release is steps of the same case
    assert len(case_snapshots(result.case_id)) == 2
    assert len(store.cases.artefacts(result.case_id)) >= 10
    verify = store.cases.step(result.case_id, "release", "verify")
    assert verify is not None and verify.status == "done" and "as before the case" in verify.summary
    with pytest.raises(IrError, match="already released"):
        service.release(store, session, result.case_id, actor="tester")


def test_keep_revocation_leaves_older_sessions_denied(store: Store, session: Any) -> None:
    sc = build(1)
    result = isolate(store, session, sc.suspects[0]["id"])
    out = service.release(store, session, result.case_id, actor="t", keep_revocation=True)
    assert out.status == C.RELEASED
    doc = client("iam").get_role_policy(RoleName=sc.role, PolicyName=REVOKE_POLICY)["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0]["Effect"] == "Deny"


def test_a_release_that_cannot_restore_stops_and_says_so(store: Store, session: Any) -> None:
    sc = build(1)
    s = sc.suspects[0]
    result = isolate(store, session, s["id"])
    # someone took the Elastic IP for another instance meanwhile
    client("ec2").associate_address(AllocationId=s["eip_alloc"], InstanceId=sc.web_server)
    out = service.release(store, session, result.case_id, actor="t")
    assert out.status == C.STOPPED and out.failed_step == "elastic-ips"
    assert "associated elsewhere" in out.message and "Done: start, target-groups, auto-scaling, credentials" in out.message
    case = store.cases.get(result.case_id)
    assert case is not None and case.status == C.STOPPED


def test_release_after_access_denied_midway_undoes_the_half_done_step(store: Store, session: Any) -> None:
    sc = build(1)
    s = sc.suspects[0]
    ec2 = session.client("ec2", "us-east-1")
    deny(ec2, "DisassociateAddress")
    case = service.open_isolation(store, session, s["id"], "us-east-1", actor="t")
    result = service.run(store, session, case.id, actor="t")
    assert result.status == C.STOPPED and result.failed_step == "elastic-ips"
    assert "UnauthorizedOperation" in result.message
    assert "Done: capture, safeguards, tag, protect, network" in result.message
    assert "Not done: elastic-ips, credentials, auto-scaling, target-groups, snapshots" in result.message
    out = service.release(store, session, case.id, actor="t")
    assert out.status == C.RELEASED, out.message
    assert eni_groups(s["eni1"]) == [sc.app_sg]
