"""Forensics: hand the case's snapshots to a forensics account and attach volumes to a forensics host.

A snapshot encrypted with the AWS-managed EBS key cannot be shared; it is copied under a one-time
customer-managed KMS key whose policy lets the forensics account use it, and the copy is shared.
Volumes are created in the forensics instance's Availability Zone and attached; EBS has no
read-only attachment, so they are tagged `railguard:mount=read-only` and the analyst mounts them
read-only (`mount -o ro,noload`). Everything is found by case tag first, so a re-run makes nothing twice.
"""

from __future__ import annotations

import json
from typing import Any

from railguard.ir.isolate import CASE_TAG
from railguard.ir.workflow import Ctx, IrError, Outcome

_DEVICES = [f"/dev/sd{c}" for c in "fghijklmnop"]


def forensics(ctx: Ctx) -> Outcome:
    snaps: dict[str, str] = ctx.done["snapshots"]["snapshots"]
    account = ctx.params.get("forensics_account") or ctx.session.account
    detail: dict[str, Any] = {"account": account, "shared": {}, "copies": {}, "volumes": {}}
    ec2 = ctx.client("ec2")
    shared: dict[str, str] = {}
    for vol, snap in snaps.items():
        shared[vol] = _shareable(ctx, snap, account, detail)
        if account != ctx.session.account:
            ec2.modify_snapshot_attribute(SnapshotId=shared[vol], Attribute="createVolumePermission",
                                          OperationType="add", UserIds=[account])
            detail["shared"][vol] = shared[vol]
    if ctx.params.get("forensics_instance"):
        _attach(ctx, shared, detail)
    summary = (f"{len(detail['shared'])} snapshot(s) shared with {account}; " if detail["shared"] else "")
    summary += f"{len(detail['volumes'])} volume(s) attached to {ctx.params.get('forensics_instance') or 'no instance'}"
    return Outcome(summary, detail)


def _shareable(ctx: Ctx, snap: str, account: str, detail: dict[str, Any]) -> str:
    """The snapshot itself, or a copy under a one-time key when the AWS-managed key prevents sharing."""
    ec2 = ctx.client("ec2")
    if account == ctx.session.account:
        return snap
    s = ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]
    if not s.get("Encrypted"):
        return snap
    key_id = s.get("KmsKeyId") or next((v.get("kms_key_id") for v in ctx.facts.get("volumes", [])
                                         if v["id"] == s.get("VolumeId")), None)
    manager = ctx.client("kms").describe_key(KeyId=key_id)["KeyMetadata"].get("KeyManager") if key_id else None
    if manager == "CUSTOMER":
        detail.setdefault("customer_keys", {})[snap] = key_id  # its key policy must let the forensics account in
        return snap
    # the AWS-managed key (or a key we cannot name): a copy under a one-time key can be shared
    existing = ec2.describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": f"tag:{CASE_TAG}", "Values": [ctx.case.id]}, {"Name": "tag:railguard:copy-of", "Values": [snap]}])
    if existing.get("Snapshots"):
        copy_id = str(existing["Snapshots"][0]["SnapshotId"])
    else:
        key = _one_time_key(ctx, account, detail)
        copy_id = str(ec2.copy_snapshot(SourceSnapshotId=snap, SourceRegion=ctx.region, Encrypted=True, KmsKeyId=key,
                                        Description=f"railguard {ctx.case.id}: shareable copy of {snap}",
                                        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [
                                            {"Key": CASE_TAG, "Value": ctx.case.id},
                                            {"Key": "railguard:copy-of", "Value": snap}]}])["SnapshotId"])
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[copy_id], WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    detail["copies"][snap] = copy_id
    return copy_id


def _one_time_key(ctx: Ctx, account: str, detail: dict[str, Any]) -> str:
    if detail.get("kms_key"):
        return str(detail["kms_key"])
    partition = ctx.session.partition(ctx.region)
    me = ctx.session.account
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{me}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Forensics", "Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
         "Resource": "*"}]}
    key = ctx.client("kms").create_key(Description=f"railguard {ctx.case.id}: one-time key to share evidence",
                                       Policy=json.dumps(policy), Tags=[{"TagKey": CASE_TAG, "TagValue": ctx.case.id}])
    detail["kms_key"] = key["KeyMetadata"]["Arn"]
    return str(detail["kms_key"])


def _forensics_session(ctx: Ctx) -> Any:
    account = ctx.params.get("forensics_account")
    if not account or account == ctx.session.account:
        return ctx.session
    from railguard.sources.aws.session import open_sessions

    (s,) = open_sessions(endpoint_url=ctx.session.endpoint_url, region=ctx.region, accounts=[account],
                         role_name=ctx.options.get("forensics_role", "OrganizationAccountAccessRole"),
                         counter=ctx.session.counter)
    if s.error:
        raise IrError(f"cannot enter the forensics account: {s.error}")
    return s


def _attach(ctx: Ctx, snaps: dict[str, str], detail: dict[str, Any]) -> None:
    session = _forensics_session(ctx)
    ec2 = session.client("ec2", ctx.region)
    host = ctx.params["forensics_instance"]
    inst = ec2.describe_instances(InstanceIds=[host])["Reservations"][0]["Instances"][0]
    az = inst["Placement"]["AvailabilityZone"]
    used = {m.get("DeviceName") for m in inst.get("BlockDeviceMappings", [])}
    free = [d for d in _DEVICES if d not in used]
    existing = {next((t["Value"] for t in v.get("Tags", []) if t["Key"] == "railguard:source-snapshot"), ""): v
                for v in ec2.describe_volumes(Filters=[{"Name": f"tag:{CASE_TAG}", "Values": [ctx.case.id]}])["Volumes"]}
    for vol, snap in sorted(snaps.items()):
        v = existing.get(snap)
        if v is None:
            v = ec2.create_volume(SnapshotId=snap, AvailabilityZone=az, TagSpecifications=[{"ResourceType": "volume", "Tags": [
                {"Key": CASE_TAG, "Value": ctx.case.id}, {"Key": "railguard:source-snapshot", "Value": snap},
                {"Key": "railguard:source-volume", "Value": vol}, {"Key": "railguard:mount", "Value": "read-only"}]}])
            ec2.get_waiter("volume_available").wait(VolumeIds=[v["VolumeId"]], WaiterConfig={"Delay": 5, "MaxAttempts": 120})
        attached = [a for a in v.get("Attachments", []) if a.get("InstanceId") == host]
        if attached:
            detail["volumes"][vol] = {"volume": v["VolumeId"], "device": attached[0].get("Device")}
            continue
        if not free:
            raise IrError(f"no free device name left on {host} for the case's volumes")
        device = free.pop(0)
        ec2.attach_volume(VolumeId=v["VolumeId"], InstanceId=host, Device=device)
        detail["volumes"][vol] = {"volume": v["VolumeId"], "device": device}
