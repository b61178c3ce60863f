"""Create, update and remove what a `DeployPlan` describes; every step says what it did or would do.

Idempotent: each resource is read first and only created or changed when it differs, so a
second run reports every step `unchanged`. Everything created carries the `railguard:deployment`
tag with the deployment's name; `undeploy` removes only resources with that tag and name, and a
resource of the same name without the tag is refused rather than taken over.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from railguard.deploy.plan import TAG, DeployPlan

Clients = Callable[[str], Any]
TARGET_ID = "railguard-queue"
VISIBILITY = "120"
MAX_RECEIVES = 5
RETENTION = "1209600"  # 14 days, the most SQS keeps


class DeployError(Exception):
    """A resource with our name exists but is not ours, or a call failed."""


@dataclass(frozen=True)
class Step:
    kind: str  # queue | rule | targets | role | function | mapping
    name: str
    status: str  # create | update | unchanged | delete | absent | (dry run: the same words)
    detail: str = ""

    def line(self) -> str:
        return f"{self.status:9} {self.kind:8} {self.name}" + (f"  ({self.detail})" if self.detail else "")


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


# ------------------------------------------------------------------ queues


def _queue_url(sqs: Any, name: str) -> str | None:
    try:
        return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except Exception as exc:
        if "NonExistentQueue" in _code(exc) or _code(exc) == "QueueDoesNotExist":
            return None
        raise


def _ensure_queue(sqs: Any, plan: DeployPlan, name: str, attrs: dict[str, str], dry: bool) -> tuple[Step, str | None]:
    url = _queue_url(sqs, name)
    if url is None:
        if dry:
            return Step("queue", name, "create"), None
        url = str(sqs.create_queue(QueueName=name, Attributes=attrs, tags=dict(plan.tags))["QueueUrl"])
        return Step("queue", name, "create"), url
    tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
    if tags.get(TAG) != plan.name:
        raise DeployError(f"queue {name} exists and was not created by deployment {plan.name!r}: refusing to change it")
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    diff = {k: v for k, v in attrs.items() if not _same(current.get(k), v)}
    if not diff:
        return Step("queue", name, "unchanged"), url
    if not dry:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=diff)
    return Step("queue", name, "update", ", ".join(sorted(diff))), url


def _same(current: str | None, wanted: str) -> bool:
    if current == wanted:
        return True
    if current is None:
        return False
    try:
        return bool(json.loads(current) == json.loads(wanted))
    except (ValueError, TypeError):
        return current.lower() == wanted.lower()


# ------------------------------------------------------------------ rules


def _ensure_rule(events: Any, plan: DeployPlan, rule: Any, dry: bool) -> list[Step]:
    pattern = rule.pattern_json()
    try:
        current = events.describe_rule(Name=rule.name)
    except Exception as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        current = None
    steps: list[Step] = []
    if current is None:
        steps.append(Step("rule", rule.name, "create", f"{len(rule.event_names)} event names"))
        if not dry:
            events.put_rule(Name=rule.name, EventPattern=pattern, State="ENABLED",
                            Description=f"railguard {plan.name}: CloudTrail events for {rule.service}",
                            Tags=[{"Key": k, "Value": v} for k, v in plan.tags.items()])
    else:
        if _rule_tags(events, current["Arn"]).get(TAG) != plan.name:
            raise DeployError(f"rule {rule.name} exists and was not created by deployment {plan.name!r}")
        if json.loads(current.get("EventPattern") or "{}") != rule.pattern() or current.get("State") != "ENABLED":
            steps.append(Step("rule", rule.name, "update", "event pattern"))
            if not dry:
                events.put_rule(Name=rule.name, EventPattern=pattern, State="ENABLED")
        else:
            steps.append(Step("rule", rule.name, "unchanged"))
    targets = [] if current is None else events.list_targets_by_rule(Rule=rule.name).get("Targets", [])
    if any(t.get("Id") == TARGET_ID and t.get("Arn") == plan.queue_arn for t in targets):
        steps.append(Step("targets", rule.name, "unchanged"))
    else:
        steps.append(Step("targets", rule.name, "create", plan.queue_name))
        if not dry:
            events.put_targets(Rule=rule.name, Targets=[{"Id": TARGET_ID, "Arn": plan.queue_arn}])
    return steps


def _rule_tags(events: Any, arn: str) -> dict[str, str]:
    try:
        tags = events.list_tags_for_resource(ResourceARN=arn).get("Tags", [])
    except Exception:
        return {}
    return {t["Key"]: t["Value"] for t in tags}


def _our_rules(events: Any, name: str) -> list[dict[str, Any]]:
    out = []
    for page in events.get_paginator("list_rules").paginate(NamePrefix=f"{name}-"):
        for r in page.get("Rules", []):
            if _rule_tags(events, r["Arn"]).get(TAG) == name:
                out.append(r)
    return out


def _delete_rule(events: Any, rule_name: str, dry: bool) -> list[Step]:
    if not dry:
        ids = [t["Id"] for t in events.list_targets_by_rule(Rule=rule_name).get("Targets", [])]
        if ids:
            events.remove_targets(Rule=rule_name, Ids=ids)
        events.delete_rule(Name=rule_name)
    return [Step("rule", rule_name, "delete")]


# ------------------------------------------------------------------ lambda


def package() -> bytes:
    """A zip of the railguard package (its dependencies come from a layer: `--layer-arn`)."""
    root = Path(__file__).resolve().parents[1]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".yaml", ".json", ".j2", ".txt"):
                info = zipfile.ZipInfo(str(Path("railguard") / p.relative_to(root)), date_time=(2024, 1, 1, 0, 0, 0))
                z.writestr(info, p.read_bytes())
    return buf.getvalue()


def _ensure_lambda(clients: Clients, plan: DeployPlan, layers: list[str], dry: bool) -> list[Step]:
    iam, lam = clients("iam"), clients("lambda")
    steps: list[Step] = []
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    try:
        role = iam.get_role(RoleName=plan.role_name)["Role"]
        tags = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
        if tags.get(TAG) != plan.name:
            raise DeployError(f"role {plan.role_name} exists and was not created by deployment {plan.name!r}")
        steps.append(Step("role", plan.role_name, "unchanged"))
    except iam.exceptions.NoSuchEntityException:
        role = None
        steps.append(Step("role", plan.role_name, "create"))
        if not dry:
            role = iam.create_role(RoleName=plan.role_name, AssumeRolePolicyDocument=json.dumps(trust),
                                   Tags=[{"Key": k, "Value": v} for k, v in plan.tags.items()])["Role"]
    policy = plan.worker_policy()
    current = None
    if role is not None:
        try:
            doc = iam.get_role_policy(RoleName=plan.role_name, PolicyName="railguard-events")["PolicyDocument"]
            current = json.loads(doc) if isinstance(doc, str) else doc
        except iam.exceptions.NoSuchEntityException:
            current = None
    if current == policy:
        steps.append(Step("policy", plan.role_name, "unchanged"))
    else:
        steps.append(Step("policy", plan.role_name, "create" if current is None else "update"))
        if not dry:
            iam.put_role_policy(RoleName=plan.role_name, PolicyName="railguard-events", PolicyDocument=json.dumps(policy))
    try:
        lam.get_function(FunctionName=plan.function_name)
        steps.append(Step("function", plan.function_name, "unchanged"))
    except lam.exceptions.ResourceNotFoundException:
        steps.append(Step("function", plan.function_name, "create", "railguard.aws_lambda.handler"))
        if not dry and role is not None:
            lam.create_function(
                FunctionName=plan.function_name, Runtime="python3.11", Role=role["Arn"],
                Handler="railguard.aws_lambda.handler", Code={"ZipFile": package()}, Timeout=120, MemorySize=512,
                Layers=layers, Tags=dict(plan.tags),
                Environment={"Variables": {"RAILGUARD_DLQ_URL": _dlq_url_hint(clients, plan)}},
            )
    mappings = []
    if _function_exists(lam, plan):
        mappings = lam.list_event_source_mappings(FunctionName=plan.function_name,
                                                  EventSourceArn=plan.queue_arn).get("EventSourceMappings", [])
    if mappings:
        steps.append(Step("mapping", f"{plan.queue_name} -> {plan.function_name}", "unchanged"))
    else:
        steps.append(Step("mapping", f"{plan.queue_name} -> {plan.function_name}", "create"))
        if not dry:
            lam.create_event_source_mapping(EventSourceArn=plan.queue_arn, FunctionName=plan.function_name,
                                            BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    return steps


def _function_exists(lam: Any, plan: DeployPlan) -> bool:
    try:
        lam.get_function(FunctionName=plan.function_name)
        return True
    except lam.exceptions.ResourceNotFoundException:
        return False


def _dlq_url_hint(clients: Clients, plan: DeployPlan) -> str:
    return _queue_url(clients("sqs"), plan.dlq_name) or ""


# ------------------------------------------------------------------ entry points


def apply_plan(plan: DeployPlan, clients: Clients, *, dry_run: bool = False, layers: list[str] | None = None) -> list[Step]:
    """Bring the account to the plan; with `dry_run`, only say what would change."""
    sqs, events = clients("sqs"), clients("events")
    steps: list[Step] = []
    dlq_attrs = {"MessageRetentionPeriod": RETENTION, "SqsManagedSseEnabled": "true"}
    step, _dlq = _ensure_queue(sqs, plan, plan.dlq_name, dlq_attrs, dry_run)
    steps.append(step)
    q_attrs = {
        "VisibilityTimeout": VISIBILITY, "SqsManagedSseEnabled": "true",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": plan.dlq_arn, "maxReceiveCount": MAX_RECEIVES}),
        "Policy": json.dumps(plan.queue_policy()),
    }
    step, _queue = _ensure_queue(sqs, plan, plan.queue_name, q_attrs, dry_run)
    steps.append(step)
    wanted = {r.name for r in plan.rules}
    for rule in plan.rules:
        steps += _ensure_rule(events, plan, rule, dry_run)
    for r in _our_rules(events, plan.name):
        if r["Name"] not in wanted:  # a rule an earlier deployment made that the plan no longer needs
            steps += _delete_rule(events, r["Name"], dry_run)
    if plan.with_lambda:
        steps += _ensure_lambda(clients, plan, list(layers or []), dry_run)
    return steps


def undeploy(name: str, clients: Clients, *, dry_run: bool = False) -> list[Step]:
    """Remove what deployment `name` created (tagged so), and nothing else."""
    sqs, events, lam, iam = clients("sqs"), clients("events"), clients("lambda"), clients("iam")
    steps: list[Step] = []
    for r in _our_rules(events, name):
        steps += _delete_rule(events, r["Name"], dry_run)
    fn = f"{name}-events"
    try:
        f = lam.get_function(FunctionName=fn)
        if f.get("Tags", {}).get(TAG) == name:
            for m in lam.list_event_source_mappings(FunctionName=fn).get("EventSourceMappings", []):
                steps.append(Step("mapping", m["UUID"], "delete"))
                if not dry_run:
                    lam.delete_event_source_mapping(UUID=m["UUID"])
            steps.append(Step("function", fn, "delete"))
            if not dry_run:
                lam.delete_function(FunctionName=fn)
    except lam.exceptions.ResourceNotFoundException:
        pass
    role = f"{name}-events-function"
    try:
        tags = {t["Key"]: t["Value"] for t in iam.get_role(RoleName=role)["Role"].get("Tags", [])}
        if tags.get(TAG) == name:
            steps.append(Step("role", role, "delete"))
            if not dry_run:
                for p in iam.list_role_policies(RoleName=role).get("PolicyNames", []):
                    iam.delete_role_policy(RoleName=role, PolicyName=p)
                iam.delete_role(RoleName=role)
    except iam.exceptions.NoSuchEntityException:
        pass
    for qname in (f"{name}-events", f"{name}-events-dlq"):
        url = _queue_url(sqs, qname)
        if url and sqs.list_queue_tags(QueueUrl=url).get("Tags", {}).get(TAG) == name:
            steps.append(Step("queue", qname, "delete"))
            if not dry_run:
                sqs.delete_queue(QueueUrl=url)
    return steps
