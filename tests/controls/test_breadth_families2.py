"""Control families of issue 15 point 2, second part: public RDS snapshots, Lambda function URLs
without auth, API Gateway methods without authorization, secrets in EC2 user data, IAM
privilege-escalation paths, launch templates and configurations with public IPs, public DMS
replication instances and MQ brokers. Pure tests and live (moto) tests here; template fixtures
under tests/fixtures/iac/{cfn,tf}/<control-id>/."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from railguard.controls import Context, get_control
from railguard.model import Inventory, Resource, Result
from railguard.sources.aws.session import CallCounter
from tests.controls.test_ec2 import result
from tests.livehelp import live_inventory, results, run_control


@pytest.fixture(autouse=True)
def _no_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


def _live(type_: str, id_: str, props: dict[str, Any], **live: Any) -> Resource:
    from railguard.model import Origin

    return Resource(type_, id_, props, account="111111111111", region="us-east-1",
                    origin=Origin(account="111111111111", region="us-east-1"), live=live, name=id_)


# ---- a. RDS snapshots -------------------------------------------------------------------------------

SNAP = "rds.snapshot-public"


def test_snapshot_public_pure() -> None:
    from railguard.model import Unknown

    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=["all"])) == Result.FAIL
    assert result(SNAP, _live("AWS::RDS::DBClusterSnapshot", "c", {}, restore=["all", "222222222222"])) == Result.FAIL
    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=["222222222222"])) == Result.PASS
    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=[])) == Result.PASS
    assert result(SNAP, _live("AWS::RDS::DBSnapshot", "s", {}, restore=Unknown("AccessDenied"))) == Result.UNKNOWN


def test_live_rds_snapshots(aws: None) -> None:
    rds = boto3.client("rds", region_name="us-east-1")
    rds.create_db_instance(DBInstanceIdentifier="db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="x" * 12)
    rds.create_db_snapshot(DBSnapshotIdentifier="open-snap", DBInstanceIdentifier="db")
    rds.create_db_snapshot(DBSnapshotIdentifier="shut-snap", DBInstanceIdentifier="db")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="open-snap", AttributeName="restore", ValuesToAdd=["all"])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="shut-snap", AttributeName="restore",
                                     ValuesToAdd=["222222222222"])
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="x" * 12)
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="open-csnap", DBClusterIdentifier="aurora")
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="shut-csnap", DBClusterIdentifier="aurora")
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="open-csnap", AttributeName="restore",
                                             ValuesToAdd=["all"])
    counter = CallCounter()
    inv = live_inventory(["AWS::RDS::DBSnapshot", "AWS::RDS::DBClusterSnapshot"], counter=counter)
    got = results(run_control(SNAP, inventory=inv))
    assert got == {"open-snap": Result.FAIL, "shut-snap": Result.PASS,
                   "open-csnap": Result.FAIL, "shut-csnap": Result.PASS}
    calls = counter.snapshot()
    # one list call per kind, one attributes call per manual snapshot, nothing else
    assert calls.get("rds:DescribeDBSnapshotAttributes") == 2
    assert calls.get("rds:DescribeDBClusterSnapshotAttributes") == 2
    assert "rds:DescribeDBInstances" not in calls


# ---- b. Lambda function URLs ------------------------------------------------------------------------

URL = "lambda.function-url-auth-none"


def _tpl(type_: str, props: dict[str, Any]) -> Resource:
    from railguard.model import Origin

    return Resource(type_, "R", props, origin=Origin(file="t.yaml", line=3))


def test_function_url_pure() -> None:
    from railguard.model import Unknown

    assert result(URL, _tpl("AWS::Lambda::Url", {"AuthType": "NONE", "TargetFunctionArn": "fn"})) == Result.FAIL
    assert result(URL, _tpl("AWS::Lambda::Url", {"AuthType": "AWS_IAM"})) == Result.PASS
    assert result(URL, _tpl("AWS::Lambda::Url", {"AuthType": Unknown("param Auth")})) == Result.UNKNOWN
    sam = "AWS::Serverless::Function"
    assert result(URL, _tpl(sam, {"FunctionUrlConfig": {"AuthType": "NONE"}})) == Result.FAIL
    assert result(URL, _tpl("AWS::Lambda::Function", {"FunctionUrlConfig": {"AuthType": "AWS_IAM"}})) == Result.PASS
    fn = _tpl("AWS::Lambda::Function", {"Runtime": "python3.12"})
    assert get_control(URL)(fn, Context(Inventory([fn]), place="iac")) is None  # no URL: out of scope


def _function(lam: Any, iam: Any, name: str) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return 1\n")
    role = iam.create_role(RoleName=f"r-{name}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": buf.getvalue()})


def test_live_function_urls(aws: None) -> None:
    lam = boto3.client("lambda", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    for name in ("open", "signed", "no-url"):
        _function(lam, iam, name)
    lam.create_function_url_config(FunctionName="open", AuthType="NONE")
    lam.create_function_url_config(FunctionName="signed", AuthType="AWS_IAM")
    counter = CallCounter()
    inv = live_inventory(["AWS::Lambda::Url"], counter=counter)
    got = results(run_control(URL, inventory=inv))
    assert got == {"open (URL)": Result.FAIL, "signed (URL)": Result.PASS}
    calls = counter.snapshot()
    assert calls.get("lambda:GetFunctionUrlConfig") == 3 and "lambda:GetPolicy" not in calls


# ---- c. API Gateway methods and routes ------------------------------------------------------------------

API = "apigateway.method-without-authorization"


def test_api_method_pure() -> None:
    m = "AWS::ApiGateway::Method"
    assert result(API, _tpl(m, {"HttpMethod": "POST", "AuthorizationType": "NONE", "ApiKeyRequired": True})) == Result.FAIL
    assert result(API, _tpl(m, {"HttpMethod": "GET"})) == Result.FAIL  # unset means NONE
    assert result(API, _tpl(m, {"HttpMethod": "GET", "AuthorizationType": "CUSTOM"})) == Result.PASS
    assert result(API, _tpl("AWS::ApiGatewayV2::Route", {"RouteKey": "$default", "AuthorizationType": "NONE"})) == Result.FAIL
    assert result(API, _tpl("AWS::ApiGatewayV2::Route", {"RouteKey": "GET /", "AuthorizationType": "JWT"})) == Result.PASS
    from railguard.model import Unknown

    assert result(API, _tpl(m, {"HttpMethod": "GET", "AuthorizationType": Unknown("param Auth")})) == Result.UNKNOWN


def test_live_api_methods_and_routes(aws: None) -> None:
    gw = boto3.client("apigateway", region_name="us-east-1")
    api = gw.create_rest_api(name="shop")["id"]
    root = gw.get_resources(restApiId=api)["items"][0]["id"]
    res = gw.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
    gw.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
    gw.put_method(restApiId=api, resourceId=res, httpMethod="POST", authorizationType="AWS_IAM")
    gw.put_method(restApiId=api, resourceId=res, httpMethod="OPTIONS", authorizationType="NONE")
    v2 = boto3.client("apigatewayv2", region_name="us-east-1")
    http = v2.create_api(Name="items", ProtocolType="HTTP")["ApiId"]
    v2.create_route(ApiId=http, RouteKey="GET /items", AuthorizationType="NONE")
    v2.create_route(ApiId=http, RouteKey="POST /items", AuthorizationType="AWS_IAM")
    counter = CallCounter()
    inv = live_inventory(["AWS::ApiGateway::Method", "AWS::ApiGatewayV2::Route"], counter=counter)
    got = results(run_control(API, inventory=inv))
    assert got == {"shop GET /orders": Result.FAIL, "shop POST /orders": Result.PASS,
                   "items GET /items": Result.FAIL, "items POST /items": Result.PASS}
    calls = counter.snapshot()
    assert calls.get("api-gateway:GetResources") == 1 and calls.get("apigatewayv2:GetRoutes") == 1
