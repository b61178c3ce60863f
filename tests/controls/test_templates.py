"""Template-only controls: secret parameters without NoEcho, literal secret Defaults, and
hard-coded secret resource properties."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.model import Origin, Resource, Result, Unknown
from tests.containers.helpers import result_of, verdict_of

PARAM = "RailGuard::CloudFormation::Parameter"
NO_DEFAULT = "parameter DbPassword has no Default (set --param DbPassword=...)"


def _param(name: str, file: str = "t.yaml", **decl: Any) -> Resource:
    return Resource(PARAM, name, {"Type": "String", **decl}, name=name, origin=Origin(file=file, line=3))


# --- template.secret-parameter-without-noecho ----------------------------------------------------


@pytest.mark.parametrize(("name", "decl", "expect"), [
    ("DbPassword", {}, Result.FAIL),
    ("ApiToken", {"NoEcho": False}, Result.FAIL),
    ("ApiToken", {"NoEcho": "false"}, Result.FAIL),
    ("DbPassword", {"NoEcho": True}, Result.PASS),
    ("DbPassword", {"NoEcho": "true"}, Result.PASS),
    ("DbPasswordSecretArn", {}, None),
    ("InstanceType", {}, None),
    ("DbPassword", {"Type": "AWS::SSM::Parameter::Value<String>"}, None),
])
def test_secret_parameter_without_noecho(name: str, decl: dict[str, Any], expect: Result | None) -> None:
    assert result_of("template.secret-parameter-without-noecho", _param(name, **decl)) == expect


def test_parameter_name_property_wins() -> None:
    r = Resource(PARAM, "p1", {"Name": "MasterPassword", "Type": "String"})
    assert result_of("template.secret-parameter-without-noecho", r) == Result.FAIL


# --- template.hardcoded-secret-default -----------------------------------------------------------


@pytest.mark.parametrize(("name", "decl", "expect"), [
    ("DbPassword", {"NoEcho": True, "Default": "Sup3rS3cretPassw0rd"}, Result.FAIL),
    ("GitHubToken", {"Default": "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"}, Result.FAIL),
    ("SomeValue", {"Default": "AKIA" + "Q3ZL7XW2RBN4TYPK"}, Result.FAIL),
    ("DbPassword", {"NoEcho": True}, Result.PASS),
    ("DbPassword", {"NoEcho": True, "Default": ""}, Result.PASS),
    ("DbPassword", {"Default": "changeme"}, Result.PASS),
    ("DbPassword", {"Default": "{{resolve:secretsmanager:db}}"}, Result.PASS),
    ("DbPassword", {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/prod/db/password"}, None),
    ("InstanceType", {"Default": "t3.micro"}, None),
])
def test_hardcoded_secret_default(name: str, decl: dict[str, Any], expect: Result | None) -> None:
    assert result_of("template.hardcoded-secret-default", _param(name, **decl)) == expect


def test_default_evidence_is_redacted() -> None:
    result, reason, ev = verdict_of("template.hardcoded-secret-default",
                                    _param("DbPassword", Default="Sup3rS3cretPassw0rd"))
    assert result == Result.FAIL and "Sup3rS3cret" not in repr(ev) + reason and ev["Default"] == "Sup3****"


# --- template.hardcoded-secret-property ----------------------------------------------------------


def _res(type_: str, props: dict[str, Any], file: str = "t.yaml") -> Resource:
    return Resource(type_, "Res", props, origin=Origin(file=file, line=10))


@pytest.mark.parametrize(("type_", "props"), [
    ("AWS::RDS::DBInstance", {"MasterUsername": "admin", "MasterUserPassword": "Sup3rS3cretPassw0rd"}),
    ("AWS::RDS::DBCluster", {"MasterUserPassword": "Sup3rS3cretPassw0rd"}),
    ("AWS::Redshift::Cluster", {"MasterUserPassword": "Sup3rS3cretPassw0rd"}),
    ("AWS::DocDB::DBCluster", {"MasterUserPassword": "Sup3rS3cretPassw0rd"}),
    ("AWS::ElastiCache::ReplicationGroup", {"AuthToken": "Sup3rS3cretTokenValue0123"}),
    ("AWS::IAM::User", {"LoginProfile": {"Password": "Sup3rS3cretPassw0rd"}}),
    ("AWS::DirectoryService::MicrosoftAD", {"Password": "Sup3rS3cretPassw0rd"}),
    ("AWS::AmazonMQ::Broker", {"Users": [{"Username": "a", "Password": "Sup3rS3cretPassw0rd"}]}),
    ("AWS::OpsWorks::App", {"Environment": [{"Key": "DB_PASSWORD", "Value": "Sup3rS3cretPassw0rd", "Secure": True}]}),
    ("AWS::Glue::Connection", {"ConnectionInput": {"ConnectionProperties": {"USERNAME": "a", "PASSWORD": "Sup3rS3cretPassw0rd"}}}),
    ("AWS::RDS::DBInstance", {"MasterUserPassword": "changeme"}),
])
def test_literal_secret_property_fails(type_: str, props: dict[str, Any]) -> None:
    result, reason, ev = verdict_of("template.hardcoded-secret-property", _res(type_, props))
    assert result == Result.FAIL, reason
    assert "Sup3rS3cret" not in repr(ev) + reason


@pytest.mark.parametrize(("type_", "props"), [
    ("AWS::RDS::DBInstance", {"MasterUserPassword": "{{resolve:secretsmanager:prod/db:SecretString:password}}"}),
    ("AWS::RDS::DBInstance", {"ManageMasterUserPassword": True}),
    ("AWS::RDS::DBCluster", {"MasterUserPassword": "{{resolve:ssm-secure:/prod/db/password:1}}"}),
    ("AWS::IAM::User", {"UserName": "alice"}),
    ("AWS::OpsWorks::App", {"Environment": [{"Key": "LOG_LEVEL", "Value": "info"}]}),
    ("AWS::RDS::DBInstance", {"MasterUserPassword": Unknown("var.db_password has no value")}),
])
def test_reference_or_absent_passes(type_: str, props: dict[str, Any]) -> None:
    assert result_of("template.hardcoded-secret-property", _res(type_, props)) == Result.PASS


def test_ref_to_noecho_parameter_passes_and_to_clear_parameter_fails() -> None:
    r = _res("AWS::RDS::DBInstance", {"MasterUserPassword": Unknown(NO_DEFAULT)})
    assert result_of("template.hardcoded-secret-property", r, _param("DbPassword", NoEcho=True)) == Result.PASS
    result, reason, _ = verdict_of("template.hardcoded-secret-property", r, _param("DbPassword"))
    assert result == Result.FAIL and "parameter DbPassword, which is not NoEcho" in reason
    # a parameter of another template does not answer for this one
    other = _param("DbPassword", file="other.yaml", NoEcho=True)
    assert result_of("template.hardcoded-secret-property", r, other) == Result.UNKNOWN


def test_unknown_is_unknown() -> None:
    r = _res("AWS::RDS::DBInstance", {"MasterUserPassword": Unknown("Fn::ImportValue db-pass comes from another stack")})
    assert result_of("template.hardcoded-secret-property", r) == Result.UNKNOWN


def test_known_failure_wins_over_unknown() -> None:
    r = _res("AWS::AmazonMQ::Broker", {"Users": [{"Password": Unknown("x")}, {"Password": "Sup3rS3cretPassw0rd"}]})
    assert result_of("template.hardcoded-secret-property", r) == Result.FAIL


def test_evidence_is_redacted() -> None:
    _, _, ev = verdict_of("template.hardcoded-secret-property",
                          _res("AWS::RDS::DBCluster", {"MasterUserPassword": "Sup3rS3cretPassw0rd"}))
    assert ev["properties"] == [{"property": "MasterUserPassword", "value": "Sup3****",
                                 "why": "literal value in the template"}]
