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


# ---- d. secrets in EC2 user data ---------------------------------------------------------------------

UD = "ec2.secrets-in-user-data"
SCRIPT = "#!/bin/bash\nyum install -y httpd\nexport DB_PASSWORD='Xk9#mQ2vLp7Zr4Wt'\n"
CLEAN = "#!/bin/bash\nyum install -y httpd\nexport DB_PASSWORD=\"$(aws secretsmanager get-secret-value --secret-id x)\"\n"


def test_user_data_pure_and_redacted() -> None:
    import base64
    import gzip

    from railguard.model import PartialText, Unknown

    inst = "AWS::EC2::Instance"
    from tests.controls.test_ec2 import verdict

    v = verdict(UD, _tpl(inst, {"UserData": SCRIPT}))
    assert v.result == Result.FAIL and "Xk9#mQ2vLp7Zr4Wt" not in repr(v.evidence)
    assert v.evidence["secrets"][0]["line"] == 3
    assert result(UD, _tpl(inst, {"UserData": base64.b64encode(SCRIPT.encode()).decode()})) == Result.FAIL
    gz = base64.b64encode(gzip.compress(SCRIPT.encode())).decode()
    assert result(UD, _tpl("AWS::AutoScaling::LaunchConfiguration", {"UserData": gz})) == Result.FAIL
    assert result(UD, _tpl(inst, {"UserData": CLEAN})) == Result.PASS
    assert result(UD, _tpl(inst, {})) == Result.PASS
    assert result(UD, _tpl(inst, {"UserData": Unknown("param Script")})) == Result.UNKNOWN
    # a Fn::Sub with deploy-time pieces is judged on its literal text
    part = PartialText("Fn::Sub: AWS::StackName", SCRIPT + "cfn-signal --stack ${AWS::StackName}\n")
    assert result(UD, _tpl(inst, {"UserData": part})) == Result.FAIL
    assert result(UD, _tpl(inst, {"UserData": PartialText("x", "echo ${AWS::Region}")})) == Result.PASS
    # a secret-named parameter substituted into user data lands there in clear
    assert result(UD, _tpl(inst, {"UserData": PartialText("x", "export PW=${DbPassword}")})) == Result.FAIL
    lt = _tpl("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": {"UserData": SCRIPT}})
    assert result(UD, lt) == Result.FAIL


def test_live_user_data(aws: None) -> None:
    import base64

    ec2 = boto3.client("ec2", region_name="us-east-1")
    ami = ec2.register_image(Name="img", RootDeviceName="/dev/xvda",
                             BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]

    def run(name: str, user_data: str) -> None:
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, UserData=user_data,
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])

    run("leaky", SCRIPT)
    run("tidy", CLEAN)
    ec2.create_launch_template(LaunchTemplateName="leaky-lt", LaunchTemplateData={
        "ImageId": ami, "UserData": base64.b64encode(SCRIPT.encode()).decode()})
    ec2.create_launch_template(LaunchTemplateName="tidy-lt", LaunchTemplateData={
        "ImageId": ami, "UserData": base64.b64encode(CLEAN.encode()).decode()})
    asg = boto3.client("autoscaling", region_name="us-east-1")
    asg.create_launch_configuration(LaunchConfigurationName="leaky-lc", ImageId=ami, InstanceType="t3.micro",
                                    UserData=SCRIPT)
    asg.create_launch_configuration(LaunchConfigurationName="tidy-lc", ImageId=ami, InstanceType="t3.micro")
    counter = CallCounter()
    inv = live_inventory(["AWS::EC2::Instance", "AWS::EC2::Instance#UserData", "AWS::EC2::LaunchTemplate",
                          "AWS::AutoScaling::LaunchConfiguration"], counter=counter)
    got = results(run_control(UD, inventory=inv))
    assert got == {"leaky": Result.FAIL, "tidy": Result.PASS, "leaky-lt": Result.FAIL, "tidy-lt": Result.PASS,
                   "leaky-lc": Result.FAIL, "tidy-lc": Result.PASS}
    calls = counter.snapshot()
    assert calls["ec2:DescribeInstanceAttribute"] == 2 and calls["ec2:DescribeLaunchTemplateVersions"] == 2
    # without the facet, no per-instance call and no verdict on what was not read
    counter = CallCounter()
    inv = live_inventory(["AWS::EC2::Instance"], counter=counter)
    assert "ec2:DescribeInstanceAttribute" not in counter.snapshot()
    assert set(results(run_control(UD, inventory=inv)).values()) == {Result.UNKNOWN}


# ---- e. IAM privilege escalation -----------------------------------------------------------------------

ESC = "iam.privilege-escalation"


def _policy(*statements: dict[str, Any]) -> Resource:
    return _tpl("AWS::IAM::ManagedPolicy", {"PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}})


def _allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_privilege_escalation_pure() -> None:
    from railguard.model import Unknown

    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachRolePolicy",
                   "iam:PutUserPolicy", "iam:CreateAccessKey", "iam:UpdateLoginProfile", "iam:*"):
        assert result(ESC, _policy(_allow(action))) == Result.FAIL, action
    assert result(ESC, _policy(_allow(["iam:PassRole", "cloudformation:CreateStack"]))) == Result.FAIL
    assert result(ESC, _policy(_allow("iam:PassRole"), _allow("lambda:CreateFunction"))) == Result.FAIL
    assert result(ESC, _policy(_allow("iam:PassRole"))) == Result.PASS  # that one is dangerous-permissions'
    assert result(ESC, _policy(_allow("lambda:CreateFunction"))) == Result.PASS
    assert result(ESC, _policy(_allow("iam:AttachUserPolicy", "arn:aws:iam::1:user/bob"))) == Result.PASS
    assert result(ESC, _policy(_allow("iam:AttachUserPolicy", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))) == Result.PASS
    assert result(ESC, _policy(_allow("iam:PutRolePolicy"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})) == Result.PASS
    assert result(ESC, _policy(_allow("*"))) == Result.PASS  # full admin is iam.policy-full-admin's
    assert result(ESC, _policy(_allow(Unknown("param Actions")))) == Result.UNKNOWN
    v = __import__("tests.controls.test_ec2", fromlist=["verdict"]).verdict(ESC, _policy(_allow(["iam:PassRole", "ec2:RunInstances"])))
    assert v.evidence["paths"] == ["iam:PassRole + ec2:RunInstances"]


def test_live_privilege_escalation(aws: None) -> None:
    import json

    iam = boto3.client("iam", region_name="us-east-1")

    def make(name: str, statements: list[dict[str, Any]]) -> None:
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))["Policy"]["Arn"]
        iam.create_user(UserName=f"u-{name}")
        iam.attach_user_policy(UserName=f"u-{name}", PolicyArn=arn)

    make("escalates", [_allow(["iam:PassRole", "lambda:CreateFunction"])])
    make("reads", [_allow(["iam:Get*", "iam:List*"])])
    got = results(run_control(ESC))
    assert got["escalates"] == Result.FAIL and got["reads"] == Result.PASS


# ---- f. launch templates and configurations with public IPs ---------------------------------------------

PIP = "ec2.launch-config-public-ip"


def test_launch_public_ip_pure() -> None:
    from railguard.model import Unknown

    lt = "AWS::EC2::LaunchTemplate"
    lc = "AWS::AutoScaling::LaunchConfiguration"
    nic = {"LaunchTemplateData": {"NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": "true"}]}}
    assert result(PIP, _tpl(lt, nic)) == Result.FAIL
    assert result(PIP, _tpl(lt, {"LaunchTemplateData": {"ImageId": "ami-1"}})) == Result.PASS
    assert result(PIP, _tpl(lt, {"LaunchTemplateData": {"NetworkInterfaces": [
        {"AssociatePublicIpAddress": Unknown("var.public")}]}})) == Result.UNKNOWN
    assert result(PIP, _tpl(lc, {"AssociatePublicIpAddress": True})) == Result.FAIL
    assert result(PIP, _tpl(lc, {})) == Result.PASS
    assert result(PIP, _tpl(lc, {"AssociatePublicIpAddress": Unknown("param Public")})) == Result.UNKNOWN


def test_live_launch_public_ip(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ec2.create_launch_template(LaunchTemplateName="public-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}]})
    ec2.create_launch_template(LaunchTemplateName="private-lt", LaunchTemplateData={"ImageId": "ami-12c6146b"})
    # a later version that asks for a public IP is judged too
    ec2.create_launch_template_version(LaunchTemplateName="private-lt", SourceVersion="1", LaunchTemplateData={
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}]})
    ec2.create_launch_template(LaunchTemplateName="quiet-lt", LaunchTemplateData={"ImageId": "ami-12c6146b"})
    asg = boto3.client("autoscaling", region_name="us-east-1")
    asg.create_launch_configuration(LaunchConfigurationName="public-lc", ImageId="ami-12c6146b",
                                    InstanceType="t3.micro", AssociatePublicIpAddress=True)
    asg.create_launch_configuration(LaunchConfigurationName="private-lc", ImageId="ami-12c6146b",
                                    InstanceType="t3.micro")
    got = results(run_control(PIP))
    assert got == {"public-lt": Result.FAIL, "private-lt": Result.FAIL, "quiet-lt": Result.PASS,
                   "public-lc": Result.FAIL, "private-lc": Result.PASS}


# ---- g. DMS replication instances and MQ brokers ------------------------------------------------------

DMS = "dms.replication-instance-public"
MQ = "mq.broker-public"


def test_dms_and_mq_pure() -> None:
    from railguard.model import Unknown

    ri = "AWS::DMS::ReplicationInstance"
    assert result(DMS, _tpl(ri, {})) == Result.FAIL  # CloudFormation's default is public
    assert result(DMS, _tpl(ri, {"PubliclyAccessible": "false"})) == Result.PASS
    assert result(DMS, _live(ri, "ri", {"PubliclyAccessible": True}, public_ips=["54.1.2.3"])) == Result.FAIL
    assert result(DMS, _tpl(ri, {"PubliclyAccessible": Unknown("param Public")})) == Result.UNKNOWN
    b = "AWS::AmazonMQ::Broker"
    assert result(MQ, _tpl(b, {"PubliclyAccessible": True})) == Result.FAIL
    assert result(MQ, _tpl(b, {"PubliclyAccessible": False})) == Result.PASS
    assert result(MQ, _tpl(b, {})) == Result.UNKNOWN
    assert result(MQ, _live(b, "b", {"PubliclyAccessible": Unknown("AccessDenied")})) == Result.UNKNOWN


def test_live_dms_and_mq(aws: None) -> None:
    dms = boto3.client("dms", region_name="us-east-1")
    for name, public in (("open-ri", True), ("shut-ri", False)):
        dms.create_replication_instance(ReplicationInstanceIdentifier=name, ReplicationInstanceClass="dms.t3.micro",
                                        PubliclyAccessible=public)
    mq = boto3.client("mq", region_name="us-east-1")
    for name, public in (("open-mq", True), ("shut-mq", False)):
        mq.create_broker(BrokerName=name, EngineType="ACTIVEMQ", EngineVersion="5.17.6", HostInstanceType="mq.t3.micro",
                         DeploymentMode="SINGLE_INSTANCE", PubliclyAccessible=public, AutoMinorVersionUpgrade=True,
                         Users=[{"Username": "app", "Password": "x" * 16}])
    counter = CallCounter()
    inv = live_inventory(["AWS::DMS::ReplicationInstance", "AWS::AmazonMQ::Broker"], counter=counter)
    assert results(run_control(DMS, inventory=inv)) == {"open-ri": Result.FAIL, "shut-ri": Result.PASS}
    assert results(run_control(MQ, inventory=inv)) == {"open-mq": Result.FAIL, "shut-mq": Result.PASS}
    assert counter.snapshot()["mq:DescribeBroker"] == 2


def test_event_reread_of_an_instance_reads_user_data_when_the_control_needs_it(aws: None) -> None:
    """The event place: the instance a RunInstances record names, re-read alone, is judged like a scan's."""
    from railguard.controls import get_control
    from railguard.sources.aws.single import read_one
    from tests.livehelp import session

    ec2 = boto3.client("ec2", region_name="us-east-1")
    iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, UserData=SCRIPT)["Instances"][0]["InstanceId"]
    c = get_control(UD)
    one = read_one(session(), "AWS::EC2::Instance", iid, "us-east-1", needed=c.types)
    v = c(one, Context(Inventory([one])))
    assert v is not None and v.result == Result.FAIL
    bare = read_one(session(), "AWS::EC2::Instance", iid, "us-east-1")
    assert isinstance(bare.get_raw("UserData"), __import__("railguard.model", fromlist=["Unknown"]).Unknown)


def test_terraform_user_data_with_unknown_interpolations_is_judged_on_its_literal_text(tmp_path: Any) -> None:
    from railguard.engine.evaluate import evaluate
    from railguard.engine.plan import PlannedControl
    from railguard.sources.terraform import load_directory

    (tmp_path / "main.tf").write_text('''variable "db_host" {}
resource "aws_instance" "leaky" {
  ami       = "ami-0123456789abcdef0"
  user_data = <<-EOT
    #!/bin/bash
    echo ${var.db_host} > /etc/dbhost
    export DB_PASSWORD='Xk9#mQ2vLp7Zr4Wt'
  EOT
}
resource "aws_instance" "tidy" {
  ami       = "ami-0123456789abcdef0"
  user_data = <<-EOT
    echo ${var.db_host} > /etc/dbhost
  EOT
}
resource "aws_instance" "opaque" {
  ami       = "ami-0123456789abcdef0"
  user_data = "echo ${var.db_host} > /etc/dbhost"
}
''')
    loaded = load_directory(tmp_path)
    c = get_control(UD)
    got = {f.resource_name or f.resource_id: f.result
           for f in evaluate([PlannedControl(c, dict(c.params))], Inventory(loaded.resources), place="iac")}
    # a quoted template with an unknown interpolation keeps no text (only heredocs do): UNKNOWN
    assert got == {"aws_instance.leaky": Result.FAIL, "aws_instance.tidy": Result.PASS,
                   "aws_instance.opaque": Result.UNKNOWN}


def test_partial_text_is_an_unknown_equal_to_its_plain_form() -> None:
    from railguard.model import PartialText, Unknown

    p = PartialText("Fn::Sub: x", "echo ${AWS::Region}")
    assert p == Unknown("Fn::Sub: x") and Unknown("Fn::Sub: x") == p and not p
    assert hash(p) == hash(Unknown("Fn::Sub: x")) and len({p, Unknown("Fn::Sub: x")}) == 1
