"""AWS Config: turn the region's configuration recorder on, recording every supported type.

It does not create a recorder: that needs a service role and a delivery channel with a bucket,
which are the account owner's choices. A region without a recorder is refused with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from railguard.remediation.action import Action, ActionError, Change, Params, Risk, Target, action
from railguard.sources.aws import pseudo

RECORDER = "AWS::Config::ConfigurationRecorder"


class RecorderParams(Params):
    all_supported: bool = Field(default=True, description="record every supported resource type")
    include_global: bool | None = Field(default=None, description="record IAM and other global types here "
                                                                  "(default: keep the recorder's setting)")


def _region(target: Target) -> str:
    r = target.resource
    if r.type == pseudo.REGION:
        return str(r.properties.get("RegionName") or r.region)
    return str(r.region or target.region)


@action(
    "config.recorder-on",
    title="Start the region's AWS Config recorder, recording all supported resource types",
    resource_types=[pseudo.REGION, RECORDER],
    calls=["config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus",
           "config:PutConfigurationRecorder", "config:StartConfigurationRecorder", "config:StopConfigurationRecorder"],
    permissions=["config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus",
                 "config:PutConfigurationRecorder", "config:StartConfigurationRecorder",
                 "config:StopConfigurationRecorder", "iam:PassRole"],
    risk=Risk(costs_money=True, note="AWS Config bills each configuration item recorded"),
    fixes=["config.recorder-all-regions"],
)
class RecorderOn(Action):
    """Widens the recording group to all supported types when asked and starts the recorder.
    Undo puts back the prior recording group and stops the recorder if it was stopped."""

    params_model = RecorderParams

    def _client(self, target: Target) -> Any:
        return target.session.client("config", _region(target))

    def _read(self, target: Target) -> dict[str, Any]:
        c = self._client(target)
        recorders = c.describe_configuration_recorders().get("ConfigurationRecorders", [])
        wanted = target.resource.name if target.resource.type == RECORDER else None
        recorders = [r for r in recorders if not wanted or r.get("name") == wanted]
        if not recorders:
            raise ActionError(f"no AWS Config recorder in {_region(target)}: create one (with its role and "
                              "delivery channel) first; this action only turns an existing one on")
        rec = recorders[0]
        status = c.describe_configuration_recorder_status(ConfigurationRecorderNames=[rec["name"]])
        recording = bool((status.get("ConfigurationRecordersStatus") or [{}])[0].get("recording"))
        return {"ConfigurationRecorder": rec, "recording": recording}

    def build(self, target: Target, params: Any) -> Change:
        prior = self._read(target)
        rec = prior["ConfigurationRecorder"]
        group = dict(rec.get("recordingGroup") or {})
        new_group = dict(group)
        if params.all_supported and not (group.get("allSupported") and not group.get("resourceTypes")):
            new_group.update({"allSupported": True, "resourceTypes": []})
            new_group.pop("exclusionByResourceTypes", None)
            new_group.pop("recordingStrategy", None)
        if params.include_global is not None and bool(group.get("includeGlobalResourceTypes")) != params.include_global:
            new_group["includeGlobalResourceTypes"] = params.include_global
        put = new_group != group
        calls = (["config:PutConfigurationRecorder"] if put else []) + (
            [] if prior["recording"] else ["config:StartConfigurationRecorder"])
        record = {**prior, "new_group": new_group if put else None}
        if not calls:
            return self.change(target, params, f"recorder {rec['name']} already records as asked", prior=record,
                               noop=True)
        what = " and ".join(x for x, on in (("record all supported types", put),
                                            ("start it", not prior["recording"])) if on)
        return self.change(target, params, f"recorder {rec['name']} in {_region(target)}: {what}", prior=record,
                           calls=calls)

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        c = self._client(target)
        rec = change.prior["ConfigurationRecorder"]
        if change.prior["new_group"] is not None:
            c.put_configuration_recorder(ConfigurationRecorder={**_putable(rec), "recordingGroup":
                                                                change.prior["new_group"]})
        if not change.prior["recording"]:
            c.start_configuration_recorder(ConfigurationRecorderName=rec["name"])
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        c = self._client(target)
        rec = change.prior["ConfigurationRecorder"]
        if not change.prior["recording"]:
            c.stop_configuration_recorder(ConfigurationRecorderName=rec["name"])
        if change.prior["new_group"] is not None:
            c.put_configuration_recorder(ConfigurationRecorder=_putable(rec))

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return self._read(target)


def _putable(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A described recorder as PutConfigurationRecorder takes it (without the read-only arn)."""
    return {k: v for k, v in rec.items() if k in ("name", "roleARN", "recordingGroup", "recordingMode")}
