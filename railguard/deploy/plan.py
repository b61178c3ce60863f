"""What `railguard deploy` creates, computed before any call: the rules' exact event patterns,
the queues and their policies, and the IAM permissions the worker or the function needs.

One rule per AWS service (the set is managed together; no rule per policy): its pattern lists
exactly the event names the enabled detections index and the touched-resources table maps for
the resource types the guardrails' controls judge. Detections that must see every record
(bursts of denials, one key from many addresses, ...) cannot be fed by a finite pattern; they run
on log files (`events replay`, or S3 notifications of new log files on the same queue).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from railguard.events.detector import Detector
from railguard.events.touched import table

TAG = "railguard:deployment"
DETAIL_TYPES = ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"]
PATTERN_LIMIT = 4096  # characters; EventBridge's default event-pattern size limit


@dataclass(frozen=True)
class RuleSpec:
    name: str
    service: str  # "iam"
    event_names: tuple[str, ...]

    def pattern(self) -> dict[str, Any]:
        detail_types = DETAIL_TYPES if self.service == "signin" else DETAIL_TYPES[:1]
        return {"source": [f"aws.{self.service}"], "detail-type": detail_types,
                "detail": {"eventSource": [f"{self.service}.amazonaws.com"], "eventName": list(self.event_names)}}

    def pattern_json(self) -> str:
        return json.dumps(self.pattern(), separators=(",", ":"))


@dataclass(frozen=True)
class DeployPlan:
    name: str
    region: str
    account: str
    rules: tuple[RuleSpec, ...]
    with_lambda: bool = False
    every_record_rules: tuple[str, ...] = ()
    action_permissions: tuple[str, ...] = ()
    read_permissions: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def queue_name(self) -> str:
        return f"{self.name}-events"

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-events-dlq"

    @property
    def role_name(self) -> str:
        return f"{self.name}-events-function"

    @property
    def function_name(self) -> str:
        return f"{self.name}-events"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    @property
    def queue_arn(self) -> str:
        return self.arn("sqs", self.queue_name)

    @property
    def dlq_arn(self) -> str:
        return self.arn("sqs", self.dlq_name)

    def rule_arns(self) -> list[str]:
        return [self.arn("events", f"rule/{r.name}") for r in self.rules]

    def queue_policy(self) -> dict[str, Any]:
        """EventBridge may send, and only from these rules; nothing may reach the queue without TLS."""
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "EventBridgeRulesOnly", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
             "Action": "sqs:SendMessage", "Resource": self.queue_arn,
             "Condition": {"ArnEquals": {"aws:SourceArn": self.rule_arns()}}},
            {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": self.queue_arn,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ]}

    def worker_policy(self) -> dict[str, Any]:
        """What the worker (or function) needs: the queue, the DLQ, re-reads, and the guardrails' actions."""
        statements: list[dict[str, Any]] = [
            {"Sid": "Queue", "Effect": "Allow", "Resource": self.queue_arn, "Action": [
                "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]},
            {"Sid": "DeadLetter", "Effect": "Allow", "Resource": self.dlq_arn, "Action": ["sqs:SendMessage"]},
        ]
        if self.with_lambda:
            statements.append({"Sid": "Logs", "Effect": "Allow", "Resource": self.arn(
                "logs", f"log-group:/aws/lambda/{self.function_name}:*"),
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]})
        if self.read_permissions:
            statements.append({"Sid": "ReRead", "Effect": "Allow", "Resource": "*",
                               "Action": sorted(self.read_permissions)})
        if self.action_permissions:
            statements.append({"Sid": "Remediate", "Effect": "Allow", "Resource": "*",
                               "Action": sorted(self.action_permissions)})
        return {"Version": "2012-10-17", "Statement": statements}

    def deployer_permissions(self) -> list[str]:
        perms = {"events:PutRule", "events:PutTargets", "events:DescribeRule", "events:ListTargetsByRule",
                 "events:ListRules", "events:RemoveTargets", "events:DeleteRule", "events:TagResource",
                 "events:ListTagsForResource", "sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes",
                 "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:ListQueueTags", "sqs:DeleteQueue",
                 "sts:GetCallerIdentity"}
        if self.with_lambda:
            perms |= {"iam:CreateRole", "iam:GetRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                      "iam:DeleteRole", "iam:PassRole", "iam:TagRole", "lambda:CreateFunction",
                      "lambda:GetFunction", "lambda:UpdateFunctionCode", "lambda:DeleteFunction",
                      "lambda:CreateEventSourceMapping", "lambda:ListEventSourceMappings",
                      "lambda:DeleteEventSourceMapping"}
        return sorted(perms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "region": self.region, "account": self.account,
            "queue": self.queue_name, "dead_letter_queue": self.dlq_name,
            "rules": [{"name": r.name, "pattern": r.pattern()} for r in self.rules],
            "queue_policy": self.queue_policy(),
            "function": {"name": self.function_name, "role": self.role_name, "policy": self.worker_policy()}
            if self.with_lambda else None,
            "worker_permissions": self.worker_policy(),
            "deployer_permissions": self.deployer_permissions(),
            "every_record_detections": list(self.every_record_rules),
        }


def needed_events(detector: Detector, touched_types: Iterable[str] | None) -> dict[str, set[str]]:
    """service ("iam") -> event names: the detections' index, plus the table's for the guardrails' types."""
    out: dict[str, set[str]] = {}
    for ctx in detector.contexts.values():
        rule = ctx.rule
        if rule.events is None:
            continue
        for name in rule.events:
            sources = [rule.source] if rule.source else _sources_of(name)
            for src in sources:
                out.setdefault(src.split(".")[0], set()).add(name)
    wanted = set(touched_types or ())
    for (src, name), entry in table().items():
        if any(t in wanted for t, _ in entry.touches):
            out.setdefault(src.split(".")[0], set()).add(name)
    return out


_KNOWN_SOURCES = {
    "GetSecretValue": ["secretsmanager.amazonaws.com"], "BatchGetSecretValue": ["secretsmanager.amazonaws.com"],
    "GetParameter": ["ssm.amazonaws.com"], "GetParameters": ["ssm.amazonaws.com"],
    "GetParametersByPath": ["ssm.amazonaws.com"], "PutBucketLifecycle": ["s3.amazonaws.com"],
    "UpdateTrail": ["cloudtrail.amazonaws.com"], "PutEventSelectors": ["cloudtrail.amazonaws.com"],
    "CreateTrail": ["cloudtrail.amazonaws.com"],
}


def _sources_of(event_name: str) -> list[str]:
    return _KNOWN_SOURCES.get(event_name) or [src for src, name in table() if name == event_name]


def build_plan(
    detector: Detector,
    *,
    name: str,
    region: str,
    account: str,
    touched_types: Iterable[str] | None = None,
    with_lambda: bool = False,
    action_permissions: Iterable[str] = (),
    read_permissions: Iterable[str] = (),
) -> DeployPlan:
    rules: list[RuleSpec] = []
    for service, names in sorted(needed_events(detector, touched_types).items()):
        chunks: list[list[str]] = [[]]
        for n in sorted(names):  # split a service's names over several rules past the pattern size limit
            if chunks[-1] and len(RuleSpec("x", service, (*chunks[-1], n)).pattern_json()) > PATTERN_LIMIT:
                chunks.append([])
            chunks[-1].append(n)
        for i, chunk in enumerate(chunks):
            suffix = f"-{i + 1}" if len(chunks) > 1 else ""
            rules.append(RuleSpec(f"{name}-{service}{suffix}", service, tuple(chunk)))
    every = tuple(sorted(rid for rid, c in detector.contexts.items() if c.rule.events is None))
    return DeployPlan(name=name, region=region, account=account, rules=tuple(rules), with_lambda=with_lambda,
                      every_record_rules=every, action_permissions=tuple(sorted(set(action_permissions))),
                      read_permissions=tuple(sorted(set(read_permissions))), tags={TAG: name})
