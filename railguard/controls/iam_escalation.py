"""IAM privilege-escalation paths: a policy that lets its holder grant itself more.

Judged on the policy analyser (`controls.policy`) over the same policies as
iam.policy-dangerous-permissions (customer-managed and inline; AWS-managed ones are out of scope):
an unconditional Allow, on every resource (`*`), not cancelled by a Deny, of an action that
escalates alone, or of `iam:PassRole` together with an action that runs code as the passed role.
Statements that grant `*:*` are iam.policy-full-admin's and not repeated here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from railguard.controls import control
from railguard.controls import policy as pol
from railguard.controls.iam import MANAGED_POLICY, PRINCIPALS
from railguard.controls.iam_baseline import MAX_EVIDENCE, STANDALONE_POLICIES, judge_policies, parse_all
from railguard.model import (
    Resource,
    Severity,
    UnknownValue,
    Verdict,
    failed,
    passed,
    unknown,
)

# each alone lets the holder raise its own permissions or act as another principal
ALONE = (
    "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:AttachGroupPolicy",
    "iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy",
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
    "iam:AddUserToGroup", "iam:UpdateAssumeRolePolicy", "lambda:UpdateFunctionCode",
)
# with iam:PassRole, each runs code with the permissions of any role it passes
WITH_PASSROLE = (
    "lambda:CreateFunction", "ec2:RunInstances", "cloudformation:CreateStack", "glue:CreateDevEndpoint",
    "codebuild:CreateProject", "sagemaker:CreateNotebookInstance", "datapipeline:CreatePipeline",
)


def escalation_paths(docs: list[pol.PolicyDocument]) -> tuple[list[str], list[pol.Statement], UnknownValue | None]:
    """(paths, the statements that grant them, the first unknown that kept a path undecided)."""
    kept = [pol.PolicyDocument(tuple(s for s in d.statements if not _full_admin(s)), d.version, d.source)
            for d in docs]
    pending: UnknownValue | None = None
    granted: dict[str, tuple[pol.Statement, ...]] = {}
    for action in (*ALONE, "iam:PassRole", *WITH_PASSROLE):
        try:
            access = pol.evaluate(kept, action, "*")
        except UnknownValue as exc:
            pending = pending or exc
            continue
        if access.allowed:
            granted[action] = access.allows
    paths = [a for a in ALONE if a in granted]
    if "iam:PassRole" in granted:
        paths += [f"iam:PassRole + {a}" for a in WITH_PASSROLE if a in granted]
    statements: list[pol.Statement] = []
    for path in paths:
        for part in path.split(" + "):
            statements.extend(s for s in granted[part] if s not in statements)
    return paths, statements, pending


def _full_admin(st: pol.Statement) -> bool:
    try:
        return st.is_allow and st.covers_action("*") and st.covers_resource("*")
    except UnknownValue:
        return False


def _verdict(docs: Iterable[tuple[str, Any]], what: str) -> Verdict:
    parsed = parse_all(docs)
    paths, statements, pending = escalation_paths(parsed.docs)
    if paths:
        return failed(f"{what} allows privilege escalation: {', '.join(paths)}", paths=paths,
                      statements=[s.to_evidence() for s in statements[:MAX_EVIDENCE]], count=len(statements))
    if parsed.problem is not None:
        return unknown(parsed.problem)
    if pending is not None:
        return unknown(f"{pending.path} is unknown ({pending.unknown.reason})")
    return passed(f"{what} opens no known privilege-escalation path on *")


@control(
    "iam.privilege-escalation",
    title="No policy opens a privilege-escalation path (iam:CreatePolicyVersion, iam:Attach*Policy, "
          "iam:PassRole with lambda:CreateFunction, ... on *)",
    resource=[MANAGED_POLICY, *STANDALONE_POLICIES, *PRINCIPALS],
    severity=Severity.HIGH,
    fix="Scope the IAM write actions to named resources (or remove them), and pass only named roles "
        "(iam:PassRole on role ARNs, with iam:PassedToService)",
)
def privilege_escalation(r: Resource) -> Verdict | None:
    """A holder of `iam:CreatePolicyVersion` rewrites its own policy; of `iam:AttachUserPolicy`,
    `iam:PutRolePolicy`, `iam:AddUserToGroup` grants itself anything; of `iam:CreateAccessKey` or
    `iam:UpdateLoginProfile` becomes another user; of `iam:PassRole` with `lambda:CreateFunction`,
    `ec2:RunInstances` or `cloudformation:CreateStack` runs code as any role. Only unconditional
    grants on `*` count (a condition or a named resource may well be the least privilege). Live
    customer-managed policies attached to nothing pass, as in iam.policy-dangerous-permissions."""
    return judge_policies(r, _verdict)
