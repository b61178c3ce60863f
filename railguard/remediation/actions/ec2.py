"""EC2: EBS encryption by default (per region) and IMDSv2 required on an instance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from railguard.model import Resource
from railguard.remediation.action import Action, Change, Params, Risk, Target, action
from railguard.sources.aws import pseudo

EBS_DEFAULT = pseudo.EBS_DEFAULT_ENCRYPTION
INSTANCE = "AWS::EC2::Instance"


def _region_of(target: Target) -> str:
    """The region of a per-region setting: its resource's region (its id is `<account>/<region>`)."""
    r = target.resource
    return str(r.region if r.region and r.region != "global" else r.id.rsplit("/", 1)[-1])


@action(
    "ec2.ebs-default-encryption",
    title="Turn on EBS encryption by default in a region",
    resource_types=EBS_DEFAULT,
    calls=["ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault", "ec2:DisableEbsEncryptionByDefault"],
    risk=Risk(note="only new volumes are encrypted; an instance type without encryption support fails to launch"),
    fixes=["ec2.ebs-default-encryption"],
)
class EbsDefaultEncryption(Action):
    """EnableEbsEncryptionByDefault in the setting's region; undo disables it again. The plan
    reads the scanned setting (no call)."""

    def build(self, target: Target, params: Any) -> Change:
        prior = self.state(target.resource)
        if prior["EbsEncryptionByDefault"]:
            return self.change(target, params, "EBS encryption by default is already on", prior=prior, noop=True)
        return self.change(target, params, f"enable EBS encryption by default in {_region_of(target)}", prior=prior,
                           calls=("ec2:EnableEbsEncryptionByDefault",))

    def _ec2(self, target: Target) -> Any:
        return target.session.client("ec2", _region_of(target))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        self._ec2(target).enable_ebs_encryption_by_default()
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        if not change.prior["EbsEncryptionByDefault"]:
            self._ec2(target).disable_ebs_encryption_by_default()

    def state(self, resource: Resource) -> Mapping[str, Any]:
        return {"EbsEncryptionByDefault": bool(resource.properties.get("EbsEncryptionByDefault"))}

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"EbsEncryptionByDefault": bool(
            self._ec2(target).get_ebs_encryption_by_default()["EbsEncryptionByDefault"])}


class ImdsParams(Params):
    hop_limit: int | None = Field(default=None, ge=1, le=64,
                                  description="HttpPutResponseHopLimit (2 for containers on the host); default kept")


@action(
    "ec2.require-imdsv2",
    title="Require IMDSv2 (session tokens) on an instance's metadata service",
    resource_types=INSTANCE,
    calls=["ec2:ModifyInstanceMetadataOptions", "ec2:DescribeInstances"],
    risk=Risk(breaks_traffic=True, note="software on the instance still using IMDSv1 loses its credentials"),
    fixes=["ec2.imdsv2-required"],
)
class RequireImdsv2(Action):
    """ModifyInstanceMetadataOptions HttpTokens=required (endpoint left as it is); undo puts back
    the prior HttpTokens and hop limit. The plan reads the scanned instance (no call)."""

    params_model = ImdsParams

    def build(self, target: Target, params: Any) -> Change:
        prior = self.state(target.resource)
        opts = prior["MetadataOptions"]
        if opts.get("HttpTokens") == "required" or opts.get("HttpEndpoint") == "disabled":
            return self.change(target, params, "IMDSv2 is already required", prior=prior, noop=True)
        return self.change(target, params, f"require IMDSv2 on {target.resource.id}", prior=prior,
                           calls=("ec2:ModifyInstanceMetadataOptions",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        opts = dict(change.prior["MetadataOptions"])
        if change.params.get("hop_limit"):
            opts["HttpPutResponseHopLimit"] = change.params["hop_limit"]
        self._modify(target, {**opts, "HttpTokens": "required"})
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        opts = dict(change.prior["MetadataOptions"])
        self._modify(target, {**opts, "HttpTokens": opts.get("HttpTokens") or "optional"})

    def _modify(self, target: Target, opts: Mapping[str, Any]) -> None:
        """Every option named explicitly: an option left out may be reset (moto resets the
        endpoint), and undo must put back exactly what was there."""
        target.client("ec2").modify_instance_metadata_options(
            InstanceId=target.resource.id,
            **{k: v for k, v in opts.items() if k in ("HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit")})

    def state(self, resource: Resource) -> Mapping[str, Any]:
        opts = resource.properties.get("MetadataOptions") or {}
        return {"MetadataOptions": {k: opts[k] for k in ("HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit")
                                    if k in opts}}
