"""ECR: repository policies that expose nothing.

The live collector (railguard/sources/aws/collectors/ecr.py) fills `RepositoryPolicyText` only when
a selected control reads the `AWS::ECR::Repository#Policy` facet (one GetRepositoryPolicy per
repository); templates state it on the repository (CloudFormation) or in
`aws_ecr_repository_policy` (Terraform, folded into its repository).
"""

from __future__ import annotations

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import truthy
from railguard.controls.policy import EXPOSURE_PARAMS, exposure_verdict
from railguard.model import Resource, Severity, Verdict, failed, passed

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


@control(
    "ecr.scan-on-push",
    title="ECR repository scans images on push",
    resource=REPOSITORY,
    severity=Severity.MEDIUM,
    fix="Set ImageScanningConfiguration.ScanOnPush: true on the repository",
    places=(LIVE, IAC),
)
def scan_on_push(r: Resource) -> Verdict:
    """An image with known vulnerabilities is flagged when pushed, not when exploited. CloudFormation's
    default is off. (A registry-level scanning rule can also scan a repository: not read yet.)"""
    if truthy(r.get("ImageScanningConfiguration.ScanOnPush")):
        return passed("images are scanned on push")
    return failed("images are not scanned on push", scan_on_push=False)


@control(
    "ecr.tag-immutability",
    title="ECR repository tags are immutable",
    resource=REPOSITORY,
    severity=Severity.MEDIUM,
    fix="Set ImageTagMutability: IMMUTABLE on the repository",
    places=(LIVE, IAC),
)
def tag_immutability(r: Resource) -> Verdict:
    """A mutable tag lets a push replace what `app:1.4.2` runs, silently, everywhere it is deployed."""
    value = str(r.get("ImageTagMutability") or "MUTABLE").upper()
    if value.startswith("IMMUTABLE"):
        return passed("tags are immutable", image_tag_mutability=value)
    return failed("tags are mutable: a push can replace a deployed image", image_tag_mutability=value)
