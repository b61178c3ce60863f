"""Releasing a case: undo what its steps changed, in reverse order, then verify; the evidence stays.

Each release step works from the prior state capture recorded, and runs when its step was attempted
(done, or failed half-way: a network step that moved one ENI of two is undone too). Snapshots,
forensic volumes, artefacts and the case itself are kept. The isolation's session revocation is
removed too (the role's policies as before), unless `--keep-revocation`: then credentials issued
before the incident stay denied, at no cost to new sessions.
"""

from __future__ import annotations

from typing import Any

from railguard.ir.isolate import QUARANTINE_TAG, REVOKE_POLICY, current_association
from railguard.ir.workflow import RESPOND, Ctx, IrError, Outcome, Step


def steps(ctx: Ctx) -> list[Step]:
    from railguard.ir import contain

    ctx.options["attempted"] = {s.name for s in ctx.store.cases.steps(ctx.case.id, RESPOND)}
    if ctx.case.kind == "contain":
        return contain.release_steps(ctx)
    return [
        Step("start", "start the instance if the case stopped it", start),
        Step("target-groups", "register in the target groups again", target_groups),
        Step("auto-scaling", "exit standby / attach to the Auto Scaling group again", auto_scaling),
        Step("credentials", "restore the instance profile (and lift the session revocation)", credentials),
        Step("elastic-ips", "associate the Elastic IPs again", elastic_ips),
        Step("network", "restore each ENI's security groups", network),
        Step("protect", "restore termination protection and DeleteOnTermination", protect),
        Step("tag", f"remove the {QUARANTINE_TAG} tag", untag),
        Step("verify", "re-read the instance and compare with the state before the case", verify),
    ]


def attempted(ctx: Ctx, name: str) -> bool:
    return name in ctx.options.get("attempted", set()) and "capture" in ctx.done


def _nothing(name: str) -> Outcome:
    return Outcome(f"nothing to undo ({name} was not attempted)", {}, skipped=True)


def start(ctx: Ctx) -> Outcome:
    if not attempted(ctx, "stop") or ctx.facts["state"] != "running":
        return _nothing("stop")
    ctx.client("ec2").start_instances(InstanceIds=[ctx.facts["instance_id"]])
    return Outcome("start requested", {})


def target_groups(ctx: Ctx) -> Outcome:
    tgs = ctx.facts["target_groups"]
    if not attempted(ctx, "target-groups") or not tgs:
        return _nothing("target-groups")
    elb = ctx.client("elbv2")
    for tg in tgs:
        elb.register_targets(TargetGroupArn=tg["arn"], Targets=[
            {"Id": ctx.facts["instance_id"], **({"Port": tg["port"]} if tg.get("port") else {})}])
    return Outcome(f"registered in {', '.join(t['name'] or t['arn'] for t in tgs)}", {"target_groups": tgs})


def auto_scaling(ctx: Ctx) -> Outcome:
    a = ctx.facts["auto_scaling"]
    if not attempted(ctx, "auto-scaling") or not a:
        return _nothing("auto-scaling")
    asc = ctx.client("autoscaling")
    iid, group = ctx.facts["instance_id"], a["group"]
    now = asc.describe_auto_scaling_instances(InstanceIds=[iid]).get("AutoScalingInstances", [])
    state = now[0].get("LifecycleState") if now else None
    if state and state.startswith("Standby"):
        asc.exit_standby(InstanceIds=[iid], AutoScalingGroupName=group)
        done = f"exited standby in {group}"
    elif state is None:
        asc.attach_instances(InstanceIds=[iid], AutoScalingGroupName=group)
        done = f"attached to {group} again"
    else:
        done = f"already {state} in {group}"
    prior = ctx.done.get("auto-scaling", {})
    if prior.get("min_size_lowered") and a.get("min_size") is not None:
        asc.update_auto_scaling_group(AutoScalingGroupName=group, MinSize=int(a["min_size"]))
        done += f"; MinSize back to {a['min_size']}"
    return Outcome(done, {"group": group})


def credentials(ctx: Ctx) -> Outcome:
    from railguard.sources.aws.errors import error_code

    profile = ctx.facts["profile"]
    if not attempted(ctx, "credentials") or not profile:
        return _nothing("credentials")
    ec2 = ctx.client("ec2")
    assoc = current_association(ctx, ctx.facts["instance_id"])
    if assoc is None:
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Arn": profile["arn"]},
                                           InstanceId=ctx.facts["instance_id"])
    elif assoc["IamInstanceProfile"]["Arn"] != profile["arn"]:
        ec2.replace_iam_instance_profile_association(IamInstanceProfile={"Arn": profile["arn"]},
                                                     AssociationId=assoc["AssociationId"])
    lifted = []
    if not ctx.options.get("keep_revocation"):
        for role in profile["roles"]:
            try:
                ctx.client("iam").delete_role_policy(RoleName=role, PolicyName=REVOKE_POLICY)
                lifted.append(role)
            except Exception as exc:
                if error_code(exc) != "NoSuchEntity":
                    raise
    kept = "session revocation kept (--keep-revocation)" if ctx.options.get("keep_revocation") else (
        f"session revocation lifted on {', '.join(lifted) or 'no role'}: sessions issued before the case are "
        "valid again until they expire")
    return Outcome(f"profile {profile['name']} restored; {kept}", {"lifted": lifted})


def elastic_ips(ctx: Ctx) -> Outcome:
    addrs = ctx.facts["addresses"]
    if not attempted(ctx, "elastic-ips") or not addrs:
        return _nothing("elastic-ips")
    ec2 = ctx.client("ec2")
    for a in addrs:
        kwargs: dict[str, Any] = {"AllocationId": a["allocation_id"], "NetworkInterfaceId": a["network_interface_id"],
                                  "AllowReassociation": False}
        if a.get("private_ip"):
            kwargs["PrivateIpAddress"] = a["private_ip"]
        current = ec2.describe_addresses(AllocationIds=[a["allocation_id"]])["Addresses"][0]
        if current.get("NetworkInterfaceId") == a["network_interface_id"]:
            continue
        if current.get("AssociationId"):
            raise IrError(f"Elastic IP {a['public_ip']} is now associated elsewhere "
                          f"({current.get('InstanceId') or current.get('NetworkInterfaceId')}): not taken back")
        ec2.associate_address(**kwargs)
    return Outcome(f"associated {', '.join(str(a['public_ip']) for a in addrs)} again", {})


def network(ctx: Ctx) -> Outcome:
    if not attempted(ctx, "network"):
        return _nothing("network")
    ec2 = ctx.client("ec2")
    for e in ctx.facts["enis"]:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=e["id"], Groups=e["groups"])
    return Outcome(f"{len(ctx.facts['enis'])} ENI(s) back on their groups",
                   {"groups": {e["id"]: e["groups"] for e in ctx.facts["enis"]}})


def protect(ctx: Ctx) -> Outcome:
    if not attempted(ctx, "protect"):
        return _nothing("protect")
    ec2 = ctx.client("ec2")
    iid = ctx.facts["instance_id"]
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": ctx.facts["termination_protection"]})
    devices = [v["device"] for v in ctx.facts["volumes"] if v["delete_on_termination"]]
    if devices:
        ec2.modify_instance_attribute(InstanceId=iid, BlockDeviceMappings=[
            {"DeviceName": d, "Ebs": {"DeleteOnTermination": True}} for d in devices])
    return Outcome(f"termination protection {'on' if ctx.facts['termination_protection'] else 'off'} again; "
                   f"DeleteOnTermination on again for {', '.join(devices) or 'no device'}", {"devices": devices})


def untag(ctx: Ctx) -> Outcome:
    if not attempted(ctx, "tag"):
        return _nothing("tag")
    ec2 = ctx.client("ec2")
    iid = ctx.facts["instance_id"]
    prior = ctx.facts["tags"].get(QUARANTINE_TAG)
    if prior is None:
        ec2.delete_tags(Resources=[iid], Tags=[{"Key": QUARANTINE_TAG}])
    else:
        ec2.create_tags(Resources=[iid], Tags=[{"Key": QUARANTINE_TAG, "Value": prior}])
    return Outcome(f"{QUARANTINE_TAG} {'removed' if prior is None else 'restored'}", {})


def verify(ctx: Ctx) -> Outcome:
    """Re-read what release restored; any difference from the state before the case is a failure."""
    if "capture" not in ctx.done:
        return Outcome("nothing was captured, nothing to compare", {}, skipped=True)
    f, ec2 = ctx.facts, ctx.client("ec2")
    iid = f["instance_id"]
    problems: list[str] = []
    enis = {e["NetworkInterfaceId"]: sorted(g["GroupId"] for g in e.get("Groups", [])) for e in ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["NetworkInterfaces"]}
    for e in f["enis"]:
        if enis.get(e["id"]) != sorted(e["groups"]):
            problems.append(f"{e['id']} groups {enis.get(e['id'])}, before {sorted(e['groups'])}")
    if f["addresses"]:
        now = {a.get("AllocationId"): a.get("NetworkInterfaceId") for a in ec2.describe_addresses(
            AllocationIds=[a["allocation_id"] for a in f["addresses"]])["Addresses"]}
        problems += [f"Elastic IP {a['public_ip']} not on {a['network_interface_id']}" for a in f["addresses"]
                     if now.get(a["allocation_id"]) != a["network_interface_id"]]
    if f["profile"]:
        assoc = current_association(ctx, iid)
        if assoc is None or assoc["IamInstanceProfile"]["Arn"] != f["profile"]["arn"]:
            problems.append(f"instance profile is {assoc and assoc['IamInstanceProfile']['Arn']}, before {f['profile']['arn']}")
    if f["auto_scaling"]:
        a = ctx.client("autoscaling").describe_auto_scaling_instances(InstanceIds=[iid]).get("AutoScalingInstances", [])
        state = a[0].get("LifecycleState") if a else None
        if state != f["auto_scaling"]["lifecycle_state"]:
            problems.append(f"Auto Scaling state {state}, before {f['auto_scaling']['lifecycle_state']}")
    elb = ctx.client("elbv2")
    for tg in f["target_groups"]:
        ids = {d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=tg["arn"])["TargetHealthDescriptions"]}
        if iid not in ids:
            problems.append(f"not registered in {tg['name'] or tg['arn']}")
    if problems:
        raise IrError("release did not restore: " + "; ".join(problems))
    checked = ["groups", "elastic IPs" if f["addresses"] else "", "profile" if f["profile"] else "",
               "Auto Scaling" if f["auto_scaling"] else "", "target groups" if f["target_groups"] else ""]
    return Outcome(f"verified: {', '.join(c for c in checked if c)} as before the case; evidence kept "
                   f"({len(ctx.store.cases.artefacts(ctx.case.id))} artefacts, snapshots)", {"problems": []})
