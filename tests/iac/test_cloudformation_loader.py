"""The CloudFormation loader: tags, parameters, conditions, mappings, Sub, unknowns, lines,
folding of stand-alone security group rules, inline ignores, hostile input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from railguard.model import Resource, Unknown
from railguard.sources.cloudformation import NotATemplate, load_file, load_text
from railguard.sources.loaded import Loaded


def load(text: str, params: dict[str, str] | None = None, **kw: object) -> Loaded:
    return load_text(textwrap.dedent(text), "t.yaml", params, **kw)  # type: ignore[arg-type]


def by_id(loaded: Loaded, lid: str) -> Resource:
    return next(r for r in loaded.resources if r.id == lid)


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Open:
    Type: String
    Default: 0.0.0.0
  Env:
    Type: String
    Default: prod
  Nets:
    Type: CommaDelimitedList
    Default: "10.0.0.0/8, 0.0.0.0/0"
  Port:
    Type: Number
    Default: 22
  NoDefault:
    Type: String
Mappings:
  Cidrs:
    world: {v4: 0.0.0.0/0}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Unsure: !Equals [!Ref NoDefault, x]
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupName: !Sub "${Env}-sg"
      GroupDescription: !Sub "${AWS::StackName} group"
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: !Ref Port
          ToPort: 22
          CidrIp: !Sub "${Open}/0"
        - IpProtocol: tcp
          FromPort: 3389
          ToPort: 3389
          CidrIp: !FindInMap [Cidrs, world, v4]
        - !If [IsDev, {IpProtocol: tcp, FromPort: 1, ToPort: 2, CidrIp: 1.1.1.1/32}, !Ref AWS::NoValue]
  Rule:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt Group.GroupId
      IpProtocol: "-1"
      CidrIp: !Select [1, !Ref Nets]
  DevOnly:
    Type: AWS::S3::Bucket
    Condition: IsDev
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ["-", [logs, !Ref Env]]
      Later: !GetAtt Group.VpcId2
      Either: !If [Unsure, a, b]
      Same: !If [Unsure, a, a]
      Subnets: !Cidr ["10.0.0.0/16", 2, 8]
      Imported: !ImportValue shared-key
      Azs: !GetAZs ""
      Encoded: !Base64 "echo hi"
      Split: !Split [",", "a,b"]
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Logs
      PolicyDocument:
        Statement:
          - Effect: Allow
            Resource: !Sub "${Logs.Arn}/*"
"""


def test_short_tags_parameters_mappings_and_sub() -> None:
    loaded = load(TEMPLATE)
    assert not loaded.errors
    sg = by_id(loaded, "Group")
    ingress = sg.get("SecurityGroupIngress")
    assert ingress[0] == {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
    assert ingress[1]["CidrIp"] == "0.0.0.0/0"  # FindInMap
    assert sg.name == "prod-sg"  # physical name from GroupName (Sub of a parameter)
    assert isinstance(sg.get_raw("GroupDescription"), Unknown)  # AWS::StackName not given


def test_conditions_if_novalue_and_false_condition_skips_resource() -> None:
    loaded = load(TEMPLATE)
    assert "DevOnly" not in {r.id for r in loaded.resources}
    assert len(by_id(loaded, "Group").get("SecurityGroupIngress")) == 3  # If -> NoValue removed, + folded rule
    dev = load(TEMPLATE, {"Env": "dev"})
    assert "DevOnly" in {r.id for r in dev.resources}
    assert {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "CidrIp": "1.1.1.1/32"} in by_id(dev, "Group").get(
        "SecurityGroupIngress"
    )


def test_unknowns_never_look_like_values() -> None:
    logs = by_id(load(TEMPLATE), "Logs")
    for key in ("Later", "Either", "Imported", "Azs"):
        assert isinstance(logs.get_raw(key), Unknown), key
    assert logs.get("Same") == "a"  # both branches agree
    assert logs.get("Subnets") == ["10.0.0.0/24", "10.0.1.0/24"]
    assert logs.get("Encoded") == "echo hi"
    assert logs.get("Split") == ["a", "b"]
    from railguard.model import UnknownValue

    with pytest.raises(UnknownValue):
        logs.get("Either")


def test_ref_and_getatt_to_resources_give_physical_names() -> None:
    loaded = load(TEMPLATE)
    policy = by_id(loaded, "Policy")
    assert policy.get("Bucket") == "logs-prod"
    assert by_id(loaded, "Logs").name == "logs-prod"
    assert policy.get("PolicyDocument.Statement.0.Resource") == "arn:aws:s3:::logs-prod/*"


def test_ref_to_unnamed_resource_gives_logical_id() -> None:
    loaded = load("""
        Resources:
          Key:
            Type: AWS::KMS::Key
          Topic:
            Type: AWS::SNS::Topic
            Properties:
              KmsMasterKeyId: !Ref Key
              Other: !GetAtt Key.Arn
    """)
    topic = by_id(loaded, "Topic")
    assert topic.get("KmsMasterKeyId") == "Key"
    assert topic.get("Other") == "Key"


def test_param_overrides_and_pseudo_parameters() -> None:
    text = """
        Parameters:
          Cidr: {Type: String, Default: 10.0.0.0/8}
        Resources:
          G:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: !Sub "${AWS::Region}-${AWS::AccountId}"
              SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}]
    """
    g = by_id(load(text, {"Cidr": "0.0.0.0/0", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}), "G")
    assert g.get("SecurityGroupIngress.0.CidrIp") == "0.0.0.0/0"
    assert g.get("GroupDescription") == "eu-west-1-123456789012"
    assert g.region == "eu-west-1" and g.account == "123456789012"
    g2 = by_id(load(text), "G")
    assert isinstance(g2.get_raw("GroupDescription"), Unknown)


def test_parameter_without_default_is_unknown() -> None:
    loaded = load("""
        Parameters:
          Public: {Type: String}
        Resources:
          Db:
            Type: AWS::RDS::DBInstance
            Properties: {PubliclyAccessible: !Ref Public}
    """)
    assert isinstance(by_id(loaded, "Db").get_raw("PubliclyAccessible"), Unknown)


def test_ssm_parameter_is_unknown_even_with_default() -> None:
    loaded = load("""
        Parameters:
          Ami: {Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", Default: /aws/service/ami}
        Resources:
          I:
            Type: AWS::EC2::Instance
            Properties: {ImageId: !Ref Ami}
    """)
    assert isinstance(by_id(loaded, "I").get_raw("ImageId"), Unknown)


def test_line_numbers_for_every_resource_yaml_and_json() -> None:
    loaded = load(TEMPLATE)
    lines = TEMPLATE.splitlines()
    for r in loaded.resources:
        assert r.origin.file == "t.yaml"
        assert r.origin.line is not None
        assert lines[r.origin.line - 1].strip().startswith(f"{r.id}:"), r.id
    json_text = (
        '{\n  "Resources": {\n    "A": {"Type": "AWS::S3::Bucket", "Properties": {"X": {"Ref": "B"}}},\n'
        '\n    "B": {\n      "Type": "AWS::SNS::Topic"\n    }\n  }\n}\n'
    )
    j = load_text(json_text, "t.json")
    assert {r.id: r.origin.line for r in j.resources} == {"A": 3, "B": 5}
    assert by_id(j, "A").get("X") == "B"


def test_long_form_intrinsics_in_yaml_and_getatt_list_form() -> None:
    loaded = load("""
        Resources:
          Q:
            Type: AWS::SQS::Queue
            Properties:
              KmsMasterKeyId: {"Fn::GetAtt": [K, Arn]}
              Name: {"Fn::Join": ["", ["a", {"Ref": "AWS::NoValue"}, "b"]]}
          K:
            Type: AWS::KMS::Key
    """)
    q = by_id(loaded, "Q")
    assert q.get("KmsMasterKeyId") == "K"
    assert q.get("Name") == "ab"


def test_sub_with_variables_and_literals() -> None:
    loaded = load("""
        Parameters:
          Octet: {Type: String, Default: "0"}
        Resources:
          G:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: !Sub ["${A}.${A}.0.${Octet}/0 ${!Literal}", {A: "0"}]
    """)
    assert by_id(loaded, "G").get("GroupDescription") == "0.0.0.0/0 ${Literal}"


def test_folding_security_group_rules_into_the_group() -> None:
    loaded = load(TEMPLATE)
    types = {r.type for r in loaded.resources}
    assert "AWS::EC2::SecurityGroupIngress" not in types
    ingress = by_id(loaded, "Group").get("SecurityGroupIngress")
    assert {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"} in ingress


def test_rule_for_a_group_outside_the_template_becomes_its_own_group() -> None:
    loaded = load("""
        Parameters:
          GroupId: {Type: "AWS::EC2::SecurityGroup::Id"}
        Resources:
          Egress:
            Type: AWS::EC2::SecurityGroupEgress
            Properties: {GroupId: !Ref GroupId, IpProtocol: "-1", CidrIp: 0.0.0.0/0}
    """)
    (r,) = [r for r in loaded.resources if r.type == "AWS::EC2::SecurityGroup"]
    assert r.id == "Egress"
    assert r.get("SecurityGroupEgress") == [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]


def test_nacl_entries_and_bucket_policies_stay_resources() -> None:
    loaded = load("""
        Resources:
          Acl: {Type: AWS::EC2::NetworkAcl, Properties: {VpcId: v}}
          Entry:
            Type: AWS::EC2::NetworkAclEntry
            Properties: {NetworkAclId: !Ref Acl, RuleNumber: 1, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
          B: {Type: AWS::S3::Bucket}
          P: {Type: AWS::S3::BucketPolicy, Properties: {Bucket: !Ref B, PolicyDocument: {}}}
    """)
    assert {r.type for r in loaded.resources} == {
        "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry", "AWS::S3::Bucket", "AWS::S3::BucketPolicy"
    }


def test_inline_ignore_comments_and_metadata() -> None:
    loaded = load("""
        Resources:
          # railguard:ignore ec2.sg-admin-port-open-to-world bastion, ticket SEC-42
          Bastion:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: x  # railguard:ignore ec2.sg-world-ingress-undescribed described elsewhere
          Bucket:
            Type: AWS::S3::Bucket
            Metadata:
              railguard:
                ignore:
                  - {id: s3.versioning-enabled, reason: scratch bucket}
    """)
    got = {(i.control_id, i.resource_id, i.reason) for i in loaded.ignores}
    assert got == {
        ("ec2.sg-admin-port-open-to-world", "Bastion", "bastion, ticket SEC-42"),
        ("ec2.sg-world-ingress-undescribed", "Bastion", "described elsewhere"),
        ("s3.versioning-enabled", "Bucket", "scratch bucket"),
    }
    assert not loaded.errors


def test_ignore_without_reason_is_an_error_not_a_suppression() -> None:
    loaded = load("""
        Resources:
          # railguard:ignore ec2.sg-admin-port-open-to-world
          G: {Type: AWS::EC2::SecurityGroup}
          B:
            Type: AWS::S3::Bucket
            Metadata: {railguard: {ignore: [{id: s3.versioning-enabled}]}}
    """)
    assert not loaded.ignores
    assert len(loaded.errors) == 2
    assert all("no reason" in e.message for e in loaded.errors)
    assert {e.line for e in loaded.errors} == {3, 5}


def test_inline_ignores_disabled() -> None:
    loaded = load("""
        Resources:
          # railguard:ignore x.y because
          G: {Type: AWS::EC2::SecurityGroup, Metadata: {railguard: {ignore: [{id: a.b, reason: r}]}}}
    """, inline_ignores=False)
    assert not loaded.ignores and not loaded.errors


def test_parameters_are_resources_for_template_only_controls() -> None:
    loaded = load("""
        Parameters:
          DbPassword: {Type: String, Default: hunter2}
        Resources:
          B: {Type: AWS::S3::Bucket}
    """)
    p = by_id(loaded, "DbPassword")
    assert p.type == "RailGuard::CloudFormation::Parameter"
    assert p.get("Default") == "hunter2" and p.origin.line == 3


def test_sam_template_loads() -> None:
    loaded = load("""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, Handler: a.b, Environment: {Variables: {A: !Ref AWS::Region}}}
    """)
    assert by_id(loaded, "Fn").type == "AWS::Lambda::Function"


# --- bad input -------------------------------------------------------------------------------


def test_not_a_template_raises() -> None:
    with pytest.raises(NotATemplate):
        load("name: ci\non: [push]\n")
    with pytest.raises(NotATemplate):
        load_text('{"name": "package", "version": "1.0.0"}', "package.json")


def test_malformed_yaml_and_json_give_errors_with_lines() -> None:
    y = load("Resources:\n  A:\n    Type: [unclosed\n")
    assert y.errors and y.errors[0].line is not None and "invalid YAML" in y.errors[0].message
    j = load_text('{\n "Resources": {\n  "A": {"Type": "AWS::S3::Bucket",}\n }\n}', "t.json")
    assert j.errors and j.errors[0].line == 3 and "invalid JSON" in j.errors[0].message


def test_alias_bomb_is_refused() -> None:
    lines = ["Resources:", "  B:", "    Type: AWS::S3::Bucket", "    Properties:", '      a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        refs = ",".join(f"*a{i - 1}" for _ in range(9))
        lines.append(f"      a{i}: &a{i} [{refs}]")
    loaded = load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert len(loaded.errors) == 1 and "alias" in loaded.errors[0].message
    assert not loaded.resources


def test_few_aliases_are_fine() -> None:
    loaded = load("""
        Resources:
          A: {Type: AWS::S3::Bucket, Properties: &p {Tags: [{Key: k, Value: v}]}}
          B: {Type: AWS::S3::Bucket, Properties: *p}
    """)
    assert by_id(loaded, "B").tags == {"k": "v"}


def test_circular_reference_is_an_error_on_the_resource_line() -> None:
    loaded = load("""
        Resources:
          A:
            Type: AWS::S3::Bucket
            Properties: {BucketName: !Ref B}
          B:
            Type: AWS::S3::Bucket
            Properties: {BucketName: !Ref A}
          C: {Type: AWS::SNS::Topic}
    """)
    assert loaded.errors and "circular" in loaded.errors[0].message
    assert loaded.errors[0].line in (3, 6)
    assert "C" in {r.id for r in loaded.resources}


def test_circular_conditions() -> None:
    loaded = load("""
        Conditions:
          A: !Condition B
          B: !Condition A
        Resources:
          X: {Type: AWS::S3::Bucket, Condition: A}
    """)
    assert loaded.errors and "circular" in loaded.errors[0].message


def test_resource_without_type_and_rain_module() -> None:
    loaded = load("""
        Resources:
          Mod:
            Type: !Rain::Module ./bucket.yml
          NoType:
            Properties: {}
          Ok: {Type: AWS::S3::Bucket}
    """)
    messages = [e.message for e in loaded.errors]
    assert any("Rain module" in m for m in messages) and any("has no Type" in m for m in messages)
    assert [r.id for r in loaded.resources] == ["Ok"]


def test_big_file_refused(tmp_path: Path) -> None:
    p = tmp_path / "big.yaml"
    p.write_text("Resources:\n" + "#" * 100 + "\n")
    loaded = load_file(p, max_bytes=50)
    assert loaded.errors and "limit" in loaded.errors[0].message


def test_non_utf8_bytes_reported_and_template_still_scanned(tmp_path: Path) -> None:
    p = tmp_path / "latin.yaml"
    p.write_bytes(b"Description: caf\xe9\nResources:\n  B:\n    Type: AWS::S3::Bucket\n")
    loaded = load_file(p)
    assert loaded.errors and "UTF-8" in loaded.errors[0].message and loaded.errors[0].line == 1
    assert [r.id for r in loaded.resources] == ["B"]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    text = '{"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": {"X": ' + "[" * 100000 + "]" * 100000 + "}}}}"
    loaded = load_text(text, "deep.json")
    assert loaded.errors


def test_sam_resources_become_their_cloudformation_type_with_globals() -> None:
    loaded = load("""
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: python3.12
            Environment: {Variables: {STAGE: prod}}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {Handler: a.b, CodeUri: src/}
          Table:
            Type: AWS::Serverless::SimpleTable
            Properties: {SSESpecification: {SSEEnabled: true}}
    """)
    fn = by_id(loaded, "Fn")
    assert fn.type == "AWS::Lambda::Function"
    assert fn.get("Runtime") == "python3.12" and fn.get("Environment.Variables.STAGE") == "prod"
    assert by_id(loaded, "Table").type == "AWS::DynamoDB::Table"


# --- property: any text gives a result or NotATemplate, never another exception --------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKENS = st.sampled_from([
    "Resources:", "\n", "  ", "A:", "Type:", "AWS::S3::Bucket", "!Ref", "!Sub", "!GetAtt", "!If", "!Join",
    "!Select", "!FindInMap", "!Condition", "Properties:", "Conditions:", "Parameters:", "Mappings:", "[", "]",
    "{", "}", ",", "- ", "&a", "*a", "${A}", "'", '"', "0.0.0.0/0", "Fn::If", "Ref", "#", "railguard:ignore",
    "x.y", "reason", "AWS::NoValue", "Condition:", "Default:", "Metadata:", ":", "B", "A.Arn",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TOKENS, max_size=60).map(" ".join))
def test_arbitrary_yaml_like_text_never_crashes(text: str) -> None:
    try:
        loaded = load_text("Resources:\n" + text, "fuzz.yaml")
    except NotATemplate:
        return
    for r in loaded.resources:
        assert r.origin.file == "fuzz.yaml"


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.sampled_from(["A", "B", "AWS::Region"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["Ref", "Fn::If", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::GetAtt",
                                        "Fn::FindInMap", "Fn::Equals", "Fn::Not", "Condition", "X"]), inner, max_size=2),
    max_leaves=12,
))
def test_arbitrary_intrinsics_never_crash(props: object) -> None:
    import json

    template = {"Conditions": {"C": props}, "Resources": {
        "A": {"Type": "AWS::S3::Bucket", "Properties": {"P": props, "BucketName": props}},
        "B": {"Type": "AWS::SNS::Topic", "Condition": "C", "Properties": {"Q": props}},
    }}
    load_text(json.dumps(template), "fuzz.json")


def test_expression_written_like_a_resources_unresolved_name_refers_to_it() -> None:
    loaded = load("""
        Parameters:
          App: {Type: String}
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: !Sub ${App}-logs-${AWS::Region}
          LogsData:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: !Sub ${App}-logs-${AWS::Region}-data
          Policy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Sub ${App}-logs-${AWS::Region}
              PolicyDocument:
                Statement:
                  - Resource:
                      - !Sub arn:${AWS::Partition}:s3:::${App}-logs-${AWS::Region}/*
                      - !Sub arn:${AWS::Partition}:s3:::${App}-logs-${AWS::Region}-data/*
                      - !Sub arn:${AWS::Partition}:s3:::${App}-logs-${AWS::Region}-other/*
    """)
    policy = by_id(loaded, "Policy")
    assert policy.get("Bucket") == "Logs"  # the same reference as !Ref Logs (name unknown)
    arns = policy.get_raw("PolicyDocument.Statement.0.Resource")
    assert arns[0] == "arn:aws:s3:::Logs/*"
    assert arns[1] == "arn:aws:s3:::LogsData/*"  # the longer name is not mistaken for the shorter
    assert isinstance(arns[2], Unknown)  # names no resource: stays unknown
    assert by_id(loaded, "Logs").name == "Logs"


def test_properties_unknown_as_a_whole_give_unknown_not_fail() -> None:
    from railguard.model import UnknownValue

    loaded = load("""
        Parameters:
          Env: {Type: String}
        Conditions:
          Prod: !Equals [!Ref Env, prod]
        Resources:
          B:
            Type: AWS::S3::Bucket
            Properties: !If [Prod, {VersioningConfiguration: {Status: Enabled}}, {}]
    """)
    b = by_id(loaded, "B")
    with pytest.raises(UnknownValue):
        b.get("VersioningConfiguration.Status")
