"""`ir contain-principal` on a user, a role and an access key id, and their release: as before."""

from __future__ import annotations

import json
from typing import Any

import pytest

from railguard.ir import service
from railguard.ir.contain import DENY_ALL_POLICY, REVOKE_POLICY
from railguard.ir.workflow import InputError
from railguard.store import Store
from railguard.store import cases as C
from tests.ir.scenario import client

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def contain(store: Store, session: Any, principal: str) -> Any:
    case = service.open_containment(store, session, principal, "us-east-1", actor="tester")
    return service.run(store, session, case.id, actor="tester")


def make_user(name: str = "mallory") -> dict[str, Any]:
    iam = client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Initial-Passw0rd!", PasswordResetRequired=False)
    k1 = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    k2 = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName=name, AccessKeyId=k2, Status="Inactive")
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=POLICY)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    return {"name": name, "active": k1, "inactive": k2}


def state(name: str) -> dict[str, Any]:
    iam = client("iam")
    try:
        iam.get_login_profile(UserName=name)
        login = True
    except iam.exceptions.NoSuchEntityException:
        login = False
    return {"keys": {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]},
            "login": login, "inline": sorted(iam.list_user_policies(UserName=name)["PolicyNames"]),
            "attached": [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]]}


@pytest.mark.parametrize("by", ["name", "arn", "key"])
def test_user_contained_and_released(store: Store, session: Any, aws: None, by: str) -> None:
    u = make_user()
    before = state(u["name"])
    subject = {"name": u["name"], "arn": f"arn:aws:iam::123456789012:user/{u['name']}", "key": u["active"]}[by]
    result = contain(store, session, subject)
    assert result.status == C.DONE, result.message
    now = state(u["name"])
    assert set(now["keys"].values()) == {"Inactive"} and len(now["keys"]) == 2  # deactivated, never deleted
    assert now["login"] is False
    assert DENY_ALL_POLICY in now["inline"]
    doc = client("iam").get_user_policy(UserName=u["name"], PolicyName=DENY_ALL_POLICY)["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0] == {"Sid": "RailguardContainment", "Effect": "Deny", "Action": "*", "Resource": "*"}
    keys = store.cases.step(result.case_id, "respond", "deactivate-keys")
    assert keys is not None and keys.detail["deactivated"] == [u["active"]]  # the prior state: only k1 was active
    out = service.release(store, session, result.case_id, actor="tester")
    assert out.status == C.RELEASED, out.message
    assert state(u["name"]) == before
    login = store.cases.step(result.case_id, "release", "login-profile")
    assert login is not None and "must be reset" in login.summary


def test_role_contained_and_released(store: Store, session: Any, aws: None) -> None:
    iam = client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="etl", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="etl", PolicyName="s3", PolicyDocument=POLICY)
    result = contain(store, session, "etl")
    assert result.status == C.DONE, result.message
    assert sorted(iam.list_role_policies(RoleName="etl")["PolicyNames"]) == sorted([DENY_ALL_POLICY, REVOKE_POLICY, "s3"])
    doc = iam.get_role_policy(RoleName="etl", PolicyName=REVOKE_POLICY)["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert "aws:TokenIssueTime" in doc["Statement"][0]["Condition"]["DateLessThan"]
    out = service.release(store, session, result.case_id, actor="tester")
    assert out.status == C.RELEASED, out.message
    assert iam.list_role_policies(RoleName="etl")["PolicyNames"] == ["s3"]


@pytest.mark.parametrize(("principal", "message"), [
    ("nobody", "no IAM user or role named 'nobody'"),
    ("AKIAIOSFODNN7EXAMPLE", "access key AKIAIOSFODNN7EXAMPLE not found"),
    ("root", "root user cannot be contained through IAM"),
    ("ASIAIOSFODNN7EXAMPLE", "temporary key"),
])
def test_unknown_principals_are_input_errors_with_a_case(store: Store, session: Any, aws: None, principal: str,
                                                         message: str) -> None:
    case = service.open_containment(store, session, principal, "us-east-1", actor="t")
    with pytest.raises(InputError, match=message):
        service.run(store, session, case.id, actor="t")
    row = store.cases.get(case.id)
    assert row is not None and row.status == C.STOPPED and "Done: nothing" in row.message


def test_railguard_does_not_contain_its_own_identity(store: Store, session: Any, aws: None) -> None:
    me = client("sts").get_caller_identity()["Arn"]  # moto: arn:aws:sts::123456789012:user/moto
    name = me.rsplit("/", 1)[-1]
    client("iam").create_user(UserName=name)
    case = service.open_containment(store, session, name, "us-east-1", actor="t")
    with pytest.raises(InputError, match="identity railguard runs as"):
        service.run(store, session, case.id, actor="t")


def test_contain_dry_run_changes_nothing(aws: None, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from railguard.cli.main import app

    u = make_user("dry")
    before = state(u["name"])
    out = CliRunner().invoke(app, ["ir", "contain-principal", "dry", "--dry-run", "--db", str(tmp_path / "x.db")])
    assert out.exit_code == 0, out.output
    assert "1. capture" in out.output and "deactivate-keys" in out.output and "nothing was changed" in out.output
    assert state(u["name"]) == before and not (tmp_path / "x.db").exists()
