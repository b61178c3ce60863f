"""Resource policies read from templates: the Terraform types mapped for the exposure controls,
policies whose target is outside the scanned files (judged on their own, never dropped), and
unresolved targets (UNKNOWN, never PASS)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from railguard.controls import IAC, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Finding, Inventory, Resource, Result
from railguard.sources.cloudformation import load_file
from railguard.sources.terraform import load_directory

PUBLIC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "%s"}]}'


def tf(tmp_path: Path, text: str) -> list[Resource]:
    (tmp_path / "main.tf").write_text(textwrap.dedent(text))
    loaded = load_directory(tmp_path)
    assert not loaded.errors, loaded.errors
    return loaded.resources


def cfn(tmp_path: Path, text: str) -> list[Resource]:
    path = tmp_path / "t.yaml"
    path.write_text('AWSTemplateFormatVersion: "2010-09-09"\n' + textwrap.dedent(text))
    loaded = load_file(path)
    assert not loaded.errors, loaded.errors
    return loaded.resources


def findings(control_id: str, resources: list[Resource]) -> list[Finding]:
    c = get_control(control_id)
    return evaluate([PlannedControl(c, dict(c.params))], Inventory(resources), place=IAC)


def test_terraform_resource_policy_types_are_mapped(tmp_path: Path) -> None:
    res = tf(tmp_path, f'''
        resource "aws_lambda_function" "api" {{
          function_name = "api"
          role          = "arn:aws:iam::111122223333:role/api"
          filename      = "api.zip"
        }}
        resource "aws_lambda_permission" "by_arn" {{
          function_name = aws_lambda_function.api.arn
          action        = "lambda:InvokeFunction"
          principal     = "*"
        }}
        resource "aws_secretsmanager_secret" "db" {{
          name   = "db"
          policy = <<EOF
        {PUBLIC % "secretsmanager:GetSecretValue"}
        EOF
        }}
        resource "aws_elasticsearch_domain" "legacy" {{
          domain_name = "legacy"
        }}
        resource "aws_elasticsearch_domain_policy" "legacy" {{
          domain_name     = aws_elasticsearch_domain.legacy.domain_name
          access_policies = <<EOF
        {PUBLIC % "es:*"}
        EOF
        }}
        ''')
    types = {r.type for r in res}
    assert {"AWS::Lambda::Permission", "AWS::SecretsManager::ResourcePolicy", "AWS::Elasticsearch::Domain"} <= types
    [api] = findings("lambda.function-policy-exposed", res)
    assert (api.resource_id, api.result) == ("aws_lambda_function.api", Result.FAIL)  # folded by ARN reference
    [secret] = findings("secretsmanager.secret-policy-exposed", res)
    assert (secret.resource_id, secret.result) == ("aws_secretsmanager_secret.db", Result.FAIL)
    [domain] = findings("opensearch.domain-policy-exposed", res)
    assert (domain.resource_id, domain.result) == ("aws_elasticsearch_domain.legacy", Result.FAIL)


def test_a_policy_whose_target_is_elsewhere_is_judged_on_its_own(tmp_path: Path) -> None:
    res = cfn(tmp_path, '''
        Resources:
          OutsidePolicy:
            Type: AWS::SNS::TopicPolicy
            Properties:
              Topics: ["arn:aws:sns:us-east-1:111122223333:shared"]
              PolicyDocument: {Statement: [{Effect: Allow, Principal: "*", Action: "sns:Publish", Resource: "*"}]}
          OutsideBucketPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: shared-bucket
              PolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: logging.s3.amazonaws.com}, Action: "s3:PutObject", Resource: "*"}]}
        ''')
    [topic] = findings("sns.topic-policy-exposed", res)
    assert (topic.resource_id, topic.result) == ("OutsidePolicy", Result.FAIL)
    [bucket] = findings("s3.bucket-policy-exposed", res)
    assert (bucket.resource_id, bucket.result) == ("OutsideBucketPolicy", Result.PASS)


def test_an_unresolved_policy_target_is_unknown_not_pass(tmp_path: Path) -> None:
    res = cfn(tmp_path, '''
        Parameters:
          QueueUrl: {Type: String}
        Resources:
          Jobs:
            Type: AWS::SQS::Queue
          SomePolicy:
            Type: AWS::SQS::QueuePolicy
            Properties:
              Queues: [!Ref QueueUrl]
              PolicyDocument: {Statement: [{Effect: Allow, Principal: "*", Action: "sqs:SendMessage", Resource: "*"}]}
        ''')
    by_id = {f.resource_id: f.result for f in findings("sqs.queue-policy-exposed", res)}
    assert by_id["Jobs"] == Result.UNKNOWN  # the public policy may be this queue's


def test_terraform_orphan_ecr_policy_is_kept_not_dropped(tmp_path: Path) -> None:
    res = tf(tmp_path, f'''
        resource "aws_ecr_repository_policy" "elsewhere" {{
          repository = "built-elsewhere"
          policy     = <<EOF
        {PUBLIC % "ecr:BatchGetImage"}
        EOF
        }}
        ''')
    assert [r.type for r in res] == ["Terraform::aws_ecr_repository_policy"]


def test_bucket_policy_public_access_block_in_template(tmp_path: Path) -> None:
    res = cfn(tmp_path, '''
        Resources:
          Site:
            Type: AWS::S3::Bucket
            Properties:
              PublicAccessBlockConfiguration: {RestrictPublicBuckets: true, BlockPublicPolicy: true,
                                               BlockPublicAcls: true, IgnorePublicAcls: true}
          SitePolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Site
              PolicyDocument: {Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}]}
        ''')
    [f] = findings("s3.bucket-policy-exposed", res)
    assert f.result == Result.PASS and "RestrictPublicBuckets" in f.reason
