"""AWS Config: a recorder recording every supported resource type in every region."""

from __future__ import annotations

from railguard.controls import Context, control
from railguard.controls.helpers import fail_unless_gap, truthy
from railguard.model import Resource, Severity, UnknownValue, Verdict, failed, passed, unknown
from railguard.sources.aws import pseudo

RECORDER = "AWS::Config::ConfigurationRecorder"


def _records_all(rec: Resource) -> bool:
    if truthy(rec.get("RecordingGroup.AllSupported")):
        return True
    return rec.get("RecordingGroup.RecordingStrategy.UseOnly") == "ALL_SUPPORTED_RESOURCE_TYPES"


def _records_global(rec: Resource) -> bool:
    return truthy(rec.get("RecordingGroup.IncludeGlobalResourceTypes"))


@control(
    "config.recorder-all-regions",
    title="AWS Config records all supported resource types in every region (and global types in one)",
    resource=pseudo.REGION,
    reads=[RECORDER],
    severity=Severity.MEDIUM,
    fix="Put a configuration recorder with AllSupported (IncludeGlobalResourceTypes in one region) and start it",
    places=("live",),
    remediation="config.recorder-on",
)
def recorder_all_regions(region: Resource, ctx: Context) -> Verdict:
    recs = ctx.inventory.of_type(RECORDER, account=region.account, region=region.region)
    if not recs:
        return fail_unless_gap(ctx, [RECORDER], region.account, region.region,
                               "no AWS Config recorder in this region")
    problems: dict[str, list[str]] = {}
    rec: Resource | None = None
    for candidate in recs:  # a region may also hold service-linked recorders that record a few types
        issues = []
        if not _records_all(candidate):
            issues.append("does not record all supported resource types")
        if candidate.fact("recording") is not True:
            issues.append(f"is not recording (last status {candidate.fact('last_status') or 'none'})")
        if not issues:
            rec = candidate
            break
        problems[candidate.display_name] = issues
    if rec is None:
        name, issues = next(iter(problems.items()))
        return failed(f"recorder {name} " + " and ".join(issues), recorders=problems)
    # IAM and other global types need recording in one region of the account
    unknowns = []
    for other in ctx.inventory.of_type(RECORDER, account=region.account):
        try:
            if _records_all(other) and _records_global(other) and other.fact("recording") is True:
                return passed(f"recorder {rec.display_name} records all supported types; global types are "
                              f"recorded in {other.region}", recorder=rec.display_name, global_in=other.region)
        except UnknownValue as exc:
            unknowns.append(f"{other.region}: {exc}")
    if unknowns:
        return unknown("global resource types are not known to be recorded in any region: " + "; ".join(unknowns))
    return fail_unless_gap(ctx, [RECORDER], region.account, None,
                           "no region of the account records global resource types (IAM)",
                           recorder=rec.display_name)
