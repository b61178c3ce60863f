"""Live logging and monitoring collectors under moto: a failing and a passing fixture per control,
denied calls giving UNKNOWN (never PASS), and API-call budgets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from railguard.controls import get_control
from railguard.model import Result
from railguard.sources.aws import runner
from railguard.sources.aws.session import CallCounter
from tests.livehelp import live_inventory, results, run_control

REGION, OTHER = "us-east-1", "eu-west-1"
ACCT = "123456789012"
LOG_GROUP = "trail-logs"


@pytest.fixture(autouse=True)
def _fast_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS-managed IAM policies, and regions taken as given: moto's EC2 DescribeRegions costs ~2 s
    per mock (it builds the EC2 backend), and region discovery is not what these tests test."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    monkeypatch.setattr(runner, "discover_regions", lambda session, wanted: list(wanted or [REGION]))


def on_call(monkeypatch: pytest.MonkeyPatch, operation: str, *, deny: bool = False,
            edit: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Make every call of `operation` fail with AccessDenied, or edit its response."""
    original = BaseClient._make_api_call

    def fake(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op != operation:
            return original(self, op, params)
        if deny:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, op)
        out = original(self, op, params)
        if edit is not None:
            edit(out)
        return out

    monkeypatch.setattr(BaseClient, "_make_api_call", fake)


def c(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)


def bucket(name: str, logging_to: str | None = None) -> str:
    s3 = c("s3")
    s3.create_bucket(Bucket=name)
    if logging_to:
        s3.create_bucket(Bucket=logging_to)
        s3.put_bucket_acl(Bucket=logging_to, ACL="log-delivery-write")
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": logging_to, "TargetPrefix": "x/"}})
    return name


def good_trail(name: str = "good", *, data_events: str | None = "All") -> str:
    """Multi-region, logging, validated, KMS, CloudWatch Logs, S3 data events."""
    key = f"arn:aws:kms:{REGION}:{ACCT}:key/00000000-1111-2222-3333-444444444444"  # moto keys cost an RSA keygen
    c("logs").create_log_group(logGroupName=LOG_GROUP)
    ct = c("cloudtrail")
    ct.create_trail(Name=name, S3BucketName=bucket(f"{name}-bucket", logging_to=f"{name}-access-logs"),
                    IsMultiRegionTrail=True, EnableLogFileValidation=True, KmsKeyId=key,
                    CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCT}:log-group:{LOG_GROUP}:*",
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCT}:role/ct")
    if data_events:
        ct.put_event_selectors(TrailName=name, EventSelectors=[{
            "ReadWriteType": data_events, "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
    ct.start_logging(Name=name)
    return name


def bad_trail(name: str = "bad", region: str = REGION) -> str:
    ct = c("cloudtrail", region)
    ct.create_trail(Name=name, S3BucketName=bucket(f"{name}-bucket"))
    ct.start_logging(Name=name)
    return name


# ---------------------------------------------------------------- CloudTrail


TRAIL_CONTROLS = ["cloudtrail.log-file-validation", "cloudtrail.kms-encryption", "cloudtrail.cloudwatch-logs-delivery",
                  "cloudtrail.bucket-access-logging"]
ACCOUNT_CONTROLS = ["cloudtrail.multi-region-enabled", "cloudtrail.s3-data-events-write",
                    "cloudtrail.s3-data-events-read"]


def test_trail_controls_fail_and_pass(aws: None) -> None:
    good_trail()
    bad_trail()
    types = {t for cid in TRAIL_CONTROLS + ACCOUNT_CONTROLS for t in get_control(cid).types}
    inv = live_inventory(types)
    for cid in TRAIL_CONTROLS:
        assert results(run_control(cid, inventory=inv)) == {"good": Result.PASS, "bad": Result.FAIL}, cid
    for cid in ACCOUNT_CONTROLS:
        assert results(run_control(cid, inventory=inv)) == {ACCT: Result.PASS}, cid


def test_account_trail_controls_fail(aws: None) -> None:
    good_trail(data_events="WriteOnly")  # write-only selector: management reads are missing too
    bad_trail()
    inv = live_inventory(["AWS::CloudTrail::Trail"])
    assert results(run_control("cloudtrail.multi-region-enabled", inventory=inv)) == {ACCT: Result.FAIL}
    assert results(run_control("cloudtrail.s3-data-events-write", inventory=inv)) == {ACCT: Result.PASS}
    assert results(run_control("cloudtrail.s3-data-events-read", inventory=inv)) == {ACCT: Result.FAIL}


def test_each_trail_read_once_in_its_home_region(aws: None) -> None:
    good_trail()
    bad_trail("regional", region=OTHER)
    counter = CallCounter()
    inv = live_inventory(["AWS::CloudTrail::Trail"], regions=(REGION, OTHER), counter=counter)
    trails = {t.name: t.region for t in inv.of_type("AWS::CloudTrail::Trail")}
    assert trails == {"good": REGION, "regional": OTHER}
    calls = counter.snapshot()
    assert calls["cloudtrail:DescribeTrails"] == 2
    assert calls["cloudtrail:GetTrailStatus"] == 2 and calls["cloudtrail:GetEventSelectors"] == 2
    good = next(t for t in inv.of_type("AWS::CloudTrail::Trail") if t.name == "good")
    assert good.get("IsLogging") is True and good.fact("home_region") == REGION
    assert good.get("EventSelectors")[0]["DataResources"][0]["Type"] == "AWS::S3::Object"


def test_denied_trail_status_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    good_trail()
    on_call(monkeypatch, "GetTrailStatus", deny=True)
    f = run_control("cloudtrail.multi-region-enabled")
    assert [x.result for x in f] == [Result.UNKNOWN] and "GetTrailStatus" in f[0].reason


def test_denied_event_selectors_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    good_trail()
    on_call(monkeypatch, "GetEventSelectors", deny=True)
    assert results(run_control("cloudtrail.s3-data-events-read")) == {ACCT: Result.UNKNOWN}


def test_denied_trail_listing_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    on_call(monkeypatch, "DescribeTrails", deny=True)
    f = run_control("cloudtrail.multi-region-enabled")
    assert {x.result for x in f} == {Result.UNKNOWN}
    assert {x.result for x in run_control("cloudtrail.log-file-validation")} == {Result.UNKNOWN}


def test_bucket_logging_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    good_trail()
    on_call(monkeypatch, "GetBucketLogging", deny=True)
    assert results(run_control("cloudtrail.bucket-access-logging")) == {"good": Result.UNKNOWN}


# ---------------------------------------------------------------- Config


def recorder(region: str, *, start: bool, global_types: bool = True) -> None:
    cfg = c("config", region)
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCT}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": global_types}})
    if start:
        bucket(f"config-{region}")
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": f"config-{region}"})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")


def test_config_recorder_fail_and_pass(aws: None) -> None:
    recorder(REGION, start=True)
    out = results(run_control("config.recorder-all-regions", regions=(REGION, OTHER, "ap-south-1")))
    assert out == {REGION: Result.PASS, OTHER: Result.FAIL, "ap-south-1": Result.FAIL}
    recorder(OTHER, start=False, global_types=False)
    out = results(run_control("config.recorder-all-regions", regions=(REGION, OTHER)))
    assert out == {REGION: Result.PASS, OTHER: Result.FAIL}


def test_config_status_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder(REGION, start=True)
    on_call(monkeypatch, "DescribeConfigurationRecorderStatus", deny=True)
    assert results(run_control("config.recorder-all-regions")) == {REGION: Result.UNKNOWN}


# ---------------------------------------------------------------- KMS


def keys() -> tuple[str, str, str]:
    kms = c("kms")
    rotated = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    plain = kms.create_key()["KeyMetadata"]["KeyId"]
    open_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}
    wide = kms.create_key(Policy=json.dumps(open_policy))["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=wide)
    kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")  # rotation does not apply
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    return rotated, plain, wide


def test_kms_rotation_fail_and_pass(aws: None) -> None:
    rotated, plain, wide = keys()
    counter = CallCounter()
    inv = live_inventory(["AWS::KMS::Key"], counter=counter)
    assert results(run_control("kms.rotation-enabled", inventory=inv)) == {
        rotated: Result.PASS, plain: Result.FAIL, wide: Result.PASS}
    calls = counter.snapshot()
    # rotation status only for the three enabled symmetric keys; no key policy unless a control reads it
    assert calls["kms:DescribeKey"] == 5 and calls["kms:GetKeyRotationStatus"] == 3
    assert "kms:GetKeyPolicy" not in calls


def test_kms_key_policy_fail_and_pass(aws: None) -> None:
    rotated, plain, wide = keys()
    out = results(run_control("kms.key-policy-wildcard-principal"))
    assert out[wide] == Result.FAIL and out[rotated] == Result.PASS and out[plain] == Result.PASS


def test_kms_denied_calls_are_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    rotated, _, _ = keys()
    on_call(monkeypatch, "GetKeyRotationStatus", deny=True)
    assert results(run_control("kms.rotation-enabled"))[rotated] == Result.UNKNOWN


def test_kms_denied_describe_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    rotated, _, _ = keys()
    on_call(monkeypatch, "DescribeKey", deny=True)
    out = results(run_control("kms.rotation-enabled"))
    assert out[rotated] == Result.UNKNOWN and set(out.values()) == {Result.UNKNOWN}


def test_kms_denied_describe_key_policy_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key whose DescribeKey is denied may be customer-managed and open: its policy control says
    UNKNOWN (an absent KeyPolicy would read as "no policy declared" and pass)."""
    _, _, wide = keys()
    on_call(monkeypatch, "DescribeKey", deny=True)
    out = results(run_control("kms.key-policy-wildcard-principal"))
    assert out[wide] == Result.UNKNOWN and set(out.values()) == {Result.UNKNOWN}


# ---------------------------------------------------------------- monitoring chain


ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'


def monitoring(*, with_alarm: bool = True, subscribed: bool = True) -> None:
    good_trail()
    c("logs").put_metric_filter(logGroupName=LOG_GROUP, filterName="root", filterPattern=ROOT, metricTransformations=[
        {"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1"}])
    topic = c("sns").create_topic(Name="alerts")["TopicArn"]
    if subscribed:
        q = c("sqs").create_queue(QueueName="inbox")["QueueUrl"]
        arn = c("sqs").get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        c("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    if with_alarm:
        c("cloudwatch").put_metric_alarm(
            AlarmName="root", MetricName="RootUsage", Namespace="CIS", Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic])


def test_monitoring_chain_pass_and_fail(aws: None) -> None:
    monitoring()
    assert results(run_control("cloudwatch.alarm-root-usage")) == {ACCT: Result.PASS}
    f = run_control("cloudwatch.alarm-unauthorized-api-calls")
    assert [x.result for x in f] == [Result.FAIL] and f[0].evidence["missing"] == "metric filter"


def test_monitoring_chain_missing_alarm(aws: None) -> None:
    monitoring(with_alarm=False)
    f = run_control("cloudwatch.alarm-root-usage")
    assert [x.result for x in f] == [Result.FAIL] and f[0].evidence["missing"] == "alarm"


def test_monitoring_chain_pending_subscription_is_no_subscriber(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monitoring()

    def pending(resp: dict[str, Any]) -> None:
        for s in resp.get("Subscriptions", []):
            s["SubscriptionArn"] = "PendingConfirmation"

    on_call(monkeypatch, "ListSubscriptions", edit=pending)
    f = run_control("cloudwatch.alarm-root-usage")
    assert [x.result for x in f] == [Result.FAIL] and f[0].evidence["missing"] == "subscriber"


def test_monitoring_chain_denied_filters_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monitoring()
    on_call(monkeypatch, "DescribeMetricFilters", deny=True)
    assert results(run_control("cloudwatch.alarm-root-usage")) == {ACCT: Result.UNKNOWN}


def test_monitoring_chain_api_budget(aws: None) -> None:
    monitoring()
    for i in range(5):
        c("sns").create_topic(Name=f"t{i}")
    counter = CallCounter()
    live_inventory(get_control("cloudwatch.alarm-root-usage").types, regions=(REGION, OTHER), counter=counter)
    calls = counter.snapshot()
    # topics are not listed (only subscriptions are needed), one listing per region per service
    assert "sns:ListTopics" not in calls and "sns:GetTopicAttributes" not in calls
    assert calls["sns:ListSubscriptions"] == 2 and calls["cloudwatch:DescribeAlarms"] == 2
    assert calls["cloudwatch-logs:DescribeMetricFilters"] == 2 and calls["cloudtrail:DescribeTrails"] == 2
    assert sum(calls.values()) <= 1 + 8 + 2  # identity + 4 listings x 2 regions + status/selectors of one trail


# ---------------------------------------------------------------- Security Hub, GuardDuty


def test_securityhub_fail_and_pass(aws: None) -> None:
    c("securityhub").enable_security_hub(EnableDefaultStandards=False)
    assert results(run_control("securityhub.enabled-all-regions", regions=(REGION, OTHER))) == {
        REGION: Result.PASS, OTHER: Result.FAIL}


def test_securityhub_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    on_call(monkeypatch, "DescribeHub", deny=True)
    assert set(results(run_control("securityhub.enabled-all-regions")).values()) == {Result.UNKNOWN}


def test_guardduty_fail_and_pass(aws: None) -> None:
    c("guardduty").create_detector(Enable=True)
    c("guardduty", OTHER).create_detector(Enable=False)
    assert results(run_control("guardduty.enabled-all-regions", regions=(REGION, OTHER, "ap-south-1"))) == {
        REGION: Result.PASS, OTHER: Result.FAIL, "ap-south-1": Result.FAIL}


def test_guardduty_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    c("guardduty").create_detector(Enable=True)
    on_call(monkeypatch, "GetDetector", deny=True)
    assert results(run_control("guardduty.enabled-all-regions")) == {REGION: Result.UNKNOWN}


# ---------------------------------------------------------------- SNS, SQS


def test_sns_topic_encryption(aws: None) -> None:
    c("sns").create_topic(Name="plain")
    c("sns").create_topic(Name="enc", Attributes={"KmsMasterKeyId": "alias/aws/sns"})
    assert results(run_control("sns.topic-encrypted")) == {"plain": Result.FAIL, "enc": Result.PASS}


def test_sns_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    c("sns").create_topic(Name="enc", Attributes={"KmsMasterKeyId": "alias/aws/sns"})
    on_call(monkeypatch, "GetTopicAttributes", deny=True)
    assert results(run_control("sns.topic-encrypted")) == {"enc": Result.UNKNOWN}


def test_sqs_queue_encryption(aws: None) -> None:
    sqs = c("sqs")
    sqs.create_queue(QueueName="plain", Attributes={"SqsManagedSseEnabled": "false"})
    sqs.create_queue(QueueName="ssesqs")
    sqs.create_queue(QueueName="kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    counter = CallCounter()
    inv = live_inventory(["AWS::SQS::Queue"], counter=counter)
    assert results(run_control("sqs.queue-encrypted", inventory=inv)) == {
        "plain": Result.FAIL, "ssesqs": Result.FAIL, "kms": Result.PASS}
    assert counter.snapshot()["sqs:GetQueueAttributes"] == 3


def test_sqs_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    c("sqs").create_queue(QueueName="kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    on_call(monkeypatch, "GetQueueAttributes", deny=True)
    assert results(run_control("sqs.queue-encrypted")) == {"kms": Result.UNKNOWN}


def test_api_budget_for_every_logging_type(aws: None) -> None:
    """One listing per region per service, per-resource calls only where the API has no batch read."""
    good_trail()
    recorder(REGION, start=True)
    c("securityhub").enable_security_hub(EnableDefaultStandards=False)
    c("guardduty").create_detector(Enable=True)
    for i in range(3):
        c("sns").create_topic(Name=f"t{i}")
        c("sqs").create_queue(QueueName=f"q{i}")
    c("kms").create_key()
    types = ["AWS::CloudTrail::Trail", "AWS::Config::ConfigurationRecorder", "AWS::KMS::Key",
             "AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "AWS::SNS::Subscription",
             "AWS::SQS::Queue", "AWS::SecurityHub::Hub", "AWS::GuardDuty::Detector"]
    counter = CallCounter()
    inv = live_inventory(types, regions=(REGION, OTHER), counter=counter)
    assert not inv.gaps, inv.gaps
    calls = counter.snapshot()
    calls.pop("sts:GetCallerIdentity", None)
    assert calls == {
        "cloudtrail:DescribeTrails": 2, "cloudtrail:GetTrailStatus": 1, "cloudtrail:GetEventSelectors": 1,
        "config-service:DescribeConfigurationRecorders": 2, "config-service:DescribeConfigurationRecorderStatus": 1,
        "kms:ListKeys": 2, "kms:DescribeKey": 1, "kms:GetKeyRotationStatus": 1,
        "cloudwatch-logs:DescribeMetricFilters": 2, "cloudwatch:DescribeAlarms": 2,
        "sns:ListTopics": 2, "sns:GetTopicAttributes": 3, "sns:ListSubscriptions": 2,
        "sqs:ListQueues": 2, "sqs:GetQueueAttributes": 3,
        "securityhub:DescribeHub": 2, "guardduty:ListDetectors": 2, "guardduty:GetDetector": 1,
    }, calls
