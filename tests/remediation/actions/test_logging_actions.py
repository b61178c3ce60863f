"""KMS rotation, CloudTrail (start logging, multi-region, log validation) and AWS Config
recorder actions under moto: dry-run, apply to PASS, verify re-read, undo to FAIL, noop, params."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from railguard.remediation.action import ActionError, ParamsError
from railguard.remediation.actions import get
from railguard.remediation.actions.cloudtrail import TRAIL
from railguard.remediation.actions.kms import KEY
from railguard.sources.aws import pseudo
from railguard.sources.aws.session import AccountSession
from tests.remediation.actions.support import REGION, cycle, journalled, plan, session


@pytest.fixture
def sess(aws: None) -> AccountSession:
    return session()


# ---------------------------------------------------------------- KMS


def test_kms_enable_rotation(sess: AccountSession) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="data")["KeyMetadata"]["KeyId"]
    cycle(sess, "kms.enable-rotation", "kms.rotation-enabled", KEY, key,
          lambda: kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"])
    with pytest.raises(ParamsError, match="rotation_period_days"):
        get("kms.enable-rotation").validate({"rotation_period_days": 10})


# ---------------------------------------------------------------- CloudTrail


def new_trail(name: str = "main", **kw: Any) -> str:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=f"{name}-trail-logs")
    ct = boto3.client("cloudtrail", region_name=REGION)
    return str(ct.create_trail(Name=name, S3BucketName=f"{name}-trail-logs", **kw)["TrailARN"])


def trail_state(arn: str) -> tuple[Any, ...]:
    ct = boto3.client("cloudtrail", region_name=REGION)
    t = ct.describe_trails(trailNameList=[arn])["trailList"][0]
    return (t.get("IsMultiRegionTrail"), t.get("IncludeGlobalServiceEvents"), t.get("LogFileValidationEnabled"),
            ct.get_trail_status(Name=arn)["IsLogging"])


def test_cloudtrail_log_validation(sess: AccountSession) -> None:
    arn = new_trail()
    cycle(sess, "cloudtrail.log-validation", "cloudtrail.log-file-validation", TRAIL, arn, lambda: trail_state(arn))


def test_cloudtrail_start_logging(sess: AccountSession) -> None:
    arn = new_trail(IsMultiRegionTrail=True)
    cycle(sess, "cloudtrail.start-logging", "cloudtrail.multi-region-enabled", TRAIL, arn, lambda: trail_state(arn),
          control_type=pseudo.ACCOUNT, control_id_of=sess.account)


def test_cloudtrail_multi_region_from_the_account_finding(sess: AccountSession) -> None:
    """The control is account-wide: the action takes the account and picks the region's one trail."""
    arn = new_trail(IsMultiRegionTrail=False, IncludeGlobalServiceEvents=False)
    cycle(sess, "cloudtrail.multi-region", "cloudtrail.multi-region-enabled", pseudo.ACCOUNT, sess.account,
          lambda: trail_state(arn))
    new_trail("second")
    with pytest.raises(ActionError, match="2 trails"):
        plan(sess, "cloudtrail.multi-region", pseudo.ACCOUNT, sess.account)
    _, named = plan(sess, "cloudtrail.multi-region", pseudo.ACCOUNT, sess.account, {"trail": "second"})
    assert named.prior["TrailARN"].endswith(":trail/second") and not named.noop
    with pytest.raises(ParamsError, match="start_logging"):
        get("cloudtrail.multi-region").validate({"start_logging": "later"})


def test_cloudtrail_record_management_events_apply_and_undo(sess: AccountSession) -> None:
    """Selectors that stopped recording management events: dry-run plan changes nothing, apply puts
    management events back (data selectors kept), undo from the journalled change restores them;
    a trail that already records them is a noop."""
    arn = new_trail()
    ct = boto3.client("cloudtrail", region_name=REGION)
    weak = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
             "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data/"]}]}]
    ct.put_event_selectors(TrailName=arn, EventSelectors=weak)

    def selectors() -> list[dict[str, Any]]:
        return list(ct.get_event_selectors(TrailName=arn)["EventSelectors"])

    t, change = plan(sess, "cloudtrail.record-management-events", TRAIL, arn)
    assert not change.noop and selectors()[0]["IncludeManagementEvents"] is False  # planning changed nothing
    spec = get("cloudtrail.record-management-events")
    applied = spec.apply(t, change)
    (sel,) = selectors()
    assert sel["IncludeManagementEvents"] is True and sel["ReadWriteType"] == "All"
    assert sel["DataResources"] == weak[0]["DataResources"]
    assert plan(sess, "cloudtrail.record-management-events", TRAIL, arn)[1].noop
    spec.undo(t, journalled(change), applied)
    (back,) = selectors()
    assert back["IncludeManagementEvents"] is False and back["ReadWriteType"] == "WriteOnly"


# ---------------------------------------------------------------- AWS Config


def test_config_recorder_on(sess: AccountSession) -> None:
    cfg = boto3.client("config", region_name=REGION)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="config-delivery")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
        "recordingGroup": {"allSupported": False, "includeGlobalResourceTypes": False,
                           "resourceTypes": ["AWS::EC2::Instance"]}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-delivery"})

    def read() -> Any:
        rec = cfg.describe_configuration_recorders()["ConfigurationRecorders"][0]
        status = cfg.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]
        return rec, status["recording"]

    region_id = f"{sess.account}/{REGION}"
    cycle(sess, "config.recorder-on", "config.recorder-all-regions", pseudo.REGION, region_id, read,
          {"include_global": True})


def test_config_without_a_recorder_is_refused(sess: AccountSession) -> None:
    with pytest.raises(ActionError, match="no AWS Config recorder"):
        plan(sess, "config.recorder-on", pseudo.REGION, f"{sess.account}/{REGION}")
    with pytest.raises(ParamsError, match="include_global"):
        get("config.recorder-on").validate({"include_global": "yes please"})
