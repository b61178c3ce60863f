"""`ir isolate` on the issue's scenario (moto): every ENI quarantined, shared groups intact, evidence first."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from railguard.ir import service
from railguard.ir.isolate import QUARANTINE_GROUP, QUARANTINE_PROFILE, QUARANTINE_TAG, REVOKE_POLICY
from railguard.store import Store
from railguard.store import cases as C
from tests.ir.scenario import Scenario, build, client, eni_groups, group_rules


def isolate(store: Store, session: Any, iid: str, **kw: Any) -> Any:
    options = kw.pop("options", {})
    case = service.open_isolation(store, session, iid, "us-east-1", actor="tester", **kw)
    return service.run(store, session, case.id, actor="tester", options=options, after_step=kw.get("after_step"))


def quarantine_group(sc: Scenario) -> str:
    return str(client("ec2").describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [sc.vpc]}, {"Name": "group-name", "Values": [QUARANTINE_GROUP]}])
        ["SecurityGroups"][0]["GroupId"])


def case_snapshots(case_id: str) -> list[dict[str, Any]]:
    return list(client("ec2").describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": "tag:railguard:case", "Values": [case_id]}])["Snapshots"])


def test_isolation_of_the_scenario(store: Store, session: Any) -> None:
    sc = build(2)
    s1, s2 = sc.suspects
    web_rules = group_rules(sc.web_sg)
    asc, elb, ec2, iam = client("autoscaling"), client("elbv2"), client("ec2"), client("iam")
    desired = asc.describe_auto_scaling_groups(AutoScalingGroupNames=[sc.asg])["AutoScalingGroups"][0]["DesiredCapacity"]

    result = isolate(store, session, s1["id"])
    assert result.status == C.DONE, result.message
    q = quarantine_group(sc)
    # every ENI of the instance on the quarantine group only; the web server and the shared group untouched
    assert eni_groups(s1["eni1"]) == [q] and eni_groups(s1["eni2"]) == [q]
    assert eni_groups(sc.web_eni) == [sc.web_sg]
    assert group_rules(sc.web_sg) == web_rules
    assert eni_groups(s2["eni2"]) == sorted([sc.web_sg, sc.app_sg])
    assert group_rules(q) == ([], [])  # the quarantine group has no rule at all
    # Elastic IP released from the instance, recorded
    addr = ec2.describe_addresses(AllocationIds=[s1["eip_alloc"]])["Addresses"][0]
    assert not addr.get("AssociationId") and not addr.get("InstanceId")  # moto answers "" for absent
    # credentials: older sessions denied, no-permission profile
    doc = iam.get_role_policy(RoleName=sc.role, PolicyName=REVOKE_POLICY)["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0]["Effect"] == "Deny" and "aws:TokenIssueTime" in doc["Statement"][0]["Condition"]["DateLessThan"]
    assoc = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": [s1["id"]]}])
    assert [a["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1] for a in assoc["IamInstanceProfileAssociations"]
            if a["State"] == "associated"] == [QUARANTINE_PROFILE]
    qrole = iam.list_role_policies(RoleName=QUARANTINE_PROFILE)["PolicyNames"]
    assert qrole == [] and iam.list_attached_role_policies(RoleName=QUARANTINE_PROFILE)["AttachedPolicies"] == []
    # out of the Auto Scaling group (standby, desired decremented: no replacement) and the target group
    state = asc.describe_auto_scaling_instances(InstanceIds=[s1["id"]])["AutoScalingInstances"][0]["LifecycleState"]
    assert state == "Standby"
    group = asc.describe_auto_scaling_groups(AutoScalingGroupNames=[sc.asg])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == desired - 1 and len(group["Instances"]) == 2
    targets = {d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=sc.tg_arn)["TargetHealthDescriptions"]}
    assert s1["id"] not in targets and s2["id"] in targets
    # snapshots of both volumes, tagged with the case
    snaps = case_snapshots(result.case_id)
    vols = {v["VolumeId"] for v in ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [s1["id"]]}])["Volumes"]}
    assert {s["VolumeId"] for s in snaps} == vols and len(vols) == 2
    assert all({t["Key"] for t in s["Tags"]} >= {"railguard:case", "railguard:instance", "railguard:volume"} for s in snaps)
    # tagged, protected, volumes kept on termination
    inst = ec2.describe_instances(InstanceIds=[s1["id"]])["Reservations"][0]["Instances"][0]
    assert {t["Key"]: t["Value"] for t in inst["Tags"]}[QUARANTINE_TAG].startswith(result.case_id)
    assert ec2.describe_instance_attribute(InstanceId=s1["id"], Attribute="disableApiTermination")["DisableApiTermination"]["Value"]
    assert not any(m["Ebs"]["DeleteOnTermination"] for m in inst["BlockDeviceMappings"])
    # evidence captured first, each with its SHA-256
    steps = store.cases.steps(result.case_id)
    assert [s.name for s in steps][:2] == ["capture", "safeguards"]
    arts = {a.name: a for a in store.cases.artefacts(result.case_id)}
    assert {"instance", "network-interfaces", "security-groups", "volumes", "elastic-ips", "instance-profile",
            f"role:{sc.role}", "console-output", "cloudtrail-events", "auto-scaling", "target-groups"} <= set(arts)
    for a in arts.values():
        assert hashlib.sha256(a.content.encode()).hexdigest() == a.sha256
    tag_step = next(s for s in steps if s.name == "tag")
    assert arts["instance"].captured_at <= tag_step.started_at  # evidence before change
    # moto does not implement CloudTrail LookupEvents: recorded as unreadable, with the reason
    assert "unreadable" in json.loads(arts["cloudtrail-events"].content)

    # a second instance in the same VPC reuses the quarantine group
    second = isolate(store, session, s2["id"])
    assert second.status == C.DONE, second.message
    assert eni_groups(s2["eni1"]) == [q] and eni_groups(s2["eni2"]) == [q]
    net = store.cases.step(second.case_id, "respond", "network")
    assert net is not None and net.detail["created"] == [] and net.detail["groups"][sc.vpc]["quarantine"] == q
    assert eni_groups(sc.web_eni) == [sc.web_sg] and group_rules(sc.web_sg) == web_rules


def killed_after_snapshots(store: Store, session: Any) -> tuple[str, Any]:
    """An isolation (with --stop) whose process dies right after the snapshot step: (instance, case)."""
    iid = build(1).suspects[0]["id"]

    def killed(step: str) -> None:
        if step == "snapshots":
            raise KeyboardInterrupt

    case = service.open_isolation(store, session, iid, "us-east-1", actor="t", stop=True)
    with pytest.raises(KeyboardInterrupt):
        service.run(store, session, case.id, actor="t", after_step=killed)
    return iid, case


def test_killed_after_the_snapshot_step_resumes_without_a_duplicate(store: Store, session: Any) -> None:
    iid, case = killed_after_snapshots(store, session)
    assert len(case_snapshots(case.id)) == 2
    result = service.run(store, session, case.id, actor="t")
    assert result.status == C.DONE
    assert len(case_snapshots(case.id)) == 2
    names = [s.name for s in store.cases.steps(case.id)]
    assert names.count("snapshots") == 1 and names[-1] == "stop"
    inst = client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert inst["State"]["Name"] in ("stopping", "stopped")


def test_killed_between_two_snapshots_makes_no_duplicate(store: Store, session: Any) -> None:
    sc = build(1)
    iid = sc.suspects[0]["id"]
    ec2 = session.client("ec2", "us-east-1")
    calls = {"n": 0}

    def crash(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # the process dies right after AWS made the first snapshot

    ec2.meta.events.register("after-call.ec2.CreateSnapshot", crash)
    case = service.open_isolation(store, session, iid, "us-east-1", actor="t")
    with pytest.raises(KeyboardInterrupt):
        service.run(store, session, case.id, actor="t")
    assert len(case_snapshots(case.id)) == 1
    assert store.cases.step(case.id, "respond", "snapshots") is None
    result = service.run(store, session, case.id, actor="t")
    assert result.status == C.DONE
    snaps = case_snapshots(case.id)
    assert len(snaps) == 2 and len({s["VolumeId"] for s in snaps}) == 2
    step = store.cases.step(case.id, "respond", "snapshots")
    assert step is not None and "1 found from an earlier attempt" in step.summary


def test_dry_run_plans_without_changing_or_recording(store: Store, session: Any) -> None:
    sc = build(1)
    iid = sc.suspects[0]["id"]
    steps = service.plan(None, session, service.ISOLATE, iid, "us-east-1", {"stop": True})
    assert [n for n, _ in steps][:3] == ["capture", "safeguards", "tag"] and steps[-1][0] == "stop"
    assert store.cases.query() == []
    assert eni_groups(sc.suspects[0]["eni1"]) == [sc.app_sg]


def test_a_failure_between_the_two_swaps_never_leaves_an_eni_on_the_allow_all_group(store: Store, session: Any) -> None:
    from types import SimpleNamespace

    sc = build(1)
    s = sc.suspects[0]
    seen = {"n": 0}

    def third_call_denied(**_: Any) -> Any:
        seen["n"] += 1
        if seen["n"] != 3:  # both ENIs reach the allow-all group; the first move to quarantine is denied
            return None
        return (SimpleNamespace(status_code=403, headers={}, content=b""),
                {"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}, "ResponseMetadata": {"HTTPStatusCode": 403}})

    session.client("ec2", "us-east-1").meta.events.register(
        "before-call.ec2.ModifyNetworkInterfaceAttribute", third_call_denied)
    before = {e: eni_groups(s[e]) for e in ("eni1", "eni2")}
    case = service.open_isolation(store, session, s["id"], "us-east-1", actor="t")
    result = service.run(store, session, case.id, actor="t")
    assert result.status == C.STOPPED and result.failed_step == "network"
    assert {e: eni_groups(s[e]) for e in ("eni1", "eni2")} == before  # back on their own groups
    again = service.run(store, session, case.id, actor="t")  # the denial is gone: resume finishes
    assert again.status == C.DONE
    q = quarantine_group(sc)
    assert eni_groups(s["eni1"]) == [q] and eni_groups(s["eni2"]) == [q]
