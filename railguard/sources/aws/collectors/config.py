"""AWS Config configuration recorders: `AWS::Config::ConfigurationRecorder`, per region.

Calls per region: one `DescribeConfigurationRecorders`, and one
`DescribeConfigurationRecorderStatus` only when the region has a recorder.

Properties (CloudFormation shape): Name, RoleARN, RecordingGroup {AllSupported,
IncludeGlobalResourceTypes, ResourceTypes, ExclusionByResourceTypes, RecordingStrategy},
RecordingMode. The API's camelCase keys are turned into CloudFormation's PascalCase.

Live facts: recording (bool; `Unknown` when the status call is denied), last_status
(SUCCESS / FAILURE / PENDING or None), last_error_code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

RECORDER = "AWS::Config::ConfigurationRecorder"


def pascal(value: Any) -> Any:
    """camelCase keys (the Config API) to PascalCase (CloudFormation), recursively."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return value


@collector(
    "config",
    yields=[RECORDER],
    scope=REGIONAL,
    calls=["config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"],
)
def collect_recorders(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("config")
    recorders = client.describe_configuration_recorders().get("ConfigurationRecorders", [])
    if not recorders:
        return
    statuses: dict[str, dict[str, Any]] = {}
    status_error: Any = None
    try:
        for s in client.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", []):
            statuses[s.get("name", "")] = s
    except Exception as exc:
        status_error = ctx.unknown(exc, "config:DescribeConfigurationRecorderStatus")
    for rec in recorders:
        name = rec.get("name", "default")
        props: dict[str, Any] = {"Name": name}
        for key, cf in (("roleARN", "RoleARN"), ("recordingGroup", "RecordingGroup"),
                        ("recordingMode", "RecordingMode")):
            if rec.get(key) is not None:
                props[cf] = pascal(rec[key])
        status = statuses.get(name)
        if status_error is not None:
            live: dict[str, Any] = {"recording": status_error, "last_status": None}
        else:
            live = {
                "recording": bool(status and status.get("recording")),
                "last_status": (status or {}).get("lastStatus"),
                "last_error_code": (status or {}).get("lastErrorCode"),
            }
        arn = rec.get("arn")
        yield ctx.resource(RECORDER, arn or f"{ctx.region}/{name}", props, arn=arn, name=name, live=live)
