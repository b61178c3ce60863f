"""IAM: deactivate unused or old access keys, remove an unused console password, and the
account password policy.

Keys are deactivated, never deleted: a deactivated key can be switched back on by undo; a
deleted one is gone. A console password cannot be read back, so removing it cannot be undone:
that action says `reversible=False` and the pipeline treats it accordingly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from railguard.remediation.action import Action, ActionError, Change, Params, Risk, Target, action
from railguard.sources.aws import pseudo
from railguard.sources.aws.errors import is_code

USER = "AWS::IAM::User"
PASSWORD_POLICY = pseudo.PASSWORD_POLICY


def _user_name(target: Target) -> str:
    r = target.resource
    return str(r.properties.get("UserName") or r.name or r.id.rsplit("/", 1)[-1])


def _days_since(when: Any, now: datetime) -> int | None:
    if not isinstance(when, datetime):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (now - when).days


# ---------------------------------------------------------------- access keys


class KeyParams(Params):
    unused_days: int = Field(default=90, ge=1, description="deactivate active keys unused (or never used) this long")
    max_age_days: int | None = Field(default=None, ge=1, description="also deactivate active keys older than this")
    key_ids: list[str] = Field(default=[], description="only these keys (default: every key that qualifies)")
    all_active: bool = Field(default=False, description="every active key, whatever its age or use (a countermeasure "
                                                        "against a repeat offender)")


@action(
    "iam.deactivate-access-key",
    title="Deactivate a user's unused or old access keys (never deletes them)",
    resource_types=USER,
    calls=["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"],
    risk=Risk(breaks_traffic=True, note="a workload still using the key is refused until undo reactivates it"),
    fixes=["iam.access-key-unused", "iam.credentials-unused", "iam.access-key-rotated",
           "iam.access-key-at-user-setup"],
)
class DeactivateAccessKey(Action):
    """Sets Inactive every active key of the user unused for `unused_days` (a never-used key
    counts from its creation) or older than `max_age_days`, or with `all_active` every active
    key (what a countermeasure on a repeat offender wants). Undo sets them Active again."""

    params_model = KeyParams

    def _keys(self, target: Target) -> list[dict[str, Any]]:
        iam = target.client("iam")
        out = []
        for page in iam.get_paginator("list_access_keys").paginate(UserName=_user_name(target)):
            for k in page.get("AccessKeyMetadata", []):
                last = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"]).get("AccessKeyLastUsed", {})
                out.append({"AccessKeyId": k["AccessKeyId"], "Status": k.get("Status"),
                            "CreateDate": k.get("CreateDate"), "LastUsedDate": last.get("LastUsedDate")})
        return out

    def build(self, target: Target, params: Any) -> Change:
        now = datetime.now(UTC)
        keys = self._keys(target)
        chosen = []
        for k in keys:
            if k["Status"] != "Active" or (params.key_ids and k["AccessKeyId"] not in params.key_ids):
                continue
            idle = _days_since(k["LastUsedDate"] or k["CreateDate"], now)
            age = _days_since(k["CreateDate"], now)
            why = ["all active keys"] if params.all_active else []
            if not why and idle is not None and idle >= params.unused_days:
                why.append(f"{'never used' if not k['LastUsedDate'] else 'unused'} for {idle} days")
            if not why and params.max_age_days and age is not None and age > params.max_age_days:
                why.append(f"{age} days old")
            if why:
                chosen.append({"AccessKeyId": k["AccessKeyId"], "why": "; ".join(why)})
        prior = {"UserName": _user_name(target), "keys": {k["AccessKeyId"]: k["Status"] for k in keys},
                 "deactivate": chosen}
        if not chosen:
            return self.change(target, params, f"{_user_name(target)}: no active key qualifies", prior=prior,
                               noop=True)
        summary = "deactivate " + ", ".join(f"{c['AccessKeyId'][:8]}… ({c['why']})" for c in chosen)
        return self.change(target, params, f"{summary} of {_user_name(target)}", prior=prior,
                           calls=("iam:UpdateAccessKey",) * len(chosen))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        iam = target.client("iam")
        for k in change.prior["deactivate"]:
            iam.update_access_key(UserName=change.prior["UserName"], AccessKeyId=k["AccessKeyId"], Status="Inactive")
        return {"deactivated": [k["AccessKeyId"] for k in change.prior["deactivate"]]}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        iam = target.client("iam")
        for k in change.prior["deactivate"]:
            iam.update_access_key(UserName=change.prior["UserName"], AccessKeyId=k["AccessKeyId"], Status="Active")

    def read_state(self, target: Target) -> Mapping[str, Any]:
        iam = target.client("iam")
        keys = {k["AccessKeyId"]: k.get("Status")
                for page in iam.get_paginator("list_access_keys").paginate(UserName=_user_name(target))
                for k in page.get("AccessKeyMetadata", [])}
        return {"UserName": _user_name(target), "keys": keys}


# ---------------------------------------------------------------- console password


class PasswordParams(Params):
    unused_days: int = Field(default=90, ge=1, description="remove only a password unused (or never used) this long")


@action(
    "iam.remove-console-password",
    title="Remove an unused console password (login profile)",
    resource_types=USER,
    calls=["iam:GetUser", "iam:GetLoginProfile", "iam:DeleteLoginProfile"],
    risk=Risk(breaks_traffic=True, note="the user can no longer sign in to the console"),
    reversible=False,
    reversible_note="a password cannot be read, so it cannot be put back: undo records that, and a human "
                    "sets a new password (iam:CreateLoginProfile) if the user needs the console again",
    fixes=["iam.credentials-unused"],
)
class RemoveConsolePassword(Action):
    """Deletes the user's login profile when the password has not been used for `unused_days`
    (a never-used password counts from when it was set). Not reversible."""

    params_model = PasswordParams

    def _profile(self, target: Target) -> dict[str, Any] | None:
        try:
            return dict(target.client("iam").get_login_profile(UserName=_user_name(target))["LoginProfile"])
        except Exception as exc:
            if is_code(exc, "NoSuchEntity"):
                return None
            raise

    def build(self, target: Target, params: Any) -> Change:
        name = _user_name(target)
        profile = self._profile(target)
        user = target.client("iam").get_user(UserName=name)["User"]
        last_used = user.get("PasswordLastUsed")
        prior: dict[str, Any] = {
            "UserName": name, "had_password": profile is not None,
            "password_last_used": last_used.isoformat() if isinstance(last_used, datetime) else None,
            "PasswordResetRequired": bool((profile or {}).get("PasswordResetRequired")),
        }
        if profile is None:
            return self.change(target, params, f"{name} has no console password", prior=prior, noop=True)
        idle = _days_since(last_used or profile.get("CreateDate"), datetime.now(UTC))
        if idle is not None and idle < params.unused_days:
            return self.change(target, params, f"{name}'s password was used {idle} day(s) ago: kept", prior=prior,
                               noop=True)
        return self.change(target, params, f"delete the console password of {name} (unused for {idle} days; "
                           "cannot be restored)", prior=prior, calls=("iam:DeleteLoginProfile",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        target.client("iam").delete_login_profile(UserName=change.prior["UserName"])
        return {"removed": True}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        raise ActionError(f"{self.spec.id}: {self.spec.reversible_note}")

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"UserName": _user_name(target), "has_password": self._profile(target) is not None}


# ---------------------------------------------------------------- password policy

# UpdateAccountPasswordPolicy's fields (what GetAccountPasswordPolicy returns beside them is derived)
_POLICY_FIELDS = ("MinimumPasswordLength", "RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters",
                  "RequireLowercaseCharacters", "AllowUsersToChangePassword", "MaxPasswordAge",
                  "PasswordReusePrevention", "HardExpiry")


class PolicyParams(Params):
    minimum_length: int = Field(default=14, ge=6, le=128)
    reuse_prevention: int = Field(default=24, ge=1, le=24)
    require_symbols: bool = True
    require_numbers: bool = True
    require_uppercase: bool = True
    require_lowercase: bool = True
    allow_users_to_change: bool = True
    max_age_days: int | None = Field(default=None, ge=1, le=1095, description="None: passwords do not expire")


def _updatable(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: policy[k] for k in _POLICY_FIELDS if policy and k in policy}


def stricter_policy(prior: Mapping[str, Any] | None, p: PolicyParams) -> dict[str, Any]:
    """The policy to put: each setting the stricter of what is there and what is asked."""
    cur = _updatable(prior)
    new: dict[str, Any] = {
        "MinimumPasswordLength": max(int(cur.get("MinimumPasswordLength", 0)), p.minimum_length),
        "PasswordReusePrevention": max(int(cur.get("PasswordReusePrevention", 0)), p.reuse_prevention),
        "RequireSymbols": bool(cur.get("RequireSymbols")) or p.require_symbols,
        "RequireNumbers": bool(cur.get("RequireNumbers")) or p.require_numbers,
        "RequireUppercaseCharacters": bool(cur.get("RequireUppercaseCharacters")) or p.require_uppercase,
        "RequireLowercaseCharacters": bool(cur.get("RequireLowercaseCharacters")) or p.require_lowercase,
        "AllowUsersToChangePassword": bool(cur.get("AllowUsersToChangePassword", p.allow_users_to_change)),
    }
    ages = [a for a in (cur.get("MaxPasswordAge"), p.max_age_days) if a]
    if ages:
        new["MaxPasswordAge"] = min(ages)
    if "HardExpiry" in cur:
        new["HardExpiry"] = bool(cur["HardExpiry"])
    return new


@action(
    "iam.password-policy",
    title="Set the account password policy (length, reuse, character classes, optional expiry)",
    resource_types=PASSWORD_POLICY,
    calls=["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy"],
    risk=Risk(note="applies to the next password change; existing passwords keep working"),
    fixes=["iam.password-min-length", "iam.password-reuse-prevention", "iam.password-expiry"],
)
class PasswordPolicy(Action):
    """Updates the account password policy, keeping every setting already stricter than asked.
    Undo puts back the prior policy field by field, or deletes it when the account had none."""

    params_model = PolicyParams

    def _read(self, target: Target) -> dict[str, Any] | None:
        try:
            return dict(target.client("iam").get_account_password_policy()["PasswordPolicy"])
        except Exception as exc:
            if is_code(exc, "NoSuchEntity"):
                return None
            raise

    def build(self, target: Target, params: Any) -> Change:
        prior = self._read(target)
        new = stricter_policy(prior, params)
        record = {"PasswordPolicy": prior, "new": new}
        if prior is not None and _updatable(prior) == new:
            return self.change(target, params, "the password policy is already as strict", prior=record, noop=True)
        changed = sorted(k for k in new if _updatable(prior).get(k) != new[k])
        return self.change(target, params, "set " + ", ".join(f"{k}={new[k]}" for k in changed), prior=record,
                           calls=("iam:UpdateAccountPasswordPolicy",))

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        target.client("iam").update_account_password_policy(**change.prior["new"])
        return {}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        prior = change.prior["PasswordPolicy"]
        iam = target.client("iam")
        if prior is None:
            iam.delete_account_password_policy()
        else:
            iam.update_account_password_policy(**_updatable(prior))

    def read_state(self, target: Target) -> Mapping[str, Any]:
        return {"PasswordPolicy": self._read(target)}
