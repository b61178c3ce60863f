"""Controls per service: railguard beside Prowler's and Checkov's counts (not part of `make test`).

    .venv/bin/python benchmarks/breadth.py PROWLER_GIT_DIR CHECKOV_GIT_DIR

Each argument is a clone (or bare git directory) of the peer's public repository; files are read
at HEAD with `git ls-tree` / `git show`, nothing is installed or run. Counting rules:

- Prowler: one check per `prowler/providers/aws/services/<service>/<check>/<check>.metadata.json`;
  `awslambda` is lambda, `elb`+`elbv2` is elb, `vpc`+`autoscaling` is ec2.
- Checkov: distinct `CKV_AWS_n` / `CKV2_AWS_n` ids of the CloudFormation and Terraform resource
  checks and the Terraform graph checks, attributed to a service by the resource types they
  support (a check on several services counts for each).
- railguard: the catalogue by control-id prefix, with the places (live, templates) each runs in.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess

from railguard.controls import IAC, LIVE, all_controls

SERVICES = ["s3", "sns", "sqs", "kms", "lambda", "ecr", "secretsmanager", "opensearch", "iam", "ec2", "rds",
            "cloudtrail", "cloudwatch", "config", "guardduty", "securityhub", "accessanalyzer", "dynamodb", "efs",
            "elb", "ecs"]
PROWLER_ALIAS = {"awslambda": "lambda", "elbv2": "elb", "vpc": "ec2", "autoscaling": "ec2"}
CFN_SERVICE = {
    "S3": "s3", "SNS": "sns", "SQS": "sqs", "KMS": "kms", "Lambda": "lambda", "Serverless": "lambda", "ECR": "ecr",
    "SecretsManager": "secretsmanager", "OpenSearchService": "opensearch", "Elasticsearch": "opensearch", "IAM": "iam",
    "EC2": "ec2", "AutoScaling": "ec2", "RDS": "rds", "CloudTrail": "cloudtrail", "Config": "config",
    "GuardDuty": "guardduty", "DynamoDB": "dynamodb", "EFS": "efs", "ElasticLoadBalancingV2": "elb",
    "ElasticLoadBalancing": "elb", "ECS": "ecs", "Logs": "cloudwatch", "CloudWatch": "cloudwatch",
    "SecurityHub": "securityhub", "AccessAnalyzer": "accessanalyzer",
}
TF_PREFIX = [
    ("aws_s3_", "s3"), ("aws_sns_", "sns"), ("aws_sqs_", "sqs"), ("aws_kms_", "kms"), ("aws_lambda_", "lambda"),
    ("aws_ecr_", "ecr"), ("aws_secretsmanager_", "secretsmanager"), ("aws_opensearch_", "opensearch"),
    ("aws_elasticsearch_", "opensearch"), ("aws_iam_", "iam"), ("aws_instance", "ec2"), ("aws_security_group", "ec2"),
    ("aws_default_security_group", "ec2"), ("aws_vpc", "ec2"), ("aws_default_vpc", "ec2"), ("aws_ebs_", "ec2"),
    ("aws_launch_", "ec2"), ("aws_network_acl", "ec2"), ("aws_default_network_acl", "ec2"), ("aws_subnet", "ec2"),
    ("aws_flow_log", "ec2"), ("aws_ec2_", "ec2"), ("aws_eip", "ec2"), ("aws_ami", "ec2"), ("aws_db_", "rds"),
    ("aws_rds_", "rds"), ("aws_cloudtrail", "cloudtrail"), ("aws_config_", "config"), ("aws_guardduty_", "guardduty"),
    ("aws_dynamodb_", "dynamodb"), ("aws_efs_", "efs"), ("aws_lb", "elb"), ("aws_alb", "elb"), ("aws_elb", "elb"),
    ("aws_ecs_", "ecs"), ("aws_cloudwatch_", "cloudwatch"), ("aws_securityhub_", "securityhub"),
    ("aws_accessanalyzer_", "accessanalyzer"),
]
# issue 15 point 2, second part: API Gateway, DMS, Amazon MQ
SERVICES += ["apigateway", "dms", "mq"]
PROWLER_ALIAS["apigatewayv2"] = "apigateway"
CFN_SERVICE.update({"ApiGateway": "apigateway", "ApiGatewayV2": "apigateway", "DMS": "dms", "AmazonMQ": "mq"})
TF_PREFIX += [("aws_api_gateway_", "apigateway"), ("aws_apigatewayv2_", "apigateway"), ("aws_dms_", "dms"),
              ("aws_mq_", "mq")]
# issue 15 point 2, data stores and edges (breadth2)
SERVICES += ["redshift", "eks", "elasticache", "cloudfront"]
CFN_SERVICE.update({"Redshift": "redshift", "EKS": "eks", "ElastiCache": "elasticache", "CloudFront": "cloudfront"})
TF_PREFIX += [("aws_redshift_", "redshift"), ("aws_eks_", "eks"), ("aws_elasticache_", "elasticache"),
              ("aws_cloudfront_", "cloudfront")]
_ID = re.compile(r'id\s*[=:]\s*"?(CKV2?_AWS_\d+)')
_TYPES = re.compile(r'["\'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+|aws_[a-z0-9_]+)["\']')


def _git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", repo, *args], capture_output=True, text=True, check=True).stdout


def _files(repo: str, path: str) -> list[str]:
    return _git(repo, "ls-tree", "-r", "--name-only", "HEAD", path).split()


def _service(resource_type: str) -> str | None:
    if resource_type.startswith("AWS::"):
        return CFN_SERVICE.get(resource_type.split("::")[1])
    return next((s for p, s in TF_PREFIX if resource_type.startswith(p)), None)


def prowler_counts(repo: str) -> collections.Counter[str]:
    out: collections.Counter[str] = collections.Counter()
    for p in _files(repo, "prowler/providers/aws/services"):
        if p.endswith(".metadata.json"):
            d = p.split("/")[4]
            out[PROWLER_ALIAS.get(d, d)] += 1
    return out


def checkov_counts(repo: str) -> tuple[dict[str, set[str]], set[str]]:
    by_service: dict[str, set[str]] = collections.defaultdict(set)
    every: set[str] = set()
    paths = [p for d in ("checkov/cloudformation/checks/resource/aws", "checkov/terraform/checks/resource/aws")
             for p in _files(repo, d) if p.endswith(".py") and not p.endswith("__init__.py")]
    paths += [p for p in _files(repo, "checkov/terraform/checks/graph_checks/aws") if p.endswith((".yaml", ".yml"))]
    for p in paths:
        text = _git(repo, "show", f"HEAD:{p}")
        m = _ID.search(text)
        if m is None:
            continue
        every.add(m.group(1))
        scope = text.split("supported_resources", 1)[1] if p.endswith(".py") and "supported_resources" in text else text
        types = _TYPES.findall(scope) if p.endswith(".py") else re.findall(r"\b(aws_[a-z0-9_]+)\b", text)
        for t in types:
            s = _service(t)
            if s:
                by_service[s].add(m.group(1))
    return by_service, every


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("prowler", help="git directory of github.com/prowler-cloud/prowler")
    ap.add_argument("checkov", help="git directory of github.com/bridgecrewio/checkov")
    args = ap.parse_args()
    prowler = prowler_counts(args.prowler)
    checkov, every = checkov_counts(args.checkov)
    controls = all_controls()
    rg = collections.Counter(c.service for c in controls)
    live = collections.Counter(c.service for c in controls if LIVE in c.places)
    iac = collections.Counter(c.service for c in controls if IAC in c.places)
    print("| service | railguard (live / templates) | Prowler (live) | Checkov (templates) |")
    print("|---|---|---|---|")
    tot = [0, 0, 0, 0, 0]
    for s in SERVICES:
        row = [rg[s], live[s], iac[s], prowler[s], len(checkov[s])]
        tot = [a + b for a, b in zip(tot, row, strict=True)]
        print(f"| {s} | {row[0]} ({row[1]} / {row[2]}) | {row[3]} | {row[4]} |")
    print(f"| **these {len(SERVICES)} services** | **{tot[0]} ({tot[1]} / {tot[2]})** | **{tot[3]}** | **{tot[4]}** |")
    print(f"| all services | {len(controls)} | {sum(prowler.values())} | {len(every)} |")


if __name__ == "__main__":
    main()
