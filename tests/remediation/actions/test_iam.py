"""IAM actions under moto: keys deactivated (never deleted) and reactivated by undo; an unused
console password removed, and undo refused because a password cannot be restored; the password
policy tightened and put back field by field (or deleted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from railguard.model import Result
from railguard.remediation.action import NotReversible, ParamsError
from railguard.remediation.actions import get
from railguard.remediation.actions.iam import PASSWORD_POLICY, USER
from railguard.sources.aws.session import AccountSession
from tests.remediation.actions.support import REGION, plan, session, verdict

ACCOUNT = "123456789012"


@pytest.fixture
def sess(aws: None, monkeypatch: pytest.MonkeyPatch) -> AccountSession:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    return session()


@pytest.fixture
def iam(sess: AccountSession) -> Any:
    return boto3.client("iam", region_name=REGION)


def ago(days: int) -> datetime:
    return (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def moto_user(name: str) -> Any:
    from moto.backends import get_backend

    backend: Any = get_backend("iam")  # type: ignore[call-overload,unused-ignore]
    return backend[ACCOUNT]["global"].users[name]


def user_arn(iam: Any, name: str) -> str:
    return str(iam.get_user(UserName=name)["User"]["Arn"])


def statuses(iam: Any, name: str) -> dict[str, str]:
    return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}


def test_deactivate_old_unused_key_and_undo(sess: AccountSession, iam: Any) -> None:
    iam.create_user(UserName="ci")
    old = iam.create_access_key(UserName="ci")["AccessKey"]["AccessKeyId"]
    moto_user("ci").create_date = moto_user("ci").access_keys[0].create_date = ago(200)
    new = iam.create_access_key(UserName="ci")["AccessKey"]["AccessKeyId"]  # fresh: kept
    arn = user_arn(iam, "ci")
    before = statuses(iam, "ci")
    assert verdict(sess, "iam.access-key-unused", arn, resource_type=USER) == Result.FAIL

    t, change = plan(sess, "iam.deactivate-access-key", USER, arn)
    assert statuses(iam, "ci") == before
    assert [k["AccessKeyId"] for k in change.prior["deactivate"]] == [old]
    spec = get("iam.deactivate-access-key")
    spec.apply(t, change)
    assert statuses(iam, "ci") == {old: "Inactive", new: "Active"}  # deactivated, not deleted
    assert verdict(sess, "iam.access-key-unused", arn, resource_type=USER) == Result.PASS
    assert spec.current(t) == {"UserName": "ci", "keys": {old: "Inactive", new: "Active"}}
    spec.undo(t, change, {})
    assert statuses(iam, "ci") == before
    assert verdict(sess, "iam.access-key-unused", arn, resource_type=USER) == Result.FAIL

    iam.update_access_key(UserName="ci", AccessKeyId=old, Status="Inactive")
    _, again = plan(sess, "iam.deactivate-access-key", USER, arn)
    assert again.noop


def test_deactivate_params() -> None:
    spec = get("iam.deactivate-access-key")
    with pytest.raises(ParamsError, match="unused_days"):
        spec.validate({"unused_days": 0})
    with pytest.raises(ParamsError, match="delete"):
        spec.validate({"delete": True})


def test_remove_unused_console_password_is_not_reversible(sess: AccountSession, iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Test-Passw0rd!")
    u = moto_user("alice")
    u.create_date, u.password_last_used = ago(300), ago(200)
    arn = user_arn(iam, "alice")
    assert verdict(sess, "iam.credentials-unused", arn, resource_type=USER) == Result.FAIL

    t, change = plan(sess, "iam.remove-console-password", USER, arn)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]  # plan changed nothing
    spec = get("iam.remove-console-password")
    assert spec.reversible is False and "cannot be put back" in spec.reversible_note
    spec.apply(t, change)
    assert verdict(sess, "iam.credentials-unused", arn, resource_type=USER) == Result.PASS
    assert spec.current(t) == {"UserName": "alice", "has_password": False}
    with pytest.raises(NotReversible, match="cannot be put back"):
        spec.undo(t, change, {})
    _, again = plan(sess, "iam.remove-console-password", USER, arn)
    assert again.noop and "no console password" in again.summary


def test_recently_used_password_is_kept(sess: AccountSession, iam: Any) -> None:
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Test-Passw0rd!")
    moto_user("bob").password_last_used = ago(3)
    _, change = plan(sess, "iam.remove-console-password", USER, user_arn(iam, "bob"))
    assert change.noop and "used 3 day(s) ago" in change.summary
    with pytest.raises(ParamsError, match="unused_days"):
        get("iam.remove-console-password").validate({"unused_days": "soon"})


def policy(iam: Any) -> Any:
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        return None


def test_password_policy_from_none_and_back(sess: AccountSession, iam: Any) -> None:
    pid = f"{sess.account}/password-policy"
    assert verdict(sess, "iam.password-min-length", pid, resource_type=PASSWORD_POLICY) == Result.FAIL
    t, change = plan(sess, "iam.password-policy", PASSWORD_POLICY, pid)
    assert policy(iam) is None
    spec = get("iam.password-policy")
    spec.apply(t, change)
    for control in ("iam.password-min-length", "iam.password-reuse-prevention"):
        assert verdict(sess, control, pid, resource_type=PASSWORD_POLICY) == Result.PASS
    spec.undo(t, change, {})
    assert policy(iam) is None
    assert verdict(sess, "iam.password-min-length", pid, resource_type=PASSWORD_POLICY) == Result.FAIL


def test_password_policy_keeps_stricter_settings_and_restores_exactly(sess: AccountSession, iam: Any) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=20, PasswordReusePrevention=5, MaxPasswordAge=30,
                                       RequireSymbols=False)
    before = policy(iam)
    pid = f"{sess.account}/password-policy"
    t, change = plan(sess, "iam.password-policy", PASSWORD_POLICY, pid, {"max_age_days": 90})
    assert change.prior["new"]["MinimumPasswordLength"] == 20 and change.prior["new"]["MaxPasswordAge"] == 30
    spec = get("iam.password-policy")
    spec.apply(t, change)
    assert verdict(sess, "iam.password-reuse-prevention", pid, resource_type=PASSWORD_POLICY) == Result.PASS
    spec.undo(t, change, {})
    assert policy(iam) == before
    assert verdict(sess, "iam.password-reuse-prevention", pid, resource_type=PASSWORD_POLICY) == Result.FAIL
    spec.apply(t, change)
    _, again = plan(sess, "iam.password-policy", PASSWORD_POLICY, pid, {"max_age_days": 90})
    assert again.noop
    with pytest.raises(ParamsError, match="minimum_length"):
        spec.validate({"minimum_length": 4})
