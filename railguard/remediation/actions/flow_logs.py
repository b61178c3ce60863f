"""VPC flow logs to CloudWatch Logs, creating the log group and the delivery role when missing.

Undo deletes the flow log, and only what this action created: a log group or role that was
there before is left as it was. The role trusts `vpc-flow-logs.amazonaws.com` and may write to
its log group only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from railguard.remediation.action import Action, Change, Params, Risk, Target, action
from railguard.sources.aws.errors import is_code

VPC = "AWS::EC2::VPC"
ROLE_POLICY = "railguard-vpc-flow-logs"


class FlowLogParams(Params):
    traffic_type: Literal["ALL", "REJECT"] = Field(default="ALL")
    log_group: str | None = Field(default=None, min_length=1, max_length=512,
                                  description="CloudWatch Logs group (default /railguard/vpc-flow-logs/<vpc-id>)")
    role_name: str = Field(default="railguard-vpc-flow-logs", min_length=1, max_length=64,
                           pattern=r"^[\w+=,.@-]+$")
    retention_days: int | None = Field(default=365, description="retention set on a log group this action creates")


def _trust() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _write_policy(group_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
        "Resource": [group_arn, f"{group_arn}:*"]}]})


@action(
    "ec2.vpc-flow-logs",
    title="Create a VPC flow log to CloudWatch Logs (and its log group and role when missing)",
    resource_types=VPC,
    calls=["ec2:DescribeFlowLogs", "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "logs:DescribeLogGroups",
           "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "iam:GetRole", "iam:CreateRole",
           "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"],
    permissions=["ec2:DescribeFlowLogs", "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "logs:DescribeLogGroups",
                 "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "iam:GetRole",
                 "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole", "iam:PassRole"],
    risk=Risk(costs_money=True, note="CloudWatch Logs bills ingestion and storage of the flow records"),
    fixes=["ec2.vpc-flow-logs"],
)
class VpcFlowLogs(Action):
    """CreateFlowLogs on the VPC to a CloudWatch Logs group, creating the group (with a
    retention) and a delivery role when they do not exist. Undo deletes the flow log and only
    the group and role this action created."""

    params_model = FlowLogParams

    def _group(self, target: Target, params: Any) -> str:
        return str(params.log_group or f"/railguard/vpc-flow-logs/{target.resource.id}")

    def build(self, target: Target, params: Any) -> Change:
        vpc = target.resource.id
        ec2, logs, iam = target.client("ec2"), target.client("logs"), target.client("iam")
        existing = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}]).get("FlowLogs", [])
        covering = [f["FlowLogId"] for f in existing if f.get("TrafficType") in ("ALL", "REJECT")
                    and str(f.get("FlowLogStatus", "ACTIVE")).upper() == "ACTIVE"]
        group = self._group(target, params)
        groups = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
        has_group = any(g["logGroupName"] == group for g in groups)
        try:
            role_arn: str | None = iam.get_role(RoleName=params.role_name)["Role"]["Arn"]
        except Exception as exc:
            if not is_code(exc, "NoSuchEntity"):
                raise
            role_arn = None
        prior = {"VpcId": vpc, "flow_logs": sorted(f["FlowLogId"] for f in existing), "log_group": group,
                 "log_group_existed": has_group, "role_name": params.role_name, "role_arn": role_arn}
        if covering:
            return self.change(target, params, f"flow log {covering[0]} already records {vpc}", prior=prior,
                               noop=True)
        calls = ([] if has_group else ["logs:CreateLogGroup"]) + (
            [] if role_arn else ["iam:CreateRole", "iam:PutRolePolicy"]) + ["ec2:CreateFlowLogs"]
        made = [x for x, new in (("log group", not has_group), ("role", not role_arn)) if new]
        summary = f"create a {params.traffic_type} flow log for {vpc} to {group}"
        if made:
            summary += f" (creating the {' and '.join(made)})"
        return self.change(target, params, summary, prior=prior, calls=calls)

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        p, params = change.prior, change.params
        logs, iam = target.client("logs"), target.client("iam")
        applied: dict[str, Any] = {"created_log_group": False, "created_role": False, "flow_log_ids": []}
        if not p["log_group_existed"]:
            logs.create_log_group(logGroupName=p["log_group"])
            applied["created_log_group"] = True
            if params.get("retention_days"):
                logs.put_retention_policy(logGroupName=p["log_group"], retentionInDays=params["retention_days"])
        partition = target.session.partition(target.region)
        group_arn = f"arn:{partition}:logs:{target.region}:{target.session.account}:log-group:{p['log_group']}"
        role_arn = p["role_arn"]
        try:
            if role_arn is None:
                role_arn = iam.create_role(RoleName=p["role_name"], AssumeRolePolicyDocument=_trust(),
                                           Description="railguard: VPC flow log delivery")["Role"]["Arn"]
                applied["created_role"] = True
                iam.put_role_policy(RoleName=p["role_name"], PolicyName=ROLE_POLICY,
                                    PolicyDocument=_write_policy(group_arn))
            resp = target.client("ec2").create_flow_logs(
                ResourceIds=[p["VpcId"]], ResourceType="VPC", TrafficType=params.get("traffic_type", "ALL"),
                LogDestinationType="cloud-watch-logs", LogGroupName=p["log_group"], DeliverLogsPermissionArn=role_arn)
        except Exception:
            self.undo(target, change, applied)  # leave nothing half-made behind
            raise
        applied["flow_log_ids"] = list(resp.get("FlowLogIds", []))
        return applied

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        p = change.prior
        ids = list(applied.get("flow_log_ids") or [])
        if not ids and applied.get("created_role") is None:  # applied details lost: find what apply made
            ids = [f for f in self.read_state(target)["flow_logs"] if f not in p["flow_logs"]]
        if ids:
            target.client("ec2").delete_flow_logs(FlowLogIds=ids)
        if applied.get("created_role"):
            iam = target.client("iam")
            iam.delete_role_policy(RoleName=p["role_name"], PolicyName=ROLE_POLICY)
            iam.delete_role(RoleName=p["role_name"])
        if applied.get("created_log_group"):
            target.client("logs").delete_log_group(logGroupName=p["log_group"])

    def read_state(self, target: Target) -> Mapping[str, Any]:
        vpc = target.resource.id
        flows = target.client("ec2").describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [vpc]}]).get("FlowLogs", [])
        return {"VpcId": vpc, "flow_logs": sorted(f["FlowLogId"] for f in flows)}
