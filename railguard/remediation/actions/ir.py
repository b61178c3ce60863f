"""Incident response as guardrail actions: `ir.isolate` (an instance) and `ir.contain-principal` (an IAM user or
role, or the user behind an access key finding). Each opens a case (`railguard.ir`), or finds the one already
active on the resource, and runs it with the case's own safeguards: the isolation breaker (N isolations in a
window, then approval) and the critical tag (always approval), on top of the guardrail's. The guardrail's
journal row names the case; undoing that row releases the case (the evidence stays).

    guardrails:
      - name: isolate-tainted-instances
        controls: [ec2.instance-tainted]
        mode: remediate
        action: {id: ir.isolate, params: {max_isolations: 2, forensics_instance: i-0forensics}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from railguard.remediation.action import ActionError, CaseAction, Change, Params, Risk, Target, action
from railguard.store.journal import APPLIED, FAILED, HELD, SKIPPED

ACTOR = "railguard-guardrail"
_READS = ("ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
          "ec2:DescribeVolumes", "ec2:DescribeAddresses", "ec2:DescribeInstanceAttribute",
          "ec2:DescribeIamInstanceProfileAssociations", "ec2:GetConsoleOutput", "cloudtrail:LookupEvents",
          "autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeAutoScalingGroups",
          "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
          "iam:GetInstanceProfile", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies")
_ISOLATE_CALLS = (
    *_READS, "ec2:CreateTags", "ec2:ModifyInstanceAttribute", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:DisassociateAddress", "iam:PutRolePolicy", "iam:CreateRole", "iam:CreateInstanceProfile",
    "iam:AddRoleToInstanceProfile", "ec2:ReplaceIamInstanceProfileAssociation", "autoscaling:EnterStandby",
    "autoscaling:DetachInstances", "autoscaling:UpdateAutoScalingGroup", "elasticloadbalancing:DeregisterTargets",
    "ec2:CreateSnapshot", "ec2:DescribeSnapshots", "kms:DescribeKey", "kms:CreateKey", "ec2:CopySnapshot",
    "ec2:ModifySnapshotAttribute", "ec2:CreateVolume", "ec2:AttachVolume", "ec2:StopInstances")
_CONTAIN_CALLS = ("iam:GetUser", "iam:GetRole", "iam:ListAccessKeys", "iam:GetLoginProfile",
                  "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:ListGroupsForUser",
                  "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:UpdateAccessKey",
                  "iam:DeleteLoginProfile", "iam:PutUserPolicy", "iam:PutRolePolicy", "sts:GetCallerIdentity")


class IsolateParams(Params):
    stop: bool = Field(default=False, description="stop the instance at the end (off: memory is evidence)")
    forensics_account: str | None = Field(default=None, pattern=r"^\d{12}$",
                                          description="share the snapshots with this account")
    forensics_instance: str | None = Field(default=None, pattern=r"^i-[0-9a-f]{8,17}$",
                                           description="attach volumes made from the snapshots to this instance")
    max_isolations: int = Field(default=2, ge=0, description="isolations in the window before one waits for approval")
    window_minutes: int = Field(default=60, ge=1, description="the isolation breaker's window")


class ContainParams(Params):
    """No params: containment is always the whole of it (keys, console login, deny-all, sessions)."""


class _CaseAction(CaseAction):
    kind: str
    steps: str

    def subject(self, target: Target) -> str:
        return target.resource.id

    def case_params(self, params: Any) -> dict[str, Any]:
        return {}

    def options(self, params: Any) -> dict[str, Any]:
        return {}

    def _store(self, target: Target) -> Any:
        if target.store is None:
            raise ActionError(f"{self.spec.id} opens an incident-response case: it runs only with the store "
                              "(through a guardrail or an approval)")
        return target.store

    def _active(self, target: Target) -> Any:
        return target.store.cases.active(self.kind, self.subject(target), target.session.account or None) \
            if target.store is not None else None

    def build(self, target: Target, params: Any) -> Change:
        subject = self.subject(target)
        case = self._active(target)
        if case is not None:
            return self.change(target, params, f"case {case.id} ({case.status}) already handles {subject}",
                               prior={"open_case": None}, noop=True)
        return self.change(target, params, f"open an incident-response case: {self.kind} {subject} ({self.steps})",
                           prior={"open_case": None}, calls=self.spec.calls)

    def read_state(self, target: Target) -> Mapping[str, Any]:
        self._store(target)
        case = self._active(target)
        return {"open_case": case.id if case is not None else None}

    def settle(self, target: Target, change: Change) -> dict[str, Any]:
        from railguard.ir import service
        from railguard.store import cases as C
        from railguard.store import utcnow

        try:
            store = self._store(target)
        except ActionError as exc:
            return {"status": FAILED, "error": str(exc)}
        params = self.params_of(change)
        req = service.request_case(store, target.session, self.kind, self.subject(target), target.region,
                                   trigger="guardrail", actor=ACTOR, reason=change.summary,
                                   params=self.case_params(params), options=self.options(params))
        case = req.case
        applied = {"case_id": case.id, "case_status": case.status}
        if not req.opened:
            return {"status": SKIPPED, "applied": applied,
                    "error": f"case {case.id} ({case.status}) already handles {case.subject}; not opened again"}
        assert req.result is not None
        status, message = req.result.status, req.result.message
        if status == C.DONE:
            now = utcnow()
            return {"status": APPLIED, "applied": applied, "applied_at": now, "verified_at": now,
                    "after": {"open_case": case.id}}
        if status == C.WAITING:
            return {"status": HELD, "applied": applied, "error": f"case {case.id} waits for a person: {message}"}
        return {"status": FAILED, "applied": applied, "after": {"open_case": case.id},
                "error": f"case {case.id} {status}: {message}"}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        from railguard.ir import service
        from railguard.store import cases as C

        store = self._store(target)
        case_id = applied.get("case_id")
        if not case_id:
            raise ActionError("the journal row names no case to release")
        result = service.release(store, target.session, str(case_id), actor=ACTOR)
        if result.status != C.RELEASED:
            raise ActionError(f"release of case {case_id} {result.status}: {result.message}")


@action(
    "ir.isolate",
    title="Open an incident-response case that isolates the instance (evidence first; every IR safeguard)",
    resource_types="AWS::EC2::Instance",
    calls=_ISOLATE_CALLS,
    risk=Risk(breaks_traffic=True, costs_money=True,
              note="cuts the instance off the network and from its role; snapshots are billed"),
    reversible=True,
    reversible_note="undo releases the case: groups, profile, Elastic IPs, Auto Scaling, target groups restored; "
                    "the evidence (artefacts, snapshots) is kept",
    fixes=("ec2.instance-tainted",),
)
class IsolateInstance(_CaseAction):
    """Opens a case `railguard ir isolate` would open, and runs it: capture, the isolation breaker and critical
    tag, tag, protect, network, Elastic IPs, credentials, Auto Scaling, target groups, snapshots (forensics and
    stop when asked). A case already active on the instance is not opened again."""

    params_model = IsolateParams
    kind = "isolate"
    steps = "capture first; breaker and critical tag; then tag, protect, network, Elastic IPs, credentials, " \
            "Auto Scaling, target groups, snapshots"

    def case_params(self, params: Any) -> dict[str, Any]:
        return {"stop": params.stop, "forensics_account": params.forensics_account,
                "forensics_instance": params.forensics_instance}

    def options(self, params: Any) -> dict[str, Any]:
        return {"max_isolations": params.max_isolations, "window_s": params.window_minutes * 60}


@action(
    "ir.contain-principal",
    title="Open an incident-response case that contains the IAM user or role (keys off, no console, deny-all)",
    resource_types=("AWS::IAM::User", "AWS::IAM::Role"),
    calls=_CONTAIN_CALLS,
    risk=Risk(breaks_traffic=True, note="everything the principal does stops, its sessions included"),
    reversible=True,
    reversible_note="undo releases the case: keys reactivated, policies restored; a removed console password "
                    "comes back as a new random one that must be reset",
    fixes=("iam.access-key-unused", "iam.credentials-unused"),  # they pass after it (keys inactive, no console):
    # a heavy answer to them, which a guardrail chooses for a principal it believes compromised
)
class ContainPrincipal(_CaseAction):
    """Opens a case `railguard ir contain-principal` would open, and runs it: capture, deactivate every access
    key (never delete), remove the console login profile, attach an explicit deny-all, revoke sessions."""

    params_model = ContainParams
    kind = "contain"
    steps = "capture first; then deactivate keys, remove console login, deny-all, revoke sessions"

    def subject(self, target: Target) -> str:
        return target.resource.arn or target.resource.id
