"""IAM role trust policies that expose nothing (the role's resource policy is its trust policy)."""

from __future__ import annotations

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.policy import EXPOSURE_PARAMS, exposure_verdict
from railguard.model import Resource, Severity, Verdict

ROLE = "AWS::IAM::Role"


@control(
    "iam.role-trust-exposed",
    title="IAM role trust policy does not let everyone, any web identity, or accounts outside the owned accounts assume it",
    resource=ROLE,
    severity=Severity.CRITICAL,
    params=EXPOSURE_PARAMS,
    fix=("Name the accounts or roles that may assume the role; for GitHub Actions OIDC add a condition on "
         "token.actions.githubusercontent.com:sub; restrict '*' with aws:PrincipalOrgID"),
    places=(LIVE, IAC),
)
def role_trust_exposed(r: Resource, ctx: Context) -> Verdict:
    """Principal `*` (or `{"AWS": "*"}`) without a restricting condition lets any AWS identity in any
    account assume the role; a shared OIDC provider (GitHub Actions, Cognito identity pools) without
    a condition on the subject or audience lets any of its users do so; an account outside
    `owned_accounts` fails (see `policy.exposure`). Service principals pass."""
    return exposure_verdict(r, ctx, [("trust policy", r.get_raw("AssumeRolePolicyDocument"))], "the trust policy",
                            trust=True)
