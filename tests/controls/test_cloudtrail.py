"""CloudTrail controls on hand-built trails (live and template shapes)."""

from __future__ import annotations

from railguard.model import Gap, Result, Unknown
from tests.controls.logging_fixtures import (
    ACCT,
    HOME,
    IAC,
    LOG_GROUP_ARN,
    account,
    live,
    one,
    results,
    run,
    tpl,
    trail,
)

TRAIL = "AWS::CloudTrail::Trail"


# ---------------------------------------------------------------- multi-region


def test_multi_region_passes_with_one_good_trail() -> None:
    f = one("cloudtrail.multi-region-enabled", account(), trail("regional", IsMultiRegionTrail=False), trail("org"))
    assert f.result == Result.PASS and f.evidence["trail"] == "org"


def test_multi_region_fails_and_names_each_trails_problem() -> None:
    f = one("cloudtrail.multi-region-enabled", account(),
            trail("regional", IsMultiRegionTrail=False),
            trail("stopped", IsLogging=False),
            trail("writes", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]),
            trail("nomgmt", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False}]))
    assert f.result == Result.FAIL
    t = f.evidence["trails"]
    assert t["regional"] == ["not multi-region"] and t["stopped"] == ["not logging"]
    assert t["writes"] == ["does not record all read management events"]
    assert t["nomgmt"] == ["does not record all read and write management events"]


def test_multi_region_no_trail_at_all() -> None:
    f = one("cloudtrail.multi-region-enabled", account())
    assert (f.result, f.reason) == (Result.FAIL, "the account has no CloudTrail trail")


def test_multi_region_gap_turns_absence_into_unknown() -> None:
    gap = Gap(TRAIL, ACCT, "eu-west-1", "access denied (AccessDenied) on cloudtrail:DescribeTrails")
    out = results(run("cloudtrail.multi-region-enabled", account(), gaps=(gap,)))
    assert out[ACCT][0] == Result.UNKNOWN and "AccessDenied" in out[ACCT][1]


def test_multi_region_unknown_status_is_unknown_not_fail() -> None:
    f = one("cloudtrail.multi-region-enabled", account(), trail("t", IsLogging=Unknown("denied")))
    assert f.result == Result.UNKNOWN and "denied" in f.reason


def test_multi_region_advanced_selectors() -> None:
    mgmt = [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
    assert one("cloudtrail.multi-region-enabled", account(), trail(AdvancedEventSelectors=mgmt)).result == Result.PASS
    read_only = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                     {"Field": "readOnly", "Equals": ["true"]}]}]
    assert one("cloudtrail.multi-region-enabled", account(), trail(AdvancedEventSelectors=read_only)).result == Result.FAIL
    narrowed = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                    {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}]
    assert one("cloudtrail.multi-region-enabled", account(), trail(AdvancedEventSelectors=narrowed)).result == Result.FAIL


def test_multi_region_on_templates_checks_each_trail() -> None:
    good = tpl(TRAIL, "Good", {"IsMultiRegionTrail": True, "IsLogging": True, "S3BucketName": "b"})
    bad = tpl(TRAIL, "Bad", {"IsMultiRegionTrail": False, "IsLogging": True, "S3BucketName": "b"})
    tf_default = tpl(TRAIL, "TfDefault", {"IsMultiRegionTrail": True, "S3BucketName": "b"})  # enable_logging default
    out = results(run("cloudtrail.multi-region-enabled", good, bad, tf_default, place=IAC))
    assert out["Good"][0] == Result.PASS and out["TfDefault"][0] == Result.PASS
    assert out["Bad"] == (Result.FAIL, "trail not multi-region")
    unresolved = tpl(TRAIL, "U", {"IsMultiRegionTrail": Unknown("unresolved parameter"), "IsLogging": True})
    assert results(run("cloudtrail.multi-region-enabled", unresolved, place=IAC))["U"][0] == Result.UNKNOWN


# ---------------------------------------------------------------- per-trail properties


def test_log_file_validation() -> None:
    out = results(run("cloudtrail.log-file-validation", trail("on", EnableLogFileValidation=True), trail("off"),
                      trail("u", EnableLogFileValidation=Unknown("x"))))
    assert out["on"][0] == Result.PASS and out["off"][0] == Result.FAIL and out["u"][0] == Result.UNKNOWN
    tout = results(run("cloudtrail.log-file-validation", tpl(TRAIL, "T", {"EnableLogFileValidation": "true"}),
                       tpl(TRAIL, "F", {}), place=IAC))
    assert tout == {"T": (Result.PASS, "log file validation is enabled"),
                    "F": (Result.FAIL, "log file validation is disabled")}


def test_kms_encryption() -> None:
    out = results(run("cloudtrail.kms-encryption", trail("enc", KMSKeyId="arn:aws:kms:us-east-1:1:key/k"),
                      trail("plain"), trail("u", KMSKeyId=Unknown("unresolved"))))
    assert out["enc"][0] == Result.PASS and out["plain"][0] == Result.FAIL and out["u"][0] == Result.UNKNOWN
    tout = results(run("cloudtrail.kms-encryption", tpl(TRAIL, "T", {"KMSKeyId": "Key"}), place=IAC))
    assert tout["T"][0] == Result.PASS


def test_cloudwatch_logs_delivery() -> None:
    out = results(run("cloudtrail.cloudwatch-logs-delivery", trail("cw", CloudWatchLogsLogGroupArn=LOG_GROUP_ARN),
                      trail("none"), trail("u", CloudWatchLogsLogGroupArn=Unknown("x"))))
    assert out["cw"][0] == Result.PASS and out["none"][0] == Result.FAIL and out["u"][0] == Result.UNKNOWN


def bucket(name: str, **props: object) -> object:
    return live("AWS::S3::Bucket", name, {"BucketName": name, **props}, name=name, arn=f"arn:aws:s3:::{name}")


def test_bucket_access_logging() -> None:
    t_good, t_bad = trail("good", S3BucketName="logged"), trail("bad", S3BucketName="unlogged")
    t_other = trail("elsewhere", S3BucketName="in-another-account")
    t_unknown = trail("denied", S3BucketName="denied-bucket")
    out = results(run(
        "cloudtrail.bucket-access-logging", t_good, t_bad, t_other, t_unknown,
        bucket("logged", LoggingConfiguration={"DestinationBucketName": "logs"}),  # type: ignore[arg-type]
        bucket("unlogged"),  # type: ignore[arg-type]
        bucket("denied-bucket", LoggingConfiguration=Unknown("access denied on s3:GetBucketLogging")),  # type: ignore[arg-type]
    ))
    assert out["good"][0] == Result.PASS
    assert out["bad"] == (Result.FAIL, "bucket unlogged has no server access logging")
    assert out["elsewhere"][0] == Result.UNKNOWN and "another account" in out["elsewhere"][1]
    assert out["denied"][0] == Result.UNKNOWN and "GetBucketLogging" in out["denied"][1]


def test_bucket_access_logging_on_templates() -> None:
    tr = tpl(TRAIL, "Trail", {"S3BucketName": "TrailBucket"})
    b = tpl("AWS::S3::Bucket", "TrailBucket", {"LoggingConfiguration": {"DestinationBucketName": "LogBucket"}})
    assert results(run("cloudtrail.bucket-access-logging", tr, b, place=IAC))["Trail"][0] == Result.PASS
    b2 = tpl("AWS::S3::Bucket", "TrailBucket", {})
    assert results(run("cloudtrail.bucket-access-logging", tr, b2, place=IAC))["Trail"][0] == Result.FAIL
    external = tpl(TRAIL, "Ext", {"S3BucketName": "central-logs"})
    assert results(run("cloudtrail.bucket-access-logging", external, place=IAC))["Ext"][0] == Result.UNKNOWN


# ---------------------------------------------------------------- S3 data events


S3_ALL = {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}


def test_s3_data_events_classic_selectors() -> None:
    rw = trail(EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [S3_ALL]}])
    for cid in ("cloudtrail.s3-data-events-write", "cloudtrail.s3-data-events-read"):
        assert one(cid, account(), rw).result == Result.PASS
    wo = trail(EventSelectors=[{"ReadWriteType": "WriteOnly", "DataResources": [S3_ALL]}])
    assert one("cloudtrail.s3-data-events-write", account(), wo).result == Result.PASS
    f = one("cloudtrail.s3-data-events-read", account(), wo)
    assert f.result == Result.FAIL and f.evidence["trails"] == {"main": "no S3 object-level read events for all buckets"}
    some = trail(EventSelectors=[{"ReadWriteType": "All", "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::one-bucket/"]}]}])
    assert one("cloudtrail.s3-data-events-write", account(), some).result == Result.FAIL


def test_s3_data_events_advanced_selectors() -> None:
    adv = [{"Name": "s3", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                                            {"Field": "readOnly", "Equals": ["true"]}]}]
    assert one("cloudtrail.s3-data-events-read", account(), trail(AdvancedEventSelectors=adv)).result == Result.PASS
    assert one("cloudtrail.s3-data-events-write", account(), trail(AdvancedEventSelectors=adv)).result == Result.FAIL
    narrowed = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::one/"]}]}]
    assert one("cloudtrail.s3-data-events-read", account(), trail(AdvancedEventSelectors=narrowed)).result == Result.FAIL


def test_s3_data_events_needs_a_logging_multi_region_trail() -> None:
    sel = [{"ReadWriteType": "All", "DataResources": [S3_ALL]}]
    f = one("cloudtrail.s3-data-events-write", account(), trail(EventSelectors=sel, IsLogging=False))
    assert f.result == Result.FAIL and "not logging" in f.evidence["trails"]["main"]
    f = one("cloudtrail.s3-data-events-write", account(), trail(EventSelectors=sel, IsMultiRegionTrail=False))
    assert f.result == Result.FAIL and "single-region" in f.evidence["trails"]["main"]


def test_s3_data_events_unknown_selectors() -> None:
    u = Unknown("access denied (AccessDenied) on cloudtrail:GetEventSelectors")
    f = one("cloudtrail.s3-data-events-read", account(), trail(EventSelectors=u, AdvancedEventSelectors=u))
    assert f.result == Result.UNKNOWN and "GetEventSelectors" in f.reason


def test_trail_in_other_region_counts_for_the_account() -> None:
    t = trail("far", region_="ap-south-1", EventSelectors=[{"ReadWriteType": "All", "DataResources": [S3_ALL]}])
    assert one("cloudtrail.s3-data-events-read", account(), t).result == Result.PASS
    assert HOME != "ap-south-1"
