"""Where a reader learns more: the CIS benchmark for its items, the AWS documentation for each
control (by the most specific prefix of its id: `ec2.sg-` before `ec2.`)."""

from __future__ import annotations

CIS = "https://www.cisecurity.org/benchmark/amazon_web_services"
CIS_ON_AWS = "https://docs.aws.amazon.com/securityhub/latest/userguide/cis-aws-foundations-benchmark.html"

_BY_PREFIX: dict[str, str] = {
    "accessanalyzer.": "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html",
    "cloudtrail.": "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html",
    "cloudwatch.": "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html",
    "config.": "https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
    "docker.": "https://docs.docker.com/build/building/best-practices/",
    "dynamodb.": "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html",
    "ec2.": "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-security.html",
    "ec2.sg-": "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html",
    "ec2.default-sg": "https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html",
    "ec2.nacl-": "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html",
    "ec2.vpc-flow-logs": "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
    "ec2.vpc-peering": "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security.html",
    "ec2.imdsv2": "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",
    "ec2.launch-config-imdsv2": "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",
    "ec2.ebs-": "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
    "ecs.": "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/security-tasks-containers.html",
    "efs.": "https://docs.aws.amazon.com/efs/latest/ug/encryption.html",
    "elb.": "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html",
    "guardduty.": "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_settingup.html",
    "iam.": "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
    "iam.root-": "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html",
    "iam.password-": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
    "kms.": "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
    "kms.rotation": "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
    "lambda.": "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    "rds.": "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_BestPractices.Security.html",
    "s3.": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
    "s3.account-public-access-block": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    "s3.bucket-public-access-block": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    "securityhub.": "https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-settingup.html",
    "sns.": "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    "sqs.": "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html",
    "template.": "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/security-best-practices.html",
}


def control_doc(control_id: str) -> str | None:
    """The AWS (or Docker) documentation page for a control, by its longest matching id prefix."""
    best = max((p for p in _BY_PREFIX if control_id.startswith(p)), key=len, default=None)
    return _BY_PREFIX[best] if best else None


def framework_doc(framework_id: str) -> str | None:
    if framework_id.startswith("cis-aws-foundations"):
        return CIS
    return None
