"""Capture: read everything about an instance before anything changes, into the case as evidence.

Each artefact is the API's own answer, stored as canonical JSON with its SHA-256. What cannot be
read (denied, not emulated, no trail) is recorded as unreadable with the reason: evidence that is
missing is said, never silently absent. The facts the later steps and the release work from (ENIs
and their groups, addresses, profile, Auto Scaling and target-group membership, volumes) are taken
from these answers, so the prior state is the state before railguard touched anything.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from railguard.ir.workflow import Ctx, InputError, Outcome, error_text
from railguard.store import utcnow

CRITICAL_FALSE = {"false", "no", "0", "off", ""}


def is_critical(tags: dict[str, str]) -> bool:
    """A tag `critical` (any value but false/no/0/off), or any tag whose value is `critical`."""
    for k, v in tags.items():
        if k.lower() == "critical" and v.strip().lower() not in CRITICAL_FALSE:
            return True
        if v.strip().lower() == "critical":
            return True
    return False


def describe_instance(ctx: Ctx, instance_id: str) -> dict[str, Any]:
    """The instance as DescribeInstances returns it; an unknown id is an input error naming the region."""
    from railguard.sources.aws.errors import error_code

    try:
        res = ctx.client("ec2").describe_instances(InstanceIds=[instance_id])
    except Exception as exc:
        if error_code(exc) in ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
            raise InputError(f"instance {instance_id} not found in region {ctx.region} (account "
                             f"{ctx.session.account or 'unknown'}); if it is in another region, pass --region") from None
        raise
    found = [i for r in res.get("Reservations", []) for i in r.get("Instances", [])]
    if not found:
        raise InputError(f"instance {instance_id} not found in region {ctx.region}; if it is in another region, "
                         "pass --region")
    inst: dict[str, Any] = found[0]
    if inst.get("State", {}).get("Name") in ("terminated", "shutting-down"):
        raise InputError(f"instance {instance_id} is {inst['State']['Name']}: nothing left to isolate")
    return inst


def capture_instance(ctx: Ctx) -> Outcome:
    iid = ctx.case.subject
    ec2 = ctx.client("ec2")
    inst = describe_instance(ctx, iid)
    art = _Artefacts(ctx)
    art.add("instance", "ec2:DescribeInstances", inst)
    tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])
    eni_list = sorted(enis.get("NetworkInterfaces", []), key=lambda e: e.get("Attachment", {}).get("DeviceIndex", 0))
    art.add("network-interfaces", "ec2:DescribeNetworkInterfaces", eni_list)
    if not eni_list:
        raise InputError(f"instance {iid} has no network interface in a VPC: security groups cannot isolate it")
    group_ids = sorted({g["GroupId"] for e in eni_list for g in e.get("Groups", [])})
    art.read("security-groups", "ec2:DescribeSecurityGroups",
             lambda: ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"] if group_ids else [])
    volumes = art.read("volumes", "ec2:DescribeVolumes", lambda: ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"])
    eni_ids = [e["NetworkInterfaceId"] for e in eni_list]
    addresses = art.read("elastic-ips", "ec2:DescribeAddresses", lambda: ec2.describe_addresses(
        Filters=[{"Name": "network-interface-id", "Values": eni_ids}])["Addresses"])
    termination = art.read("termination-protection", "ec2:DescribeInstanceAttribute", lambda: ec2.describe_instance_attribute(
        InstanceId=iid, Attribute="disableApiTermination").get("DisableApiTermination", {}))
    profile = _profile(ctx, art, iid)
    art.read("console-output", "ec2:GetConsoleOutput", lambda: _console(ec2, iid))
    art.read("cloudtrail-events", "cloudtrail:LookupEvents", lambda: _trail_events(ctx, iid))
    asg = art.read("auto-scaling", "autoscaling:DescribeAutoScalingInstances", lambda: ctx.client(
        "autoscaling").describe_auto_scaling_instances(InstanceIds=[iid]).get("AutoScalingInstances", []))
    vpcs = sorted({e["VpcId"] for e in eni_list if e.get("VpcId")})
    tgs = art.read("target-groups", "elasticloadbalancing:DescribeTargetHealth", lambda: _target_groups(ctx, iid, vpcs))

    facts: dict[str, Any] = {
        "instance_id": iid,
        "state": inst.get("State", {}).get("Name"),
        "availability_zone": inst.get("Placement", {}).get("AvailabilityZone"),
        "tags": tags,
        "critical": is_critical(tags),
        "enis": [{"id": e["NetworkInterfaceId"], "vpc": e.get("VpcId"), "groups": [g["GroupId"] for g in e.get("Groups", [])],
                  "device_index": e.get("Attachment", {}).get("DeviceIndex")} for e in eni_list],
        "volumes": _volumes(inst, volumes),
        "addresses": [{"allocation_id": a.get("AllocationId"), "association_id": a.get("AssociationId"),
                       "public_ip": a.get("PublicIp"), "network_interface_id": a.get("NetworkInterfaceId"),
                       "private_ip": a.get("PrivateIpAddress")} for a in (addresses or []) if a.get("AssociationId")],
        "termination_protection": bool((termination or {}).get("Value", False)),
        "profile": profile,
        "auto_scaling": _asg(ctx, asg),
        "target_groups": tgs or [],
        "unreadable": art.unreadable,
        "artefacts": art.names,
    }
    miss = f"; unreadable: {', '.join(sorted(art.unreadable))}" if art.unreadable else ""
    return Outcome(f"captured {len(art.names)} artefacts of {iid} ({len(eni_list)} ENIs, {len(facts['volumes'])} "
                   f"volumes){miss}", facts)


class _Artefacts:
    """Adds artefacts to the case; a read that fails is recorded as unreadable with its reason."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.names: list[str] = []
        self.unreadable: dict[str, str] = {}

    def add(self, name: str, source: str, value: Any) -> Any:
        self.ctx.store.cases.add_artefact(self.ctx.case.id, name=name, source=source, value=value,
                                          captured_by=self.ctx.actor)
        self.names.append(name)
        return value

    def read(self, name: str, source: str, fn: Any) -> Any:
        try:
            value = fn()
        except Exception as exc:
            reason = error_text(exc)
            self.unreadable[name] = reason
            self.add(name, source, {"unreadable": reason})
            return None
        return self.add(name, source, value)


def _profile(ctx: Ctx, art: _Artefacts, iid: str) -> dict[str, Any] | None:
    assocs = art.read("instance-profile-association", "ec2:DescribeIamInstanceProfileAssociations",
                      lambda: ctx.client("ec2").describe_iam_instance_profile_associations(
                          Filters=[{"Name": "instance-id", "Values": [iid]}])["IamInstanceProfileAssociations"])
    live = [a for a in assocs or [] if a.get("State") in ("associated", "associating")]
    if not live:
        return None
    arn = live[0]["IamInstanceProfile"]["Arn"]
    name = arn.rsplit("/", 1)[-1]
    iam = ctx.client("iam")
    prof = art.read("instance-profile", "iam:GetInstanceProfile",
                    lambda: iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"])
    roles = [r["RoleName"] for r in (prof or {}).get("Roles", [])]
    for role in roles:
        art.read(f"role:{role}", "iam:GetRole+ListAttachedRolePolicies+ListRolePolicies", lambda role=role: {
            "role": iam.get_role(RoleName=role)["Role"],
            "attached": iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"],
            "inline": iam.list_role_policies(RoleName=role)["PolicyNames"],
        })
    return {"association_id": live[0]["AssociationId"], "arn": arn, "name": name, "roles": roles}


def _console(ec2: Any, iid: str) -> dict[str, Any]:
    out = ec2.get_console_output(InstanceId=iid, Latest=True)
    raw = out.get("Output") or ""
    try:
        text = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
    except ValueError:
        text = raw
    return {"timestamp": out.get("Timestamp"), "output": text}


def _trail_events(ctx: Ctx, iid: str) -> list[dict[str, Any]]:
    """The instance's CloudTrail events of the last 7 days (first 50: one page)."""
    now = utcnow()
    res = ctx.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": iid}],
        StartTime=now - timedelta(days=7), EndTime=now, MaxResults=50)
    events: list[dict[str, Any]] = res.get("Events", [])
    return events


def _target_groups(ctx: Ctx, iid: str, vpcs: list[str]) -> list[dict[str, Any]]:
    """Every instance-type target group of the instance's VPCs that has it as a target (with the port)."""
    elb = ctx.client("elbv2")
    out: list[dict[str, Any]] = []
    for page in elb.get_paginator("describe_target_groups").paginate():
        for tg in page.get("TargetGroups", []):
            if tg.get("TargetType", "instance") != "instance" or tg.get("VpcId") not in vpcs:
                continue
            health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
            for d in health.get("TargetHealthDescriptions", []):
                t = d.get("Target", {})
                if t.get("Id") == iid:
                    out.append({"arn": tg["TargetGroupArn"], "name": tg.get("TargetGroupName"), "port": t.get("Port"),
                                "state": d.get("TargetHealth", {}).get("State")})
    return out


def _asg(ctx: Ctx, found: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not found:
        return None
    a = found[0]
    out = {"group": a["AutoScalingGroupName"], "lifecycle_state": a.get("LifecycleState")}
    try:
        g = ctx.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[a["AutoScalingGroupName"]])["AutoScalingGroups"][0]
        out.update(min_size=g.get("MinSize"), desired=g.get("DesiredCapacity"), max_size=g.get("MaxSize"))
    except Exception as exc:
        out["sizes_unreadable"] = error_text(exc)
    return out


def _volumes(inst: dict[str, Any], volumes: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Volumes with their device and DeleteOnTermination, from the instance's block device mappings."""
    encrypted = {v["VolumeId"]: (bool(v.get("Encrypted")), v.get("KmsKeyId")) for v in volumes or []}
    out = []
    for m in inst.get("BlockDeviceMappings", []):
        ebs = m.get("Ebs") or {}
        vid = ebs.get("VolumeId")
        if not vid:
            continue
        enc, key = encrypted.get(vid, (False, None))
        out.append({"id": vid, "device": m.get("DeviceName"), "delete_on_termination": bool(ebs.get("DeleteOnTermination")),
                    "encrypted": enc, "kms_key_id": key})
    return out
