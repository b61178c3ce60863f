"""Isolating an instance: the ordered steps after capture, each idempotent (it looks before it acts).

Order, and why:
1. capture (evidence before change; `railguard.ir.capture`), then the safeguards (a held case has
   only read);
2. tag, termination protection on and DeleteOnTermination off (nothing can destroy the evidence
   while the rest runs);
3. network: every ENI first on an allow-all group, then on the empty quarantine group. Security
   groups are stateful: a connection already tracked survives a rule change, so an attacker's open
   shell would stay up. Traffic allowed by an all-protocols 0.0.0.0/0 rule in both directions is
   untracked, so the first swap turns every tracked flow untracked and the second drops them;
4. Elastic IPs disassociated (no public address left);
5. credentials: the role's sessions issued before now are denied (`aws:TokenIssueTime`), then the
   instance profile is swapped for one whose role has no permission;
6. Auto Scaling standby (or detach) with the desired capacity decremented, so no replacement is
   launched and no health check terminates the instance; then target groups deregistered;
7. snapshots of every volume, tagged with the case (then optionally shared with a forensics account
   and attached to a forensics instance);
8. optionally stop (off by default: memory is evidence too).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from railguard.ir.capture import capture_instance
from railguard.ir.workflow import Ctx, IrError, Outcome, Step
from railguard.store import utcnow

QUARANTINE_TAG = "railguard:quarantine"
CASE_TAG = "railguard:case"
QUARANTINE_GROUP = "railguard-quarantine"
ALLOW_ALL_GROUP = "railguard-quarantine-flush"
QUARANTINE_PROFILE = "railguard-quarantine"
REVOKE_POLICY = "railguard-revoke-older-sessions"
log = logging.getLogger("railguard.ir")
_EC2_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                       "Action": "sts:AssumeRole"}]}
_ALL = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}


def revoke_sessions_document(before: str) -> str:
    """AWS's "revoke active sessions": deny everything to credentials issued before `before`."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": before}}}]})


def steps(ctx: Ctx) -> list[Step]:
    """The isolation workflow for this case's options (forensics and stop only when asked)."""
    from railguard.ir.forensics import forensics
    from railguard.ir.safeguards import gate

    out = [
        Step("capture", "capture instance, ENIs, groups, volumes, profile and role, tags, console output, "
                        "CloudTrail events (SHA-256 each)", capture_instance),
        Step("safeguards", "isolation breaker and critical tag: past them, wait for approval", gate),
        Step("tag", f"tag the instance {QUARANTINE_TAG}", tag),
        Step("protect", "termination protection on, DeleteOnTermination off", protect),
        Step("network", "every ENI: allow-all group (untrack connections), then the empty quarantine group", network),
        Step("elastic-ips", "disassociate Elastic IPs", elastic_ips),
        Step("credentials", "revoke the role's sessions; swap the instance profile for a no-permission one", credentials),
        Step("auto-scaling", "Auto Scaling standby (or detach) without replacement", auto_scaling),
        Step("target-groups", "deregister from load balancer target groups", target_groups),
        Step("snapshots", "snapshot every volume with case tags", snapshots),
    ]
    if ctx.params.get("forensics_account") or ctx.params.get("forensics_instance"):
        out.append(Step("forensics", "share snapshots with the forensics account; attach volumes to the "
                                     "forensics instance", forensics))
    if ctx.params.get("stop"):
        out.append(Step("stop", "stop the instance", stop))
    return out


def tag(ctx: Ctx) -> Outcome:
    f = ctx.facts
    value = f"{ctx.case.id} {utcnow():%Y-%m-%dT%H:%M:%SZ}"
    ctx.client("ec2").create_tags(Resources=[f["instance_id"]], Tags=[{"Key": QUARANTINE_TAG, "Value": value}])
    return Outcome(f"tagged {QUARANTINE_TAG}={value}", {"value": value, "prior": f["tags"].get(QUARANTINE_TAG)})


def protect(ctx: Ctx) -> Outcome:
    f = ctx.facts
    ec2 = ctx.client("ec2")
    iid = f["instance_id"]
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": True})
    devices = [v["device"] for v in f["volumes"] if v["delete_on_termination"]]
    if devices:
        ec2.modify_instance_attribute(InstanceId=iid, BlockDeviceMappings=[
            {"DeviceName": d, "Ebs": {"DeleteOnTermination": False}} for d in devices])
    return Outcome(f"termination protection on (was {'on' if f['termination_protection'] else 'off'}); "
                   f"DeleteOnTermination off on {', '.join(devices) or 'no device (already off)'}",
                   {"prior_termination_protection": f["termination_protection"], "devices": devices})


_PROVISION = threading.Lock()  # isolations run at once in one process find or create the shared groups in turn


def quarantine_groups(ctx: Ctx, vpc: str) -> tuple[str, str, list[str]]:
    """The allow-all and the empty quarantine group of `vpc`: found by name, or created (once per VPC)."""
    created: list[str] = []
    with _PROVISION:
        allow = _group(ctx, vpc, ALLOW_ALL_GROUP, allow_all=True, created=created)
        quarantine = _group(ctx, vpc, QUARANTINE_GROUP, allow_all=False, created=created)
    return allow, quarantine, created


def _group(ctx: Ctx, vpc: str, name: str, *, allow_all: bool, created: list[str]) -> str:
    from railguard.sources.aws.errors import error_code

    ec2 = ctx.client("ec2")
    found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    if found:
        group = min(found, key=lambda g: g["GroupId"])  # never several in AWS (names are unique per VPC)
    else:
        desc = ("railguard: allow-all, held for seconds so tracked connections become untracked" if allow_all
                else "railguard: quarantine, no rules")
        try:
            gid = ec2.create_security_group(GroupName=name, Description=desc, VpcId=vpc, TagSpecifications=[
                {"ResourceType": "security-group", "Tags": [{"Key": "railguard:purpose", "Value": name}]}])["GroupId"]
            created.append(gid)
        except Exception as exc:  # another isolation created it meanwhile
            if error_code(exc) != "InvalidGroup.Duplicate":
                raise
        group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                      {"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]
    gid = group["GroupId"]
    try:
        if allow_all:
            _ensure_allow_all(ec2, group)
        else:  # someone may have added rules to our quarantine group: it must stay empty
            if group.get("IpPermissions"):
                ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=_clean(group["IpPermissions"]))
            if group.get("IpPermissionsEgress"):
                ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=_clean(group["IpPermissionsEgress"]))
    except Exception as exc:  # another process did the same meanwhile
        if error_code(exc) not in ("InvalidPermission.Duplicate", "InvalidPermission.NotFound"):
            raise
    return str(gid)


def _ensure_allow_all(ec2: Any, group: dict[str, Any]) -> None:
    def has(perms: list[dict[str, Any]]) -> tuple[bool, bool]:
        v4 = any(p.get("IpProtocol") == "-1" and any(r.get("CidrIp") == "0.0.0.0/0" for r in p.get("IpRanges", []))
                 for p in perms)
        v6 = any(p.get("IpProtocol") == "-1" and any(r.get("CidrIpv6") == "::/0" for r in p.get("Ipv6Ranges", []))
                 for p in perms)
        return v4, v6

    for perms, call in ((group.get("IpPermissions", []), ec2.authorize_security_group_ingress),
                        (group.get("IpPermissionsEgress", []), ec2.authorize_security_group_egress)):
        v4, v6 = has(perms)
        rule: dict[str, Any] = {"IpProtocol": "-1"}
        if not v4:
            rule["IpRanges"] = _ALL["IpRanges"]
        if not v6:
            rule["Ipv6Ranges"] = _ALL["Ipv6Ranges"]
        if len(rule) > 1:
            call(GroupId=group["GroupId"], IpPermissions=[rule])


def _clean(perms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs")
    return [{k: v for k, v in p.items() if k in keep and v not in ([], None)} for p in perms]


def network(ctx: Ctx) -> Outcome:
    f = ctx.facts
    ec2 = ctx.client("ec2")
    groups: dict[str, dict[str, str]] = {}
    created: list[str] = []
    for vpc in sorted({e["vpc"] for e in f["enis"]}):
        allow, quarantine, new = quarantine_groups(ctx, vpc)
        groups[vpc] = {"allow_all": allow, "quarantine": quarantine}
        created += new
    flushed: list[dict[str, Any]] = []
    try:
        for e in f["enis"]:
            ec2.modify_network_interface_attribute(NetworkInterfaceId=e["id"], Groups=[groups[e["vpc"]]["allow_all"]])
            flushed.append(e)
        for e in f["enis"]:
            ec2.modify_network_interface_attribute(NetworkInterfaceId=e["id"], Groups=[groups[e["vpc"]]["quarantine"]])
            flushed.remove(e)
    except Exception:
        # never leave an ENI on the allow-all group: back to its own groups (the step failed, resume redoes it)
        for e in flushed:
            try:
                ec2.modify_network_interface_attribute(NetworkInterfaceId=e["id"], Groups=e["groups"])
            except Exception:
                log.error("ENI %s may still be on the allow-all group %s: move it by hand", e["id"],
                          groups[e["vpc"]]["allow_all"])
        raise
    prior = {e["id"]: e["groups"] for e in f["enis"]}
    return Outcome(f"{len(f['enis'])} ENI(s) moved to the quarantine group "
                   f"{', '.join(g['quarantine'] for g in groups.values())} (via allow-all); "
                   f"{'created ' + ', '.join(created) if created else 'groups reused'}",
                   {"prior_groups": prior, "groups": groups, "created": created})


def elastic_ips(ctx: Ctx) -> Outcome:
    from railguard.sources.aws.errors import error_code

    addrs = ctx.facts["addresses"]
    if not addrs:
        return Outcome("no Elastic IP associated", {"addresses": []}, skipped=True)
    ec2 = ctx.client("ec2")
    for a in addrs:
        try:
            if a.get("association_id"):
                ec2.disassociate_address(AssociationId=a["association_id"])
            else:
                ec2.disassociate_address(PublicIp=a["public_ip"])
        except Exception as exc:
            if error_code(exc) not in ("InvalidAssociationID.NotFound",):  # already gone: a re-run
                raise
    return Outcome(f"disassociated {', '.join(str(a['public_ip']) for a in addrs)}", {"addresses": addrs})


def ensure_quarantine_profile(ctx: Ctx) -> str:
    """The instance profile whose role has no permission at all (created once per account)."""

    with _PROVISION:
        return _quarantine_profile(ctx)


def _quarantine_profile(ctx: Ctx) -> str:
    from railguard.sources.aws.errors import error_code

    iam = ctx.client("iam")
    try:
        prof = iam.get_instance_profile(InstanceProfileName=QUARANTINE_PROFILE)["InstanceProfile"]
    except Exception as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        try:
            iam.create_role(RoleName=QUARANTINE_PROFILE, AssumeRolePolicyDocument=json.dumps(_EC2_TRUST),
                            Description="railguard quarantine: no permission at all")
        except Exception as e2:
            if error_code(e2) != "EntityAlreadyExists":
                raise
        try:
            iam.create_instance_profile(InstanceProfileName=QUARANTINE_PROFILE)
        except Exception as e2:
            if error_code(e2) != "EntityAlreadyExists":
                raise
        prof = iam.get_instance_profile(InstanceProfileName=QUARANTINE_PROFILE)["InstanceProfile"]
    if not prof.get("Roles"):
        try:
            iam.add_role_to_instance_profile(InstanceProfileName=QUARANTINE_PROFILE, RoleName=QUARANTINE_PROFILE)
        except Exception as exc:  # added by another process meanwhile (a profile holds one role)
            if error_code(exc) != "LimitExceeded":
                raise
    return str(prof["Arn"])


def current_association(ctx: Ctx, iid: str) -> dict[str, Any] | None:
    assocs = ctx.client("ec2").describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [iid]}])["IamInstanceProfileAssociations"]
    live = [a for a in assocs if a.get("State") in ("associated", "associating")]
    return live[0] if live else None


def credentials(ctx: Ctx) -> Outcome:
    f = ctx.facts
    profile = f["profile"]
    if not profile:
        return Outcome("no instance profile: no credentials to revoke", {"profile": None}, skipped=True)
    iam = ctx.client("iam")
    before = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    for role in profile["roles"]:
        iam.put_role_policy(RoleName=role, PolicyName=REVOKE_POLICY, PolicyDocument=revoke_sessions_document(before))
    quarantine_arn = ensure_quarantine_profile(ctx)
    assoc = current_association(ctx, f["instance_id"])
    if assoc is None:
        new = ctx.client("ec2").associate_iam_instance_profile(
            IamInstanceProfile={"Arn": quarantine_arn}, InstanceId=f["instance_id"])["IamInstanceProfileAssociation"]
    elif assoc["IamInstanceProfile"]["Arn"] != quarantine_arn:
        new = ctx.client("ec2").replace_iam_instance_profile_association(
            IamInstanceProfile={"Arn": quarantine_arn}, AssociationId=assoc["AssociationId"])["IamInstanceProfileAssociation"]
    else:
        new = assoc
    return Outcome(f"sessions of {', '.join(profile['roles']) or 'no role'} issued before {before} denied; "
                   f"profile {profile['name']} replaced by {QUARANTINE_PROFILE}",
                   {"prior_profile_arn": profile["arn"], "roles": profile["roles"], "revoked_before": before,
                    "quarantine_profile_arn": quarantine_arn, "association_id": new.get("AssociationId"),
                    "note": "the revocation applies to every holder of these roles' sessions issued before "
                            "that time, including other instances sharing the role (they get new credentials)"})


def auto_scaling(ctx: Ctx) -> Outcome:
    from railguard.sources.aws.errors import error_code

    a = ctx.facts["auto_scaling"]
    if not a:
        if "auto-scaling" in ctx.facts["unreadable"]:
            raise IrError(f"cannot tell whether the instance is in an Auto Scaling group "
                          f"({ctx.facts['unreadable']['auto-scaling']})")
        return Outcome("not in an Auto Scaling group", {"group": None}, skipped=True)
    asc = ctx.client("autoscaling")
    iid, group = ctx.facts["instance_id"], a["group"]
    now = asc.describe_auto_scaling_instances(InstanceIds=[iid]).get("AutoScalingInstances", [])
    state = now[0].get("LifecycleState") if now else None
    detail: dict[str, Any] = {"group": group, "prior_state": a["lifecycle_state"], "prior_min_size": a.get("min_size"),
                              "prior_desired": a.get("desired"), "min_size_lowered": False}
    if state is None or state.startswith("Standby") or state.startswith("Detach"):
        detail["mode"] = "standby" if state and state.startswith("Standby") else "detach"
        return Outcome(f"already out of service in {group} ({state or 'detached'})", detail)
    mode = "standby" if state == "InService" else "detach"

    def call() -> None:
        if mode == "standby":
            asc.enter_standby(InstanceIds=[iid], AutoScalingGroupName=group, ShouldDecrementDesiredCapacity=True)
        else:
            asc.detach_instances(InstanceIds=[iid], AutoScalingGroupName=group, ShouldDecrementDesiredCapacity=True)

    try:
        call()
    except Exception as exc:
        # decrementing below MinSize is refused: lower MinSize by one (recorded, restored on release)
        if error_code(exc) != "ValidationError" or a.get("min_size") in (None, 0):
            raise
        asc.update_auto_scaling_group(AutoScalingGroupName=group, MinSize=int(a["min_size"]) - 1)
        detail["min_size_lowered"] = True
        call()
    detail["mode"] = mode
    return Outcome(f"{'standby' if mode == 'standby' else 'detached'} in {group}, desired capacity decremented "
                   "(no replacement launched)", detail)


def target_groups(ctx: Ctx) -> Outcome:
    tgs = ctx.facts["target_groups"]
    if not tgs:
        if "target-groups" in ctx.facts["unreadable"]:
            raise IrError(f"cannot tell which target groups hold the instance ({ctx.facts['unreadable']['target-groups']})")
        return Outcome("in no target group", {"target_groups": []}, skipped=True)
    elb = ctx.client("elbv2")
    for tg in tgs:
        target = {"Id": ctx.facts["instance_id"], **({"Port": tg["port"]} if tg.get("port") else {})}
        elb.deregister_targets(TargetGroupArn=tg["arn"], Targets=[target])
    return Outcome(f"deregistered from {', '.join(t['name'] or t['arn'] for t in tgs)}", {"target_groups": tgs})


def case_snapshots(ctx: Ctx) -> dict[str, str]:
    """volume id -> snapshot id of the snapshots this case already made (found by tag)."""
    res = ctx.client("ec2").describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": f"tag:{CASE_TAG}", "Values": [ctx.case.id]}])
    return {s["VolumeId"]: s["SnapshotId"] for s in res.get("Snapshots", [])}


def snapshots(ctx: Ctx) -> Outcome:
    f = ctx.facts
    if not f["volumes"]:
        return Outcome("no EBS volume", {"snapshots": {}}, skipped=True)
    ec2 = ctx.client("ec2")
    have = case_snapshots(ctx)
    made = []
    for v in f["volumes"]:
        if v["id"] in have:
            continue
        tags = [{"Key": CASE_TAG, "Value": ctx.case.id}, {"Key": "railguard:instance", "Value": f["instance_id"]},
                {"Key": "railguard:volume", "Value": v["id"]}, {"Key": "railguard:device", "Value": v["device"] or ""}]
        snap = ec2.create_snapshot(VolumeId=v["id"], Description=f"railguard {ctx.case.id}: {f['instance_id']} {v['device']}",
                                   TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags}])
        have[v["id"]] = snap["SnapshotId"]
        made.append(snap["SnapshotId"])
    kept = len(have) - len(made)
    return Outcome(f"{len(made)} snapshot(s) created{f', {kept} found from an earlier attempt' if kept else ''}",
                   {"snapshots": have})


def stop(ctx: Ctx) -> Outcome:
    ec2 = ctx.client("ec2")
    iid = ctx.facts["instance_id"]
    ec2.stop_instances(InstanceIds=[iid])
    return Outcome(f"stop requested (was {ctx.facts['state']})", {"prior_state": ctx.facts["state"]})
