"""ECR: repository policies that expose nothing.

The live collector (railguard/sources/aws/collectors/ecr.py) fills `RepositoryPolicyText` only when
a selected control reads the `AWS::ECR::Repository#Policy` facet (one GetRepositoryPolicy per
repository); templates state it on the repository (CloudFormation) or in
`aws_ecr_repository_policy` (Terraform, folded into its repository).
"""

from __future__ import annotations

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.policy import EXPOSURE_PARAMS, exposure_verdict
from railguard.model import Resource, Severity, Verdict

REPOSITORY = "AWS::ECR::Repository"
REPOSITORY_POLICY = "AWS::ECR::Repository#Policy"


@control(
    "ecr.repository-policy-exposed",
    title="ECR repository policy does not grant everyone or accounts outside the owned accounts",
    resource=REPOSITORY,
    reads=[REPOSITORY_POLICY],
    severity=Severity.HIGH,
    params=EXPOSURE_PARAMS,
    fix="Name the accounts that may pull (or push) in the repository policy, or restrict '*' with aws:PrincipalOrgID",
    places=(LIVE, IAC),
)
def repository_policy_exposed(r: Resource, ctx: Context) -> Verdict:
    """Everyone, unrestricted, or an account outside `owned_accounts` (see `policy.exposure`): a
    public pull gives anyone the images and whatever secrets were baked into them."""
    return exposure_verdict(r, ctx, [("repository policy", r.get_raw("RepositoryPolicyText"))], "the repository policy")
