"""Resource-policy exposure, live (moto): for each service a resource whose policy opens it to
everyone fails, one whose policy is narrowed passes, a grant to another account is UNKNOWN without
an owned list and fails with one; denied calls are UNKNOWN (never PASS); policies are fetched only
when a selected control reads them."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.loaders
import pytest

from railguard.model import Result
from railguard.sources.aws.session import CallCounter
from tests.livehelp import live_inventory, results, run_control
from tests.sources.test_storage_collectors import make_bucket, on_call

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's
OTHER = "444455556666"
_LOADER = botocore.loaders.create_loader()


class _SharedModelsSession(boto3.Session):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session.register_component("data_loader", _LOADER)


@pytest.fixture(autouse=True)
def _fast_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    monkeypatch.setattr(boto3, "Session", _SharedModelsSession)


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, action: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


ORG_ONLY = {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


# ---------------------------------------------------------------- S3


@pytest.mark.usefixtures("aws")
def test_s3_bucket_policy_public_private_and_restricted() -> None:
    make_bucket("public-site").put_bucket_policy(Bucket="public-site", Policy=doc(
        allow("*", "s3:GetObject") | {"Resource": "arn:aws:s3:::public-site/*"}))
    make_bucket("vpce-only").put_bucket_policy(Bucket="vpce-only", Policy=doc(
        allow("*", "s3:GetObject") | {"Resource": "arn:aws:s3:::vpce-only/*",
                                      "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}))
    make_bucket("no-policy")
    blocked = make_bucket("blocked-site")
    blocked.put_bucket_policy(Bucket="blocked-site", Policy=doc(
        allow("*", "s3:GetObject") | {"Resource": "arn:aws:s3:::blocked-site/*"}))
    blocked.put_public_access_block(Bucket="blocked-site", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    got = results(run_control("s3.bucket-policy-exposed"))
    assert got["public-site"] == Result.FAIL
    assert got["vpce-only"] == Result.PASS
    assert got["no-policy"] == Result.PASS
    assert got["blocked-site"] == Result.PASS  # RestrictPublicBuckets: S3 ignores the public grant


@pytest.mark.usefixtures("aws")
def test_s3_bucket_policy_denied_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket("secret-bkt").put_bucket_policy(Bucket="secret-bkt", Policy=doc(
        allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "s3:GetObject")))
    on_call(monkeypatch, "s3", "GetBucketPolicy", deny=True)
    [f] = [f for f in run_control("s3.bucket-policy-exposed") if f.resource_name == "secret-bkt"]
    assert f.result == Result.UNKNOWN, f.reason


# ---------------------------------------------------------------- SNS and SQS


@pytest.mark.usefixtures("aws")
def test_sns_default_policy_passes_and_open_topic_fails() -> None:
    sns = client("sns")
    sns.create_topic(Name="default-policy")  # AWS's default: "AWS": "*" with AWS:SourceOwner = owner
    open_arn = sns.create_topic(Name="open")["TopicArn"]
    sns.set_topic_attributes(TopicArn=open_arn, AttributeName="Policy",
                             AttributeValue=doc(allow({"AWS": "*"}, "sns:Publish")))
    got = results(run_control("sns.topic-policy-exposed"))
    assert got["default-policy"] == Result.PASS
    assert got["open"] == Result.FAIL


@pytest.mark.usefixtures("aws")
def test_sqs_queue_policy_and_external_account() -> None:
    sqs = client("sqs")
    sqs.create_queue(QueueName="open", Attributes={"Policy": doc(allow("*", "sqs:SendMessage"))})
    sqs.create_queue(QueueName="partner", Attributes={"Policy": doc(
        allow({"AWS": f"arn:aws:iam::{OTHER}:root"}, "sqs:SendMessage"))})
    sqs.create_queue(QueueName="plain")
    got = results(run_control("sqs.queue-policy-exposed"))
    assert got == {"open": Result.FAIL, "partner": Result.UNKNOWN, "plain": Result.PASS}
    owned = results(run_control("sqs.queue-policy-exposed", params={"owned_accounts": ["111122223333"]}))
    assert owned["partner"] == Result.FAIL
    mine = results(run_control("sqs.queue-policy-exposed", params={"owned_accounts": [OTHER]}))
    assert mine["partner"] == Result.PASS


# ---------------------------------------------------------------- KMS


@pytest.mark.usefixtures("aws")
def test_kms_key_policy_exposed() -> None:
    kms = client("kms")
    kms.create_key(Description="default")  # default policy: the account root only
    kms.create_key(Description="open", Policy=doc(
        allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "kms:*"), allow({"AWS": "*"}, "kms:Decrypt")))
    found = run_control("kms.key-policy-exposed")
    by_desc = {f.resource_id: f.result for f in found}
    keys = {k["KeyId"]: kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"] for k in kms.list_keys()["Keys"]}
    assert {keys[k]: r for k, r in by_desc.items()} == {"default": Result.PASS, "open": Result.FAIL}


# ---------------------------------------------------------------- Lambda


def _function(name: str) -> None:
    role = client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=doc(
        allow({"Service": "lambda.amazonaws.com"}, "sts:AssumeRole")))["Role"]["Arn"]
    client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                                     Code={"ZipFile": b"def handler(e, c): return 1"})


@pytest.mark.usefixtures("aws")
def test_lambda_function_policy_exposed_and_call_budget() -> None:
    lam = client("lambda")
    for name in ("public-url", "from-s3", "no-policy"):
        _function(name)
    lam.add_permission(FunctionName="public-url", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    lam.add_permission(FunctionName="from-s3", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::amzn-s3-demo-bucket",
                       SourceAccount=ACCOUNT)
    got = results(run_control("lambda.function-policy-exposed"))
    assert got == {"public-url": Result.FAIL, "from-s3": Result.PASS, "no-policy": Result.PASS}
    counter = CallCounter()
    live_inventory(["AWS::Lambda::Function"], counter=counter)  # the facet not read: no GetPolicy
    assert not any(k.endswith(":GetPolicy") for k in counter.snapshot()), counter.snapshot()


@pytest.mark.usefixtures("aws")
def test_lambda_get_policy_denied_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    _function("guarded")
    on_call(monkeypatch, "lambda", "GetPolicy", deny=True)
    assert results(run_control("lambda.function-policy-exposed")) == {"guarded": Result.UNKNOWN}


# ---------------------------------------------------------------- ECR


@pytest.mark.usefixtures("aws")
def test_ecr_repository_policy_exposed() -> None:
    ecr = client("ecr")
    for name in ("public-images", "org-images", "plain-images"):
        ecr.create_repository(repositoryName=name)
    ecr.set_repository_policy(repositoryName="public-images", policyText=doc(
        {"Sid": "AllowPull", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}))
    ecr.set_repository_policy(repositoryName="org-images", policyText=doc(
        {"Sid": "OrgPull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage", **ORG_ONLY}))
    got = results(run_control("ecr.repository-policy-exposed"))
    assert got == {"public-images": Result.FAIL, "org-images": Result.PASS, "plain-images": Result.PASS}
    [repo] = [r for r in live_inventory(["AWS::ECR::Repository"]).of_type("AWS::ECR::Repository")
              if r.name == "plain-images"]
    assert repo.get("ImageScanningConfiguration.ScanOnPush") is False
    assert repo.get("ImageTagMutability") == "MUTABLE"


# ---------------------------------------------------------------- Secrets Manager


@pytest.mark.usefixtures("aws")
def test_secret_policy_exposed_and_denied() -> None:
    sm = client("secretsmanager")
    for name in ("open-secret", "role-secret", "plain-secret"):
        sm.create_secret(Name=name, SecretString="not-a-real-value")
    sm.put_resource_policy(SecretId="open-secret", ResourcePolicy=doc(allow({"AWS": "*"}, "secretsmanager:GetSecretValue")))
    sm.put_resource_policy(SecretId="role-secret", ResourcePolicy=doc(
        allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"}, "secretsmanager:GetSecretValue")))
    got = results(run_control("secretsmanager.secret-policy-exposed"))
    assert got == {"open-secret": Result.FAIL, "role-secret": Result.PASS, "plain-secret": Result.PASS}


@pytest.mark.usefixtures("aws")
def test_secret_policy_call_denied_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    client("secretsmanager").create_secret(Name="guarded", SecretString="not-a-real-value")
    on_call(monkeypatch, "secretsmanager", "GetResourcePolicy", deny=True)
    assert results(run_control("secretsmanager.secret-policy-exposed")) == {"guarded": Result.UNKNOWN}


# ---------------------------------------------------------------- OpenSearch


@pytest.mark.usefixtures("aws")
def test_opensearch_domain_policy_exposed() -> None:
    es = client("opensearch")
    es.create_domain(DomainName="open-search", AccessPolicies=doc(allow({"AWS": "*"}, "es:*")))
    es.create_domain(DomainName="ip-search", AccessPolicies=doc(
        allow({"AWS": "*"}, "es:*", Condition={"IpAddress": {"aws:SourceIp": ["10.20.0.0/16"]}})))
    es.create_domain(DomainName="docs-ip-search", AccessPolicies=doc(
        allow({"AWS": "*"}, "es:*", Condition={"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}})))
    got = results(run_control("opensearch.domain-policy-exposed"))
    assert got == {"open-search": Result.FAIL, "ip-search": Result.PASS, "docs-ip-search": Result.FAIL}
    trusted = results(run_control("opensearch.domain-policy-exposed", params={"trusted_cidrs": ["192.0.2.0/24"]}))
    assert trusted["docs-ip-search"] == Result.PASS


# ---------------------------------------------------------------- IAM role trust


@pytest.mark.usefixtures("aws")
def test_role_trust_exposed() -> None:
    iam = client("iam")
    iam.create_role(RoleName="anyone", AssumeRolePolicyDocument=doc(allow({"AWS": "*"}, "sts:AssumeRole")))
    iam.create_role(RoleName="org", AssumeRolePolicyDocument=doc(allow({"AWS": "*"}, "sts:AssumeRole", **ORG_ONLY)))
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=doc(allow({"Service": "lambda.amazonaws.com"}, "sts:AssumeRole")))
    iam.create_role(RoleName="vendor", AssumeRolePolicyDocument=doc(allow(
        {"AWS": f"arn:aws:iam::{OTHER}:root"}, "sts:AssumeRole",
        Condition={"StringEquals": {"sts:ExternalId": "vendor-123"}})))
    got = results(run_control("iam.role-trust-exposed", regions=[REGION]))
    assert got == {"anyone": Result.FAIL, "org": Result.PASS, "worker": Result.PASS, "vendor": Result.UNKNOWN}
    owned = results(run_control("iam.role-trust-exposed", params={"owned_accounts": ["111122223333"]}))
    assert owned["vendor"] == Result.FAIL
