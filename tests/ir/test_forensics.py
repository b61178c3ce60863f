"""Forensics: snapshots shared with a forensics account, volumes made from them attached to a forensics host."""

from __future__ import annotations

from typing import Any

from railguard.ir import service
from railguard.store import Store
from railguard.store import cases as C
from tests.ir.scenario import AMI, build, client
from tests.ir.test_isolate import case_snapshots

FORENSICS_ACCOUNT = "111111111111"


def test_volumes_attached_to_the_forensics_instance(store: Store, session: Any) -> None:
    sc = build(1)
    iid = sc.suspects[0]["id"]
    ec2 = client("ec2")
    host = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=sc.subnet)["Instances"][0]["InstanceId"]
    case = service.open_isolation(store, session, iid, "us-east-1", actor="t", forensics_instance=host)
    result = service.run(store, session, case.id, actor="t")
    assert result.status == C.DONE, result.message
    snaps = {s["SnapshotId"] for s in case_snapshots(case.id)}
    vols = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [host]}])["Volumes"]
    made = [v for v in vols if v.get("SnapshotId") in snaps]
    assert len(made) == 2
    for v in made:
        tags = {t["Key"]: t["Value"] for t in v["Tags"]}
        assert tags["railguard:case"] == case.id and tags["railguard:mount"] == "read-only"
        assert v["Attachments"][0]["Device"].startswith("/dev/sd")
    # a re-run of the step (after a crash) attaches nothing twice
    from railguard.ir.forensics import forensics
    from railguard.ir.workflow import Ctx, load_done

    ctx = Ctx(store, case, session, "us-east-1", "t", done=load_done(store, case.id))
    again = forensics(ctx)
    assert len(again.detail["volumes"]) == 2
    vols = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [host]}])["Volumes"]
    assert len([v for v in vols if v.get("SnapshotId") in snaps]) == 2


def test_snapshots_shared_with_the_forensics_account(store: Store, session: Any) -> None:
    sc = build(1)
    iid = sc.suspects[0]["id"]
    case = service.open_isolation(store, session, iid, "us-east-1", actor="t", forensics_account=FORENSICS_ACCOUNT)
    result = service.run(store, session, case.id, actor="t")
    assert result.status == C.DONE, result.message
    for s in case_snapshots(case.id):
        perms = client("ec2").describe_snapshot_attribute(SnapshotId=s["SnapshotId"], Attribute="createVolumePermission")
        assert {"UserId": FORENSICS_ACCOUNT} in perms["CreateVolumePermissions"]


def test_a_snapshot_under_the_aws_managed_key_is_copied_under_a_one_time_key(store: Store, session: Any) -> None:
    """moto gaps: its snapshots carry no KmsKeyId and it reports the aws/ebs key as CUSTOMER; here KMS is
    made to answer DescribeKey as AWS does for aws/ebs (KeyManager AWS), the rest is moto's."""
    from types import SimpleNamespace

    sc = build(1)
    s = sc.suspects[0]
    ec2 = client("ec2")
    az = ec2.describe_instances(InstanceIds=[s["id"]])["Reservations"][0]["Instances"][0]["Placement"]["AvailabilityZone"]
    enc = ec2.create_volume(AvailabilityZone=az, Size=8, Encrypted=True)
    ec2.attach_volume(VolumeId=enc["VolumeId"], InstanceId=s["id"], Device="/dev/sdc")

    def aws_managed(**_: Any) -> Any:
        return (SimpleNamespace(status_code=200, headers={}, content=b""),
                {"KeyMetadata": {"KeyId": "aws-ebs", "Arn": enc["KmsKeyId"], "KeyManager": "AWS"}})

    session.client("kms", "us-east-1").meta.events.register("before-call.kms.DescribeKey", aws_managed)
    case = service.open_isolation(store, session, s["id"], "us-east-1", actor="t", forensics_account=FORENSICS_ACCOUNT)
    result = service.run(store, session, case.id, actor="t")
    assert result.status == C.DONE, result.message
    step = store.cases.step(case.id, "respond", "forensics")
    assert step is not None and step.detail["kms_key"]
    copies = step.detail["copies"]
    assert len(copies) == 1  # only the encrypted volume's snapshot needed a copy
    (original, copy), = copies.items()
    perms = ec2.describe_snapshot_attribute(SnapshotId=copy, Attribute="createVolumePermission")
    assert {"UserId": FORENSICS_ACCOUNT} in perms["CreateVolumePermissions"]
    shared = step.detail["shared"]
    assert copy in shared.values() and original not in shared.values() and len(shared) == 3
    policy = client("kms").get_key_policy(KeyId=step.detail["kms_key"], PolicyName="default")["Policy"]
    assert f"arn:aws:iam::{FORENSICS_ACCOUNT}:root" in policy
