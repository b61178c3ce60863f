"""CloudTrail: trails everywhere, validated, encrypted, delivered to CloudWatch Logs, logging S3 data.

`AWS::CloudTrail::Trail` properties follow CloudFormation (see the cloudtrail collector for
the live facts). Account-wide checks target `RailGuard::AWS::Account` and look at every
trail of the account; a trail region that could not be read turns an absence-based FAIL
into UNKNOWN (`fail_unless_gap`), since the missing trail may be the one that was not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from railguard.controls import LIVE, Context, control
from railguard.controls.helpers import as_list, fail_unless_gap, refers_to, truthy
from railguard.model import Resource, Severity, UnknownValue, Verdict, failed, passed, unknown
from railguard.sources.aws import pseudo

TRAIL = "AWS::CloudTrail::Trail"
BUCKET = "AWS::S3::Bucket"
BUCKET_LOGGING = "AWS::S3::Bucket#Logging"  # the S3 collector's facet for GetBucketLogging


def _is_logging(trail: Resource) -> Any:
    # IsLogging is required in CloudFormation and defaults to true in Terraform (enable_logging)
    return trail.get("IsLogging", None if trail.is_live else True)


# ------------------------------------------------------------------ event selectors

def _advanced_fields(selector: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(fs.get("Field")): fs for fs in as_list(selector.get("FieldSelectors")) if isinstance(fs, Mapping)}


def _read_only_scope(fields: Mapping[str, Mapping[str, Any]]) -> tuple[bool, bool]:
    """(read, write) recorded by an advanced selector, from its readOnly field."""
    ro = fields.get("readOnly")
    if ro is None:
        return True, True
    eq = [str(v).lower() for v in as_list(ro.get("Equals"))]
    if eq == ["true"]:
        return True, False
    if eq == ["false"]:
        return False, True
    return False, False  # a NotEquals/StartsWith oddity: claim nothing


def _rw(read_write_type: Any) -> tuple[bool, bool]:
    rwt = str(read_write_type or "All")
    return rwt in ("All", "ReadOnly"), rwt in ("All", "WriteOnly")


def _selectors(trail: Resource) -> tuple[list[Any], list[Any]]:
    return as_list(trail.get("EventSelectors")), as_list(trail.get("AdvancedEventSelectors"))


def management_events(trail: Resource) -> tuple[bool, bool]:
    """Does the trail record *all* management events: (read, write). Raises UnknownValue."""
    basic, advanced = _selectors(trail)
    read = write = False
    if advanced:
        for sel in advanced:
            fields = _advanced_fields(sel)
            cat = fields.get("eventCategory")
            if cat is None or [str(v) for v in as_list(cat.get("Equals"))] != ["Management"]:
                continue
            if set(fields) - {"eventCategory", "readOnly"}:
                continue  # narrowed (by event source, ...): not all management events
            r, w = _read_only_scope(fields)
            read, write = read or r, write or w
        return read, write
    if not basic:
        return True, True  # no selectors: the default records all management events
    for sel in basic:
        if sel.get("IncludeManagementEvents") is False or str(sel.get("IncludeManagementEvents")).lower() == "false":
            continue
        if as_list(sel.get("ExcludeManagementEventSources")):
            continue
        r, w = _rw(sel.get("ReadWriteType"))
        read, write = read or r, write or w
    return read, write


_ALL_BUCKETS = {"arn:aws:s3", "arn:aws:s3:::", "arn:aws-cn:s3", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3",
                "arn:aws-us-gov:s3:::"}


def s3_data_events(trail: Resource) -> tuple[bool, bool]:
    """Does the trail record S3 object-level events for all buckets: (read, write). Raises UnknownValue."""
    basic, advanced = _selectors(trail)
    read = write = False
    if advanced:
        for sel in advanced:
            fields = _advanced_fields(sel)
            cat, typ = fields.get("eventCategory"), fields.get("resources.type")
            if cat is None or typ is None:
                continue
            if [str(v) for v in as_list(cat.get("Equals"))] != ["Data"]:
                continue
            if [str(v) for v in as_list(typ.get("Equals"))] != ["AWS::S3::Object"]:
                continue
            if set(fields) - {"eventCategory", "resources.type", "readOnly"}:
                continue  # narrowed to some buckets, prefixes or event names
            r, w = _read_only_scope(fields)
            read, write = read or r, write or w
        return read, write
    for sel in basic:
        for dr in as_list(sel.get("DataResources")):
            if dr.get("Type") != "AWS::S3::Object":
                continue
            if not any(str(v).rstrip("/") in _ALL_BUCKETS for v in as_list(dr.get("Values"))):
                continue
            r, w = _rw(sel.get("ReadWriteType"))
            read, write = read or r, write or w
    return read, write


def multi_region_issues(trail: Resource) -> list[str]:
    """What keeps this trail from being 'the' CIS 3.1 trail (empty: nothing). Raises UnknownValue."""
    issues = []
    if not truthy(trail.get("IsMultiRegionTrail")):
        issues.append("not multi-region")
    if not truthy(_is_logging(trail)):
        issues.append("not logging")
    read, write = management_events(trail)
    if not (read and write):
        missing = [k for k, ok in (("read", read), ("write", write)) if not ok]
        issues.append(f"does not record all {' and '.join(missing)} management events")
    return issues


# ------------------------------------------------------------------ controls

@control(
    "cloudtrail.multi-region-enabled",
    title="CloudTrail is enabled in all regions: a multi-region trail that is logging and records all "
          "management events",
    resource=[pseudo.ACCOUNT, TRAIL],
    reads=[TRAIL],
    severity=Severity.HIGH,
    fix="Create a trail with IsMultiRegionTrail, start logging, keep the default (All) management event selector",
    places=("live", "iac"),
    remediation="cloudtrail.multi-region",
)
def multi_region_enabled(r: Resource, ctx: Context) -> Verdict | None:
    """Live, it is an account-wide question (any one trail suffices); on a template, each trail
    declared there must be such a trail."""
    if r.type == TRAIL:
        if ctx.place == LIVE:
            return None
        issues = multi_region_issues(r)
        if issues:
            return failed("trail " + ", ".join(issues), trail=r.display_name, issues=issues)
        return passed("multi-region trail recording all management events")
    problems: dict[str, Any] = {}
    unknowns: list[str] = []
    for t in ctx.inventory.of_type(TRAIL, account=r.account):
        try:
            issues = multi_region_issues(t)
        except UnknownValue as exc:
            unknowns.append(f"{t.display_name}: {exc}")
            continue
        if not issues:
            return passed(f"trail {t.display_name} is multi-region, logging and records all management events",
                          trail=t.display_name)
        problems[t.display_name] = issues
    if unknowns:
        return unknown("no trail known to qualify; some trails could not be read fully: " + "; ".join(unknowns),
                       trails=problems)
    reason = ("no multi-region trail that is logging and records all management events" if problems
              else "the account has no CloudTrail trail")
    return fail_unless_gap(ctx, [TRAIL], r.account, None, reason, trails=problems)


@control(
    "cloudtrail.log-file-validation",
    title="CloudTrail log file validation is enabled",
    resource=TRAIL,
    severity=Severity.MEDIUM,
    fix="Set EnableLogFileValidation: true on the trail",
    places=("live", "iac"),
    remediation="cloudtrail.log-validation",
)
def log_file_validation(trail: Resource) -> Verdict:
    if truthy(trail.get("EnableLogFileValidation")):
        return passed("log file validation is enabled")
    return failed("log file validation is disabled", EnableLogFileValidation=False)


@control(
    "cloudtrail.kms-encryption",
    title="CloudTrail logs are encrypted at rest with a KMS key",
    resource=TRAIL,
    severity=Severity.MEDIUM,
    fix="Set KMSKeyId on the trail to a customer-managed KMS key",
    places=("live", "iac"),
)
def kms_encryption(trail: Resource) -> Verdict:
    key = trail.get("KMSKeyId")
    if key:
        return passed("logs are encrypted with a KMS key", KMSKeyId=key)
    return failed("logs are not encrypted with a KMS key (SSE-S3 only)", KMSKeyId=None)


@control(
    "cloudtrail.cloudwatch-logs-delivery",
    title="CloudTrail trail delivers its events to CloudWatch Logs",
    resource=TRAIL,
    severity=Severity.MEDIUM,
    fix="Set CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn on the trail",
    places=("live", "iac"),
)
def cloudwatch_logs_delivery(trail: Resource) -> Verdict:
    group = trail.get("CloudWatchLogsLogGroupArn")
    if group:
        return passed("trail delivers to CloudWatch Logs", CloudWatchLogsLogGroupArn=group)
    return failed("trail does not deliver to CloudWatch Logs", CloudWatchLogsLogGroupArn=None)


@control(
    "cloudtrail.bucket-access-logging",
    title="S3 bucket access logging is enabled on the CloudTrail bucket",
    resource=TRAIL,
    reads=[BUCKET_LOGGING],
    severity=Severity.MEDIUM,
    fix="Enable server access logging (LoggingConfiguration) on the trail's S3 bucket",
    places=("live", "iac"),
)
def bucket_access_logging(trail: Resource, ctx: Context) -> Verdict:
    name = trail.get("S3BucketName")
    if not name:
        return unknown("the trail names no S3 bucket")
    found = ctx.inventory.of_type(
        BUCKET, account=trail.account if trail.is_live else None, where=lambda b: refers_to(name, b)
    )
    if not found:
        where = "in another account or not readable" if trail.is_live else "not declared in these templates"
        return unknown(f"the trail's bucket {name} is not in the inventory ({where})", bucket=name)
    bucket = found[0]
    conf = bucket.get("LoggingConfiguration")
    if not conf and conf != {}:
        return failed(f"bucket {name} has no server access logging", bucket=name)
    dest = conf.get("DestinationBucketName") if isinstance(conf, Mapping) else None
    return passed(f"bucket {name} has server access logging", bucket=name, destination=dest or name)


def _s3_data_events(account: Resource, ctx: Context, want: str) -> Verdict:
    problems: dict[str, str] = {}
    unknowns: list[str] = []
    for t in ctx.inventory.of_type(TRAIL, account=account.account):
        try:
            read, write = s3_data_events(t)
            logging = truthy(_is_logging(t))
            multi = truthy(t.get("IsMultiRegionTrail"))
        except UnknownValue as exc:
            unknowns.append(f"{t.display_name}: {exc}")
            continue
        ok = read if want == "read" else write
        if ok and logging and multi:
            return passed(f"trail {t.display_name} logs S3 object-level {want} events for all buckets",
                          trail=t.display_name)
        if not ok:
            problems[t.display_name] = f"no S3 object-level {want} events for all buckets"
        elif not logging:
            problems[t.display_name] = "logs S3 data events but is not logging"
        else:
            problems[t.display_name] = "logs S3 data events but is single-region"
    if unknowns:
        return unknown("no trail known to log S3 object-level events; some trails could not be read fully: "
                       + "; ".join(unknowns), trails=problems)
    return fail_unless_gap(
        ctx, [TRAIL], account.account, None,
        f"no logging multi-region trail records S3 object-level {want} events for all buckets", trails=problems,
    )


@control(
    "cloudtrail.s3-data-events-write",
    title="Object-level logging for write events is enabled for S3 buckets",
    resource=pseudo.ACCOUNT,
    reads=[TRAIL],
    severity=Severity.MEDIUM,
    fix="Add a data event selector for AWS::S3::Object on all buckets (arn:aws:s3), ReadWriteType All or WriteOnly",
    places=("live",),
)
def s3_data_events_write(account: Resource, ctx: Context) -> Verdict:
    return _s3_data_events(account, ctx, "write")


@control(
    "cloudtrail.s3-data-events-read",
    title="Object-level logging for read events is enabled for S3 buckets",
    resource=pseudo.ACCOUNT,
    reads=[TRAIL],
    severity=Severity.MEDIUM,
    fix="Add a data event selector for AWS::S3::Object on all buckets (arn:aws:s3), ReadWriteType All or ReadOnly",
    places=("live",),
)
def s3_data_events_read(account: Resource, ctx: Context) -> Verdict:
    return _s3_data_events(account, ctx, "read")
