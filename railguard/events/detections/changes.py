"""Changes to watch: the CIS section 4 change list, and change management in production accounts.

CIS AWS Foundations section 4 asks for an alarm on each of these kinds of change; here each
is a rule over the same event names as the CIS metric filter patterns. Changes made by the
configured CI/CD roles (`events.ci_roles`) are expected and not flagged, and a change another
rule already reported (StopLogging is `cloudtrail.logging-stopped`) is not reported twice.
"""

from __future__ import annotations

from typing import Any

from railguard.events import record as R
from railguard.events.detections.registry import Hit, RuleContext, rule
from railguard.model import Severity

EC2 = "ec2.amazonaws.com"

CHANGE_LISTS: dict[str, tuple[str, str, str | None, list[str]]] = {
    # id: (title, eventSource, ATT&CK technique, event names) -- CIS v3.0 item in the title
    "change.iam-policy": ("IAM policy changed (CIS 4.4)", "iam.amazonaws.com", "T1098", [
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "SetDefaultPolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
        "AttachGroupPolicy", "DetachGroupPolicy"]),
    "change.cloudtrail": ("CloudTrail configuration changed (CIS 4.5)", "cloudtrail.amazonaws.com", "T1562.008", [
        "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging", "PutEventSelectors"]),
    "change.bucket-policy": ("S3 bucket policy changed (CIS 4.8)", "s3.amazonaws.com", None, [
        "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
        "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"]),
    "change.config": ("AWS Config configuration changed (CIS 4.9)", "config.amazonaws.com", "T1562.008", [
        "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"]),
    "change.security-group": ("Security group changed (CIS 4.10)", EC2, "T1562.007", [
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup",
        "ModifySecurityGroupRules"]),
    "change.network-acl": ("Network ACL changed (CIS 4.11)", EC2, "T1562.007", [
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"]),
    "change.network-gateway": ("Network gateway changed (CIS 4.12)", EC2, None, [
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway"]),
    "change.route-table": ("Route table changed (CIS 4.13)", EC2, None, [
        "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
        "DeleteRoute", "DisassociateRouteTable"]),
    "change.vpc": ("VPC changed (CIS 4.14)", EC2, None, [
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
        "DisableVpcClassicLink", "EnableVpcClassicLink"]),
    "change.organizations": ("AWS Organizations changed (CIS 4.15)", "organizations.amazonaws.com", "T1666", [
        "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
        "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
        "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization",
        "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"]),
}


def _change(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    if not R.succeeded(rec) or ctx.allowed(rec) or R.is_aws_service(rec):
        return None
    return f"{rec.get('eventName')} by {R.principal_arn(rec) or 'unknown principal'}"


for _id, (_title, _source, _technique, _events) in CHANGE_LISTS.items():
    rule(_id, title=_title, severity=Severity.LOW, events=_events, source=_source, technique=_technique,
         ci_exempt=True, fallback=True)(_change)


@rule("change.outside-pipeline", title="Change in a production account outside the CI/CD pipeline",
      severity=Severity.MEDIUM, events=None, errors=False, ci_exempt=True, params={"window": 3600})
def outside_pipeline(rec: dict[str, Any], ctx: RuleContext) -> Hit | None:
    """In accounts listed in `events.production_accounts`, a mutating call by a principal that is not one
    of `events.ci_roles`: was this deployed through the pipeline? Reported once per principal and
    event name per window."""
    prod = ctx.cfg.production_accounts
    if not prod or R.account(rec) not in prod or not R.succeeded(rec) or not R.is_change(rec):
        return None
    if R.is_aws_service(rec) or ctx.allowed(rec):
        return None
    who = R.role_arn(rec) or R.principal_arn(rec)
    seen: dict[tuple[str, str], float] = ctx.state.setdefault("seen", {})
    key = (who, R.s(rec.get("eventName")))
    t = R.time_of(rec)
    last = seen.get(key)
    if last is not None and t - last < float(ctx.params.get("window", 3600)):
        return None
    ctx.sweep(seen, t, float)
    seen[key] = t
    return Hit(f"{key[1]} in production account {R.account(rec)} by {who or 'unknown principal'}, "
               f"not a CI/CD role: was this deployed through the pipeline?")
