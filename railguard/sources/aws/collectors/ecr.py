"""ECR repositories: `AWS::ECR::Repository`, per region.

Calls per region: `DescribeRepositories` (paginated); `GetRepositoryPolicy` once per repository
only when a selected control reads the `AWS::ECR::Repository#Policy` facet
(`RepositoryPolicyNotFoundException` means no policy: data, not a failure).

Properties (CloudFormation shape): RepositoryName, ImageTagMutability,
ImageScanningConfiguration.ScanOnPush, EncryptionConfiguration (EncryptionType, KmsKey),
RepositoryPolicyText (parsed JSON; None without a policy; `Unknown` when the call failed or the
facet was not wanted). Live facts: uri.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, json_document, per_resource
from railguard.sources.aws.errors import is_code

REPOSITORY = "AWS::ECR::Repository"
REPOSITORY_POLICY = "AWS::ECR::Repository#Policy"  # facet read by railguard.controls.ecr


@collector("ecr", yields=[REPOSITORY, REPOSITORY_POLICY], scope=REGIONAL,
           calls=["ecr:DescribeRepositories", "ecr:GetRepositoryPolicy"])
def collect_repositories(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("ecr")
    want_policy = ctx.wants(REPOSITORY_POLICY)

    def read(repo: dict[str, Any]) -> Resource:
        name = repo["repositoryName"]
        enc = repo.get("encryptionConfiguration") or {}
        props: dict[str, Any] = {
            "RepositoryName": name,
            "ImageTagMutability": repo.get("imageTagMutability", "MUTABLE"),
            "ImageScanningConfiguration": {
                "ScanOnPush": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush"))},
            "EncryptionConfiguration": {"EncryptionType": enc.get("encryptionType", "AES256"),
                                        **({"KmsKey": enc["kmsKey"]} if enc.get("kmsKey") else {})},
        }
        if want_policy:
            try:
                text = client.get_repository_policy(repositoryName=name, registryId=repo.get("registryId") or ctx.account)
                props["RepositoryPolicyText"] = json_document(text.get("policyText"))
            except Exception as exc:
                props["RepositoryPolicyText"] = (None if is_code(exc, "RepositoryPolicyNotFoundException")
                                                 else ctx.unknown(exc, "ecr:GetRepositoryPolicy"))
        else:
            props["RepositoryPolicyText"] = ctx.not_collected(REPOSITORY_POLICY)
        arn = repo.get("repositoryArn")
        return ctx.resource(REPOSITORY, arn or name, props, arn=arn, name=name, live={"uri": repo.get("repositoryUri")})

    repos = list(ctx.paginate("ecr", "describe_repositories", "repositories"))
    yield from per_resource(read, repos)
