"""Logging and monitoring in the lab: CloudTrail, Config, KMS, metric filters and alarms, SNS,
SQS, Security Hub, GuardDuty. Misconfigured resources and compliant twins, every one recorded.

Home region (`lab.regions[0]`):
- trail `lab-trail-open`: multi-region and logging, but no log file validation, no KMS, no
  CloudWatch Logs delivery, and its bucket has no access logging;
- trail `lab-trail-secure`: multi-region, validated, KMS-encrypted, delivered to the log group
  `railguard-lab/cloudtrail`, bucket with access logging, S3 data events for *write* only
  (so object-level write logging passes and read logging fails);
- on that log group: covering metric filters + alarms + an SNS topic with a confirmed (SQS)
  subscriber for unauthorized API calls, root usage and new IAM users (root access key use is
  covered by the root usage filter); a filter + alarm with no action for console sign-in
  without MFA; a filter without alarm for CloudTrail changes; a filter that misses most IAM
  policy events; nothing for the other items;
- Config recording everything (global types too), Security Hub, an enabled GuardDuty detector.
Second region: a Config recorder that was never started, a suspended GuardDuty detector.
Every region: single-region trails, KMS keys with and without rotation, SNS topics and SQS
queues with and without KMS (`lab.scale` of each kind); one key whose policy gives kms:* to '*'.
"""

from __future__ import annotations

import json
from typing import Any

from railguard.demo.lab import Lab

LOG_GROUP = "railguard-lab/cloudtrail"
NAMESPACE = "RailGuardLab/CIS"


def _bucket(lab: Lab, name: str, region: str) -> str:
    s3 = lab.client("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def _key(lab: Lab, region: str, rotate: bool, policy: dict[str, Any] | None = None) -> tuple[str, str]:
    kms = lab.client("kms", region)
    args: dict[str, Any] = {"Description": "railguard lab key"}
    if policy is not None:
        args["Policy"] = json.dumps(policy)
    md = kms.create_key(**args)["KeyMetadata"]
    if rotate:
        kms.enable_key_rotation(KeyId=md["KeyId"])
    return md["KeyId"], md["Arn"]


def _trails(lab: Lab, key_arn: str) -> None:
    home, acct = lab.home, lab.account
    ct = lab.client("cloudtrail", home)
    open_bucket = _bucket(lab, f"railguard-lab-trail-open-{acct}", home)
    secure_bucket = _bucket(lab, f"railguard-lab-trail-secure-{acct}", home)
    access_logs = _bucket(lab, f"railguard-lab-access-logs-{acct}", home)
    s3 = lab.client("s3", home)
    s3.put_bucket_acl(Bucket=access_logs, ACL="log-delivery-write")
    s3.put_bucket_logging(Bucket=secure_bucket, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": access_logs, "TargetPrefix": "trail-bucket/"}})

    ct.create_trail(Name="lab-trail-open", S3BucketName=open_bucket, IsMultiRegionTrail=True)
    ct.start_logging(Name="lab-trail-open")
    for cid in ("cloudtrail.log-file-validation", "cloudtrail.kms-encryption",
                "cloudtrail.cloudwatch-logs-delivery", "cloudtrail.bucket-access-logging"):
        lab.expect_fail(cid, "lab-trail-open")

    lab.client("logs", home).create_log_group(logGroupName=LOG_GROUP)
    ct.create_trail(
        Name="lab-trail-secure", S3BucketName=secure_bucket, IsMultiRegionTrail=True,
        EnableLogFileValidation=True, KmsKeyId=key_arn,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{home}:{acct}:log-group:{LOG_GROUP}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{acct}:role/railguard-lab-cloudtrail-logs",
    )
    ct.put_event_selectors(TrailName="lab-trail-secure", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []},
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]},
    ])
    ct.start_logging(Name="lab-trail-secure")
    for cid in ("cloudtrail.log-file-validation", "cloudtrail.kms-encryption",
                "cloudtrail.cloudwatch-logs-delivery", "cloudtrail.bucket-access-logging"):
        lab.expect_pass(cid, "lab-trail-secure")
    lab.expect_pass("cloudtrail.multi-region-enabled", acct)
    lab.expect_pass("cloudtrail.s3-data-events-write", acct)
    lab.expect_fail("cloudtrail.s3-data-events-read", acct)

    # single-region trails in the other regions: every other one fully hardened
    for region in lab.regions[1:]:
        rct = lab.client("cloudtrail", region)
        for i in range(lab.scale):
            name = f"lab-trail-{region}-{i}"
            good = i % 2 == 0
            args: dict[str, Any] = {"Name": name, "S3BucketName": secure_bucket if good else open_bucket}
            if good:
                rkey_id, rkey = _key(lab, region, rotate=True)
                lab.expect_pass("kms.rotation-enabled", rkey_id)
                lab.client("logs", region).create_log_group(logGroupName=f"railguard-lab/{name}")
                args.update(EnableLogFileValidation=True, KmsKeyId=rkey,
                            CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{acct}:log-group:railguard-lab/{name}:*",
                            CloudWatchLogsRoleArn=f"arn:aws:iam::{acct}:role/railguard-lab-cloudtrail-logs")
            rct.create_trail(**args)
            expect = lab.expect_pass if good else lab.expect_fail
            for cid in ("cloudtrail.log-file-validation", "cloudtrail.kms-encryption",
                        "cloudtrail.cloudwatch-logs-delivery", "cloudtrail.bucket-access-logging"):
                expect(cid, name)


def _alerts_topic(lab: Lab) -> str:
    home = lab.home
    sns, sqs = lab.client("sns", home), lab.client("sqs", home)
    topic = sns.create_topic(Name="lab-security-alerts", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    lab.expect_pass("sns.topic-encrypted", "lab-security-alerts")
    url = sqs.create_queue(QueueName="lab-security-alerts-inbox",
                           Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
    lab.expect_pass("sqs.queue-encrypted", "lab-security-alerts-inbox")
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic


# (control suffix, filter pattern, alarm actions: "topic" | "none" | None for no alarm)
_MONITORS: list[tuple[str, str, str | None]] = [
    ("unauthorized-api-calls",
     '{($.errorCode="*UnauthorizedOperation")||($.errorCode="AccessDenied*")}', "topic"),
    ("root-usage",
     '{ $.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS\n'
     '  && $.userIdentity.type = "Root" }', "topic"),
    ("new-iam-user", '{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateUser") }', "topic"),
    ("console-signin-without-mfa",
     '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }', "none"),
    ("cloudtrail-changes",
     "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
     "($.eventName = StartLogging) || ($.eventName = StopLogging) }", None),
    ("iam-policy-changes",
     "{ ($.eventName = PutUserPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = AttachUserPolicy) }",
     "topic"),
]
_PASSING = {"unauthorized-api-calls", "root-usage", "new-iam-user", "root-access-key-use"}
_ALL_ITEMS = [
    "unauthorized-api-calls", "console-signin-without-mfa", "root-usage", "iam-policy-changes",
    "cloudtrail-changes", "console-auth-failures", "cmk-disable-or-deletion", "s3-bucket-policy-changes",
    "config-changes", "security-group-changes", "nacl-changes", "network-gateway-changes",
    "route-table-changes", "vpc-changes", "organizations-changes", "new-iam-user", "admin-policy-attached",
    "kms-decrypt-burst", "root-access-key-use",
]


def _monitoring(lab: Lab, topic: str) -> None:
    logs, cw = lab.client("logs", lab.home), lab.client("cloudwatch", lab.home)
    for key, pattern, actions in _MONITORS:
        metric = f"lab-{key}"
        logs.put_metric_filter(
            logGroupName=LOG_GROUP, filterName=f"lab-{key}", filterPattern=pattern,
            metricTransformations=[{"metricName": metric, "metricNamespace": NAMESPACE, "metricValue": "1"}],
        )
        if actions is None:
            continue
        cw.put_metric_alarm(
            AlarmName=f"lab-{key}", MetricName=metric, Namespace=NAMESPACE, Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic] if actions == "topic" else [],
        )
    for key in _ALL_ITEMS:
        (lab.expect_pass if key in _PASSING else lab.expect_fail)(f"cloudwatch.alarm-{key}", lab.account)


def _config(lab: Lab, bucket: str) -> None:
    role = f"arn:aws:iam::{lab.account}:role/railguard-lab-config"
    for i, region in enumerate(lab.regions):
        if i > 1:
            lab.expect_fail("config.recorder-all-regions", region)
            continue
        cfg = lab.client("config", region)
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": role,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": i == 0},
        })
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
        if i == 0:
            cfg.start_configuration_recorder(ConfigurationRecorderName="default")
            lab.expect_pass("config.recorder-all-regions", region)
        else:
            lab.expect_fail("config.recorder-all-regions", region)  # recorder never started


def _regional_services(lab: Lab) -> None:
    for i, region in enumerate(lab.regions):
        if i == 0:
            lab.client("securityhub", region).enable_security_hub(EnableDefaultStandards=False)
            lab.expect_pass("securityhub.enabled-all-regions", region)
            lab.client("guardduty", region).create_detector(Enable=True)
            lab.expect_pass("guardduty.enabled-all-regions", region)
        else:
            lab.expect_fail("securityhub.enabled-all-regions", region)
            if i == 1:
                lab.client("guardduty", region).create_detector(Enable=False)
            lab.expect_fail("guardduty.enabled-all-regions", region)


def _keys_topics_queues(lab: Lab) -> None:
    for region in lab.regions:
        sns, sqs = lab.client("sns", region), lab.client("sqs", region)
        for i in range(lab.scale):
            key_id, _ = _key(lab, region, rotate=True)
            lab.expect_pass("kms.rotation-enabled", key_id)
            lab.expect_pass("kms.key-policy-wildcard-principal", key_id)
            key_id, _ = _key(lab, region, rotate=False)
            lab.expect_fail("kms.rotation-enabled", key_id)

            plain, encrypted = f"lab-topic-plain-{region}-{i}", f"lab-topic-kms-{region}-{i}"
            sns.create_topic(Name=plain)
            sns.create_topic(Name=encrypted, Attributes={"KmsMasterKeyId": "alias/aws/sns"})
            lab.expect_fail("sns.topic-encrypted", plain)
            lab.expect_pass("sns.topic-encrypted", encrypted)

            q_plain, q_sse, q_kms = (f"lab-queue-plain-{region}-{i}", f"lab-queue-ssesqs-{region}-{i}",
                                     f"lab-queue-kms-{region}-{i}")
            sqs.create_queue(QueueName=q_plain, Attributes={"SqsManagedSseEnabled": "false"})
            sqs.create_queue(QueueName=q_sse, Attributes={"SqsManagedSseEnabled": "true"})
            sqs.create_queue(QueueName=q_kms, Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
            lab.expect_fail("sqs.queue-encrypted", q_plain)
            lab.expect_fail("sqs.queue-encrypted", q_sse)
            lab.expect_pass("sqs.queue-encrypted", q_kms)
    # a key anyone may use and administer
    open_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "EveryoneEverything", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*",
         "Resource": "*"},
    ]}
    key_id, _ = _key(lab, lab.home, rotate=True, policy=open_policy)
    lab.expect_fail("kms.key-policy-wildcard-principal", key_id)
    lab.expect_pass("kms.rotation-enabled", key_id)


def seed(lab: Lab) -> None:
    trail_key, trail_key_arn = _key(lab, lab.home, rotate=True)
    lab.expect_pass("kms.rotation-enabled", trail_key)
    lab.expect_pass("kms.key-policy-wildcard-principal", trail_key)
    _trails(lab, trail_key_arn)
    _monitoring(lab, _alerts_topic(lab))
    _config(lab, _bucket(lab, f"railguard-lab-config-{lab.account}", lab.home))
    _regional_services(lab)
    _keys_topics_queues(lab)
