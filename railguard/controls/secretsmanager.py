"""Secrets Manager: secret resource policies that expose nothing.

Templates: `AWS::SecretsManager::ResourcePolicy` (CloudFormation; Terraform's
`aws_secretsmanager_secret_policy` and the `policy` argument of `aws_secretsmanager_secret` map to
it). Live: the collector yields one `AWS::SecretsManager::ResourcePolicy` per secret that has a
policy (GetResourcePolicy), only when a selected control reads that type.
"""

from __future__ import annotations

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.policy import EXPOSURE_PARAMS, attached, exposure_verdict, target_in_scope
from railguard.model import Resource, Severity, Verdict

SECRET = "AWS::SecretsManager::Secret"
SECRET_POLICY = "AWS::SecretsManager::ResourcePolicy"


@control(
    "secretsmanager.secret-policy-exposed",
    title="Secrets Manager secret policy does not grant everyone or accounts outside the owned accounts",
    resource=[SECRET, SECRET_POLICY],
    reads=[SECRET_POLICY],
    severity=Severity.CRITICAL,
    params=EXPOSURE_PARAMS,
    fix="Name the principals in the secret's resource policy (or remove it); set BlockPublicPolicy",
    places=(LIVE, IAC),
)
def secret_policy_exposed(r: Resource, ctx: Context) -> Verdict | None:
    """Everyone, unrestricted, or an account outside `owned_accounts` (see `policy.exposure`). A
    secret without a resource policy is readable only through its own account's IAM: it passes."""
    if r.type == SECRET_POLICY:
        if target_in_scope(r, ctx, SECRET, "SecretId"):
            return None
        return exposure_verdict(r, ctx, [(r.display_name, r.get_raw("ResourcePolicy"))], "the secret policy")
    policies, unresolved = attached(r, ctx, SECRET_POLICY, "SecretId")
    return exposure_verdict(r, ctx, [(p.display_name, p.get_raw("ResourcePolicy")) for p in policies],
                            "the secret policy", unresolved=unresolved)
