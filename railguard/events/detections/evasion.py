"""Blinding the defenders: CloudTrail, Config, GuardDuty and flow logs switched off; keys destroyed."""

from __future__ import annotations

from typing import Any

from railguard.events import record as R
from railguard.events.detections.registry import RuleContext, rule
from railguard.model import Severity

CLOUDTRAIL = "cloudtrail.amazonaws.com"


def _trail(req: dict[str, Any]) -> str:
    return R.s(req.get("name")) or R.s(req.get("trailName"))


@rule("cloudtrail.logging-stopped", title="CloudTrail logging stopped", severity=Severity.CRITICAL,
      events=["StopLogging"], source=CLOUDTRAIL, technique="T1562.008", autoheal=["cloudtrail.start-logging"])
def logging_stopped(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """With logging stopped nothing after this call is recorded. Autoheal starts it again."""
    if R.succeeded(rec) and not ctx.allowed(rec):
        return f"logging stopped on trail {_trail(R.request(rec))}"
    return None


@rule("cloudtrail.trail-deleted", title="CloudTrail trail deleted", severity=Severity.CRITICAL,
      events=["DeleteTrail"], source=CLOUDTRAIL, technique="T1562.008")
def trail_deleted(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """A deleted trail cannot be started again; the audit gap starts here."""
    if R.succeeded(rec) and not ctx.allowed(rec):
        return f"trail {_trail(R.request(rec))} deleted"
    return None


@rule("cloudtrail.trail-weakened", title="CloudTrail trail weakened", severity=Severity.HIGH,
      events=["UpdateTrail", "PutEventSelectors", "PutBucketLifecycle", "CreateTrail"], technique="T1562.008",
      autoheal=["cloudtrail.multi-region", "cloudtrail.log-validation", "cloudtrail.record-management-events"])
def trail_weakened(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """Less is recorded or kept: one region only, no global events, no validation, management events
    off or reduced by event selectors, or an S3 lifecycle expiring the log bucket's objects."""
    if not R.succeeded(rec):
        return None
    req = R.request(rec)
    name = rec.get("eventName")
    log_buckets: set[str] = ctx.state.setdefault("log_buckets", set())
    if name in ("CreateTrail", "UpdateTrail") and rec.get("eventSource") == CLOUDTRAIL:
        bucket = R.s(req.get("s3BucketName"))
        if bucket:
            log_buckets.add(bucket)  # learn the log bucket from the stream too
    if ctx.allowed(rec):
        return None
    if name == "UpdateTrail" and rec.get("eventSource") == CLOUDTRAIL:
        weak = [k for k in ("isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation")
                if req.get(k) is False]
        if weak:
            return f"trail {_trail(req)} updated with {', '.join(f'{k}=false' for k in weak)}"
    elif name == "PutEventSelectors" and rec.get("eventSource") == CLOUDTRAIL:
        if not _records_all_management(req):
            return f"event selectors of trail {_trail(req)} no longer record every management event"
    elif name == "PutBucketLifecycle" and rec.get("eventSource") == "s3.amazonaws.com":
        bucket = R.s(req.get("bucketName"))
        if bucket in ctx.cfg.log_buckets or bucket in log_buckets:
            return f"lifecycle rule set on CloudTrail log bucket {bucket} (logs may expire)"
    return None


def _records_all_management(req: dict[str, Any]) -> bool:
    basic = req.get("eventSelectors")
    if isinstance(basic, list) and basic:
        return any(isinstance(s, dict) and s.get("includeManagementEvents") is not False
                   and s.get("readWriteType", "All") == "All" for s in basic)
    advanced = req.get("advancedEventSelectors")
    if isinstance(advanced, list) and advanced:
        for sel in advanced:
            fields = sel.get("fieldSelectors") if isinstance(sel, dict) else None
            if not isinstance(fields, list):
                continue
            by = {R.s(f.get("field")): f for f in fields if isinstance(f, dict)}
            cat = by.get("eventCategory", {})
            if "Management" in (cat.get("equals") or []) and "readOnly" not in by and len(by) == 1:
                return True
        return False
    return False  # no selectors at all: nothing is recorded


@rule("config.recorder-stopped", title="AWS Config recorder stopped or deleted", severity=Severity.HIGH,
      events=["StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"],
      source="config.amazonaws.com", technique="T1562.008")
def config_stopped(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """Config no longer records resource changes, so drift and history go dark (CIS 4.9)."""
    if R.succeeded(rec) and not ctx.allowed(rec):
        req = R.request(rec)
        what = R.s(req.get("configurationRecorderName")) or R.s(req.get("deliveryChannelName"))
        return f"{rec.get('eventName')} {what}".strip()
    return None


@rule("guardduty.detector-disabled", title="GuardDuty detector deleted or disabled", severity=Severity.HIGH,
      events=["DeleteDetector", "UpdateDetector"], source="guardduty.amazonaws.com", technique="T1562.001")
def guardduty_off(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """Threat detection switched off in a region."""
    if not R.succeeded(rec) or ctx.allowed(rec):
        return None
    req = R.request(rec)
    if rec.get("eventName") == "DeleteDetector" or req.get("enable") is False:
        verb = "deleted" if rec.get("eventName") == "DeleteDetector" else "disabled"
        return f"GuardDuty detector {R.s(req.get('detectorId'))} {verb} in {R.s(rec.get('awsRegion'))}"
    return None


def flow_log_ids(req: dict[str, Any]) -> list[str]:
    """EC2 writes `DeleteFlowLogsRequest.FlowLogId` as {"tag", "content"} items; the SDK shape is a list."""
    inner = R.d(req.get("DeleteFlowLogsRequest")) or req
    raw = inner.get("FlowLogId", inner.get("flowLogIds", inner.get("FlowLogIds")))
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("content")
        if isinstance(item, str) and item:
            out.append(item)
    return out


@rule("ec2.flow-logs-deleted", title="VPC flow logs deleted", severity=Severity.MEDIUM, events=["DeleteFlowLogs"],
      source="ec2.amazonaws.com", technique="T1562.008")
def flow_logs_deleted(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """Network traffic of the VPC is no longer recorded."""
    if R.succeeded(rec) and not ctx.allowed(rec):
        ids = flow_log_ids(R.request(rec))
        return f"flow logs deleted: {', '.join(ids) or '(ids not recorded)'}"
    return None


@rule("kms.key-disabled-or-deleted", title="KMS key disabled or scheduled for deletion", severity=Severity.HIGH,
      events=["DisableKey", "ScheduleKeyDeletion"], source="kms.amazonaws.com", technique="T1485")
def kms_key_gone(rec: dict[str, Any], ctx: RuleContext) -> str | None:
    """Data encrypted under the key becomes unreadable: sabotage or ransom (CIS 4.7)."""
    if R.succeeded(rec) and not ctx.allowed(rec):
        req = R.request(rec)
        verb = "disabled" if rec.get("eventName") == "DisableKey" else (
            f"scheduled for deletion in {req.get('pendingWindowInDays', 30)} days")
        return f"KMS key {R.s(req.get('keyId'))} {verb}"
    return None
