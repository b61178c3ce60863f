"""Helpers for pipeline tests under moto: world-open groups, guardrails from YAML text, one observation."""

from __future__ import annotations

from typing import Any

import boto3

from railguard.engine.scan import ScanOptions
from railguard.guardrails.load import GuardrailSet, Rule, parse_guardrails
from railguard.guardrails.run import Observed, observe
from railguard.remediation.pipeline import Context, PipelineResult, run_pipeline
from railguard.store import Store

REGION = "us-east-1"
WORLD_SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
OFFICE_HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}


def ec2(region: str = REGION) -> Any:
    return boto3.client("ec2", region_name=region)


def world_open_group(name: str, tags: dict[str, str] | None = None, region: str = REGION,
                     extra: list[dict[str, Any]] | None = None) -> str:
    c = ec2(region)
    vpc = c.describe_vpcs()["Vpcs"][0]["VpcId"]
    kw: dict[str, Any] = {}
    if tags:
        kw["TagSpecifications"] = [{"ResourceType": "security-group",
                                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    gid: str = c.create_security_group(GroupName=name, Description=name, VpcId=vpc, **kw)["GroupId"]
    c.authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH, OFFICE_HTTPS, *(extra or [])])
    return gid


def ingress(gid: str, region: str = REGION) -> list[dict[str, Any]]:
    """The group's ingress, in a stable order (rule order is not part of the state)."""
    perms = ec2(region).describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    out = [{k: sorted(v, key=str) if isinstance(v, list) else v for k, v in p.items()} for p in perms]
    return sorted(out, key=lambda p: (p.get("FromPort", -1), str(p)))


def world_open(gid: str, region: str = REGION) -> bool:
    return any(r.get("CidrIp") == "0.0.0.0/0" for p in ingress(gid, region) for r in p.get("IpRanges", []))


def guardrails(text: str, env: dict[str, str] | None = None) -> GuardrailSet:
    model = parse_guardrails(text, "test.yaml", env or {})
    return GuardrailSet([Rule(g, model.environments, model.notifications, "test.yaml") for g in model.guardrails],
                        ["test.yaml"])


def look(gs: GuardrailSet) -> Observed:
    return observe(gs, ScanOptions(regions=[REGION], max_workers=4))


def run(gs: GuardrailSet, store: Store, *, apply: bool = False, seen: Observed | None = None,
        context: Context | None = None) -> PipelineResult:
    seen = seen or look(gs)
    return run_pipeline(gs, seen.findings, seen.inventory, seen.sessions, store, now=seen.now, apply=apply,
                        context=context, covered=seen.covered)


def by_resource(result: PipelineResult) -> dict[str, str]:
    return {i.resource_id: i.status for i in result.items}
