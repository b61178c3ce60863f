"""KMS: automatic rotation of a customer-managed symmetric key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from railguard.remediation.action import Action, Change, Params, Risk, Target, action

KEY = "AWS::KMS::Key"


class RotationParams(Params):
    rotation_period_days: int | None = Field(default=None, ge=90, le=2560,
                                             description="days between rotations (default: the KMS default, 365)")


@action(
    "kms.enable-rotation",
    title="Enable automatic rotation of a customer-managed KMS key",
    resource_types=KEY,
    calls=["kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:DisableKeyRotation"],
    risk=Risk(costs_money=True, note="each rotation adds a billed key version; data stays readable"),
    fixes=["kms.rotation-enabled"],
)
class EnableKeyRotation(Action):
    """Turns on automatic rotation; undo turns it off again. Old key material is kept by KMS
    either way, so nothing encrypted becomes unreadable."""

    params_model = RotationParams

    def _read(self, target: Target) -> dict[str, Any]:
        resp = target.client("kms").get_key_rotation_status(KeyId=target.resource.id)
        out = {"KeyRotationEnabled": bool(resp.get("KeyRotationEnabled"))}
        if resp.get("RotationPeriodInDays"):
            out["RotationPeriodInDays"] = resp["RotationPeriodInDays"]
        return out

    def build(self, target: Target, params: Any) -> Change:
        prior = self._read(target)
        if prior["KeyRotationEnabled"]:
            return self.change(target, params, "rotation already enabled", prior=prior, noop=True)
        return self.change(target, params, f"enable rotation of key {target.resource.id}", prior=prior,
                           calls=("kms:EnableKeyRotation",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        period = change.params.get("rotation_period_days")
        extra = {"RotationPeriodInDays": period} if period else {}
        target.client("kms").enable_key_rotation(KeyId=target.resource.id, **extra)
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        target.client("kms").disable_key_rotation(KeyId=target.resource.id)

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"KeyRotationEnabled": self._read(target)["KeyRotationEnabled"]}
