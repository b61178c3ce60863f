"""S3 controls on hand-built CloudFormation-shaped resources (template and live)."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.controls import IAC, LIVE, get_control
from railguard.engine.evaluate import evaluate
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Origin, Resource, Result, Unknown

ACCT = "123456789012"
ALL_ON = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
ALL_OFF = dict.fromkeys(ALL_ON, False)


def tpl_bucket(logical: str = "Data", file: str = "t.yaml", **props: Any) -> Resource:
    return Resource("AWS::S3::Bucket", logical, props, origin=Origin(file=file, line=3))


def live_bucket(name: str = "data-bkt", live: dict[str, Any] | None = None, **props: Any) -> Resource:
    return Resource(
        "AWS::S3::Bucket", name, {"BucketName": name, **props}, arn=f"arn:aws:s3:::{name}",
        account=ACCT, region="us-east-1", origin=Origin(account=ACCT, region="us-east-1"),
        live={"mfa_delete": "Disabled", "acl_grants": [], **(live or {})}, name=name,
    )


def account_block(**settings: Any) -> Resource:
    props = {**ALL_OFF, **settings}
    return Resource(
        "RailGuard::S3::AccountPublicAccessBlock", ACCT, props, account=ACCT, region="global",
        origin=Origin(account=ACCT, region="global"), live={"exists": any(settings.values())}, name=ACCT,
    )


def policy(bucket_ref: Any, statements: Any, file: str | None = "t.yaml") -> Resource:
    origin = Origin(file=file, line=20) if file else Origin(account=ACCT, region="us-east-1")
    return Resource(
        "AWS::S3::BucketPolicy", f"{bucket_ref}/policy" if isinstance(bucket_ref, str) else "Policy",
        {"Bucket": bucket_ref, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}},
        account=None if file else ACCT, origin=origin,
    )


def check(control_id: str, *resources: Resource, place: str = IAC, **params: Any) -> dict[str, tuple[Result, str]]:
    c = get_control(control_id)
    findings = evaluate([PlannedControl(c, {**c.params, **params})], Inventory(resources), place=place)
    return {f.resource_id: (f.result, f.reason) for f in findings}


def deny_http_statement(resources: Any = ("arn:aws:s3:::my-bkt", "arn:aws:s3:::my-bkt/*"), **over: Any) -> dict:
    stmt = {
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": list(resources),
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    stmt.update(over)
    return stmt


# ---------------------------------------------------------------- deny-http


def test_deny_http_template_pass_and_fail() -> None:
    good = tpl_bucket("Good", BucketName="my-bkt")
    bad = tpl_bucket("Bad", BucketName="other-bkt")
    out = check(
        "s3.deny-http", good, bad, policy("Good", [deny_http_statement()]),
        policy("Bad", [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]),
    )
    assert out["Good"][0] == Result.PASS
    assert out["Bad"][0] == Result.FAIL


def test_deny_http_no_policy_fails_live() -> None:
    out = check("s3.deny-http", live_bucket(), place=LIVE)
    assert out["data-bkt"] == (Result.FAIL, "the bucket has no policy, so plain-HTTP requests are not denied")


@pytest.mark.parametrize(
    "stmt",
    [
        deny_http_statement(resources=["arn:aws:s3:::my-bkt/*"]),  # objects only
        deny_http_statement(Action="s3:GetObject"),  # one action
        deny_http_statement(Principal={"AWS": "arn:aws:iam::1:root"}),  # one principal
        deny_http_statement(Condition={"Bool": {"aws:SecureTransport": "true"}}),
        deny_http_statement(Effect="Allow"),
    ],
)
def test_deny_http_partial_statements_fail(stmt: dict) -> None:
    b = live_bucket("my-bkt")
    out = check("s3.deny-http", b, policy("my-bkt", [stmt], file=None), place=LIVE)
    assert out["my-bkt"][0] == Result.FAIL


@pytest.mark.parametrize(
    "stmt",
    [
        deny_http_statement(resources=["*"]),
        deny_http_statement(resources=["arn:aws:s3:::my-*", "arn:aws:s3:::my-bkt/*"], Action=["*"]),
        deny_http_statement(Principal={"AWS": ["*"]}, Condition={"BoolIfExists": {"aws:securetransport": False}}),
    ],
)
def test_deny_http_equivalent_forms_pass(stmt: dict) -> None:
    b = live_bucket("my-bkt")
    out = check("s3.deny-http", b, policy("my-bkt", [stmt], file=None), place=LIVE)
    assert out["my-bkt"][0] == Result.PASS


def test_deny_http_unknown_document_or_target_is_unknown() -> None:
    b = live_bucket("my-bkt")
    p = Resource(
        "AWS::S3::BucketPolicy", "my-bkt/policy", {"Bucket": "my-bkt", "PolicyDocument": Unknown("access denied")},
        account=ACCT, origin=Origin(account=ACCT, region="us-east-1"), name="my-bkt",
    )
    assert check("s3.deny-http", b, p, place=LIVE)["my-bkt"][0] == Result.UNKNOWN
    t = tpl_bucket("Good", BucketName="my-bkt")
    unresolved = policy(Unknown("!ImportValue BucketName"), [deny_http_statement()])
    assert check("s3.deny-http", t, unresolved)["Good"][0] == Result.UNKNOWN
    unknown_resource = policy("Good", [deny_http_statement(resources=[Unknown("!GetAtt X.Arn")])])
    assert check("s3.deny-http", t, unknown_resource)["Good"][0] == Result.UNKNOWN


def test_deny_http_policy_in_another_template_does_not_count() -> None:
    b = tpl_bucket("Good", file="a.yaml", BucketName="my-bkt")
    out = check("s3.deny-http", b, policy("Good", [deny_http_statement()], file="b.yaml"))
    assert out["Good"][0] == Result.FAIL


# ---------------------------------------------------------------- mfa-delete


def test_mfa_delete() -> None:
    on = live_bucket("on-bkt", live={"mfa_delete": "Enabled"}, VersioningConfiguration={"Status": "Enabled"})
    off = live_bucket("off-bkt", VersioningConfiguration={"Status": "Enabled"})
    unknown_ = live_bucket("unk-bkt", live={"mfa_delete": Unknown("access denied")})
    out = check("s3.mfa-delete", on, off, unknown_, place=LIVE)
    assert out["on-bkt"][0] == Result.PASS
    assert out["off-bkt"][0] == Result.FAIL
    assert out["unk-bkt"][0] == Result.UNKNOWN
    assert "iac" not in get_control("s3.mfa-delete").places


# ---------------------------------------------------------------- public access blocks


def test_bucket_pab_template() -> None:
    out = check(
        "s3.bucket-public-access-block",
        tpl_bucket("Blocked", PublicAccessBlockConfiguration=dict(ALL_ON)),
        tpl_bucket("Missing"),
        tpl_bucket("Partial", PublicAccessBlockConfiguration={**ALL_ON, "RestrictPublicBuckets": "false"}),
        tpl_bucket("Strings", PublicAccessBlockConfiguration={k: "true" for k in ALL_ON}),
        tpl_bucket("Unresolved", PublicAccessBlockConfiguration={**ALL_ON, "BlockPublicAcls": Unknown("!Ref P")}),
    )
    assert out["Blocked"][0] == Result.PASS
    assert out["Strings"][0] == Result.PASS
    assert out["Missing"] == (Result.FAIL, "the bucket has no public access block configuration")
    assert out["Partial"][0] == Result.FAIL and "RestrictPublicBuckets" in out["Partial"][1]
    assert out["Unresolved"][0] == Result.UNKNOWN


def test_bucket_pab_settings_combine_per_key_and_known_off_beats_unknown() -> None:
    half = live_bucket("half-bkt", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    other_half = account_block(BlockPublicPolicy=True, RestrictPublicBuckets=True)
    assert check("s3.bucket-public-access-block", half, other_half, place=LIVE)["half-bkt"][0] == Result.PASS
    out = check("s3.bucket-public-access-block", half, account_block(BlockPublicPolicy=True), place=LIVE)
    assert out["half-bkt"][0] == Result.FAIL and "RestrictPublicBuckets" in out["half-bkt"][1]
    mixed = tpl_bucket("Mixed", PublicAccessBlockConfiguration={**ALL_ON, "BlockPublicAcls": Unknown("!Ref P"),
                                                                "RestrictPublicBuckets": False})
    assert check("s3.bucket-public-access-block", mixed)["Mixed"][0] == Result.FAIL


def test_bucket_pab_live_account_block_covers() -> None:
    bare = live_bucket("bare-bkt")
    assert check("s3.bucket-public-access-block", bare, account_block(**ALL_ON), place=LIVE)["bare-bkt"][0] == Result.PASS
    assert check("s3.bucket-public-access-block", bare, account_block(), place=LIVE)["bare-bkt"][0] == Result.FAIL
    # account block not read: cannot tell
    assert check("s3.bucket-public-access-block", bare, place=LIVE)["bare-bkt"][0] == Result.UNKNOWN
    denied = live_bucket("denied-bkt", PublicAccessBlockConfiguration=Unknown("access denied"))
    out = check("s3.bucket-public-access-block", denied, account_block(), place=LIVE)
    assert out["denied-bkt"][0] == Result.UNKNOWN
    out = check("s3.bucket-public-access-block", denied, account_block(**ALL_ON), place=LIVE)
    assert out["denied-bkt"][0] == Result.PASS


def test_account_pab() -> None:
    on = check("s3.account-public-access-block", account_block(**ALL_ON), place=LIVE)
    off = check("s3.account-public-access-block", account_block(), place=LIVE)
    part = check("s3.account-public-access-block", account_block(**{**ALL_ON, "BlockPublicPolicy": False}), place=LIVE)
    unk = check("s3.account-public-access-block", account_block(**{**ALL_ON, "BlockPublicAcls": Unknown("denied")}),
                place=LIVE)
    assert on[ACCT][0] == Result.PASS
    assert off[ACCT] == (Result.FAIL, "the account has no S3 public access block")
    assert part[ACCT][0] == Result.FAIL and "BlockPublicPolicy" in part[ACCT][1]
    assert unk[ACCT][0] == Result.UNKNOWN


# ---------------------------------------------------------------- public ACL


def test_public_acl_template() -> None:
    out = check(
        "s3.public-acl",
        tpl_bucket("Private", AccessControl="Private"),
        tpl_bucket("NoAcl"),
        tpl_bucket("PublicRead", AccessControl="PublicRead"),
        tpl_bucket("AuthRead", AccessControl="AuthenticatedRead"),
        tpl_bucket("Ignored", AccessControl="PublicReadWrite", PublicAccessBlockConfiguration=dict(ALL_ON)),
        tpl_bucket("Unresolved", AccessControl=Unknown("!Ref Acl")),
    )
    assert out["Private"][0] == out["NoAcl"][0] == out["Ignored"][0] == Result.PASS
    assert out["PublicRead"][0] == out["AuthRead"][0] == Result.FAIL
    assert out["Unresolved"][0] == Result.UNKNOWN


def test_public_acl_live_grants() -> None:
    grants = [{"grantee": "http://acs.amazonaws.com/groups/global/AllUsers", "permission": "READ"}]
    public = live_bucket("pub-bkt", live={"acl_grants": grants}, PublicAccessBlockConfiguration=None)
    out = check("s3.public-acl", public, account_block(), place=LIVE)
    assert out["pub-bkt"][0] == Result.FAIL
    out = check("s3.public-acl", public, account_block(IgnorePublicAcls=True), place=LIVE)
    assert out["pub-bkt"][0] == Result.PASS
    out = check("s3.public-acl", public, place=LIVE)  # account block unread
    assert out["pub-bkt"][0] == Result.UNKNOWN
    private = live_bucket("priv-bkt", AccessControl="Private")
    assert check("s3.public-acl", private, account_block(), place=LIVE)["priv-bkt"][0] == Result.PASS


# ---------------------------------------------------------------- encryption, versioning, logging


def _sse(algorithm: Any, key: str | None = None) -> dict:
    default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if key:
        default["KMSMasterKeyID"] = key
    return {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": default}]}


def test_default_encryption() -> None:
    resources = [
        tpl_bucket("Kms", BucketEncryption=_sse("aws:kms", "alias/data")),
        tpl_bucket("S3Managed", BucketEncryption=_sse("AES256")),
        tpl_bucket("None"),
        tpl_bucket("Unresolved", BucketEncryption=_sse(Unknown("!Ref Algo"))),
    ]
    out = check("s3.default-encryption", *resources)
    assert out["Kms"][0] == out["S3Managed"][0] == Result.PASS
    assert out["None"][0] == Result.FAIL
    assert out["Unresolved"][0] == Result.UNKNOWN
    strict = check("s3.default-encryption", *resources, require_kms=True)
    assert strict["Kms"][0] == Result.PASS
    assert strict["S3Managed"][0] == Result.FAIL
    denied = live_bucket("denied-bkt", BucketEncryption=Unknown("access denied"))
    assert check("s3.default-encryption", denied, place=LIVE)["denied-bkt"][0] == Result.UNKNOWN


def test_versioning() -> None:
    out = check(
        "s3.versioning-enabled",
        tpl_bucket("On", VersioningConfiguration={"Status": "Enabled"}),
        tpl_bucket("Suspended", VersioningConfiguration={"Status": "Suspended"}),
        tpl_bucket("Never"),
        tpl_bucket("Unresolved", VersioningConfiguration={"Status": Unknown("!If")}),
    )
    assert out["On"][0] == Result.PASS
    assert out["Suspended"][0] == out["Never"][0] == Result.FAIL
    assert out["Unresolved"][0] == Result.UNKNOWN


def test_access_logging() -> None:
    out = check(
        "s3.access-logging-enabled",
        tpl_bucket("ToLogs", LoggingConfiguration={"DestinationBucketName": "logs", "LogFilePrefix": "x/"}),
        tpl_bucket("ToSelf", LoggingConfiguration={}),
        tpl_bucket("Off"),
        tpl_bucket("Unresolved", LoggingConfiguration={"DestinationBucketName": Unknown("!Ref Logs")}),
    )
    assert out["ToLogs"][0] == out["ToSelf"][0] == Result.PASS
    assert out["Off"][0] == Result.FAIL
    assert out["Unresolved"][0] == Result.UNKNOWN


def test_facet_not_collected_is_unknown() -> None:
    missing = Unknown("not collected: no selected control reads AWS::S3::Bucket#Logging")
    b = live_bucket("b-bkt", LoggingConfiguration=missing)
    assert check("s3.access-logging-enabled", b, place=LIVE)["b-bkt"][0] == Result.UNKNOWN


def test_controls_declare_their_facets() -> None:
    from railguard.sources.aws.collectors import s3 as collector

    facets = set(collector.FACETS)
    for cid, facet in [
        ("s3.bucket-public-access-block", collector.FACET_PAB),
        ("s3.mfa-delete", collector.FACET_VERSIONING),
        ("s3.versioning-enabled", collector.FACET_VERSIONING),
        ("s3.default-encryption", collector.FACET_ENCRYPTION),
        ("s3.access-logging-enabled", collector.FACET_LOGGING),
        ("s3.public-acl", collector.FACET_ACL),
    ]:
        reads = set(get_control(cid).reads)
        assert facet in reads, cid
        assert {t for t in reads if t.startswith("AWS::S3::Bucket#")} <= facets, cid


def test_deny_http_terraform_address_stands_in_for_the_arn() -> None:
    b = Resource("AWS::S3::Bucket", "aws_s3_bucket.logs", {}, origin=Origin(file="main.tf", line=1),
                 name="aws_s3_bucket.logs")
    stmt = deny_http_statement(resources=["aws_s3_bucket.logs", "aws_s3_bucket.logs/*"])
    p = policy("aws_s3_bucket.logs", [stmt], file="main.tf")
    assert check("s3.deny-http", b, p)["aws_s3_bucket.logs"][0] == Result.PASS
    other = deny_http_statement(resources=["aws_s3_bucket.other", "aws_s3_bucket.other/*"])
    p = policy("aws_s3_bucket.logs", [other], file="main.tf")
    assert check("s3.deny-http", b, p)["aws_s3_bucket.logs"][0] == Result.FAIL


def test_account_pab_in_a_template() -> None:
    def tpl_block(**settings: Any) -> Resource:
        return Resource("RailGuard::S3::AccountPublicAccessBlock", "acct", {**ALL_OFF, **settings},
                        origin=Origin(file="main.tf", line=7))
    assert check("s3.account-public-access-block", tpl_block(**ALL_ON))["acct"][0] == Result.PASS
    out = check("s3.account-public-access-block", tpl_block(BlockPublicAcls=True))
    assert out["acct"][0] == Result.FAIL and "IgnorePublicAcls" in out["acct"][1]


# ---------------------------------------------------------------- deny-http: unknowns that cannot change the answer

ACCOUNT_UNKNOWN = "AWS::AccountId is only known at deployment (set --param AWS::AccountId=...)"
ROOT_ARN = Unknown(f"Fn::Sub 'arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:root': {ACCOUNT_UNKNOWN}")
LOGS_ARN = Unknown(f"Fn::Sub 'arn:${{AWS::Partition}}:s3:::${{Good}}/AWSLogs/${{AWS::AccountId}}/*': {ACCOUNT_UNKNOWN}")
PARAM = Unknown("parameter Who has no Default (set --param Who=...)")
ALLOW_LOGS = {"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "s3:PutObject", "Resource": LOGS_ARN}


def _deny_http(*statements: Any) -> Result:
    out = check("s3.deny-http", tpl_bucket("Good", BucketName="my-bkt"), policy("Good", list(statements)))
    return out["Good"][0]


def test_deny_http_unknowns_in_statements_that_cannot_deny_do_not_block_a_fail() -> None:
    assert _deny_http(ALLOW_LOGS) == Result.FAIL  # an Allow never denies plain HTTP
    assert _deny_http({**ALLOW_LOGS, "Principal": PARAM, "Condition": Unknown("x")}) == Result.FAIL
    # a Deny that is known to fall short: one action, a named principal, SecureTransport true
    assert _deny_http(deny_http_statement(Action="s3:GetObject", Resource=[LOGS_ARN])) == Result.FAIL
    assert _deny_http(deny_http_statement(Principal={"AWS": ROOT_ARN})) == Result.FAIL
    assert _deny_http(deny_http_statement(Principal={"AWS": Unknown(ACCOUNT_UNKNOWN)})) == Result.FAIL
    assert _deny_http(deny_http_statement(Condition={"Bool": {"aws:SecureTransport": "true"}},
                                          Principal=PARAM)) == Result.FAIL
    assert _deny_http(deny_http_statement(NotPrincipal={"AWS": "arn:aws:iam::1:root"}, Action=PARAM)) == Result.FAIL
    # a Deny whose unresolved resources cannot cover the bucket and all its objects, whatever the
    # account: an ELB log prefix `arn:${AWS::Partition}:s3:::${Good}/AWSLogs/${AWS::AccountId}/*`
    assert _deny_http(deny_http_statement(resources=["arn:aws:s3:::my-bkt", LOGS_ARN])) == Result.FAIL
    assert _deny_http(deny_http_statement(resources=[LOGS_ARN])) == Result.FAIL


def test_deny_http_unknowns_that_cannot_change_a_pass() -> None:
    assert _deny_http(ALLOW_LOGS, deny_http_statement()) == Result.PASS
    assert _deny_http(deny_http_statement(), Unknown("depends on condition C")) == Result.PASS
    # the known resources already cover the bucket and its objects; an unknown extra one is moot
    assert _deny_http(deny_http_statement(resources=["arn:aws:s3:::my-bkt", "arn:aws:s3:::my-bkt/*", LOGS_ARN],
                                          Action=["s3:*", PARAM])) == Result.PASS
    assert _deny_http(deny_http_statement(Principal={"AWS": [ROOT_ARN, "*"]})) == Result.PASS
    assert _deny_http(deny_http_statement(
        Condition={"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:SourceAccount": PARAM}},
    )) == Result.PASS


@pytest.mark.parametrize("override", [
    {"Effect": Unknown("depends on condition Strict")},
    {"Principal": PARAM},
    {"Principal": {"AWS": [ROOT_ARN, PARAM]}},
    {"Action": PARAM},
    {"Condition": Unknown("depends on condition Strict")},
    {"Condition": {"Bool": Unknown("x")}},
    {"Condition": {"Bool": {"aws:SecureTransport": PARAM}}},
    {"NotPrincipal": Unknown("depends on condition C")},  # may be AWS::NoValue, i.e. absent
    # an unresolved ARN that some value of its unknown parts would make cover the objects
    {"Resource": ["arn:aws:s3:::my-bkt", Unknown("Fn::Sub 'arn:${AWS::Partition}:s3:::${Name}/*': parameter Name "
                                                  "has no Default")]},
    {"Resource": ["arn:aws:s3:::my-bkt", Unknown("Fn::Sub 'arn:aws:s3:::my-bkt/${Prefix}': parameter Prefix "
                                                  "has no Default")]},
    # unknown parts that could move the ARN's fields, or the service itself: not read
    {"Resource": ["arn:aws:s3:::my-bkt", Unknown("Fn::Sub 'arn:${P}:s3:::x/AWSLogs/*': parameter P has no Default")]},
    {"Resource": ["arn:aws:s3:::my-bkt", Unknown("Fn::Sub 'arn:aws:${S}:::x/AWSLogs/*': parameter S has no Default")]},
    {"Resource": ["arn:aws:s3:::my-bkt", Unknown(f"Fn::Join: {ACCOUNT_UNKNOWN}")]},
])
def test_deny_http_unknown_in_a_statement_that_could_deny_is_unknown(override: dict[str, Any]) -> None:
    assert _deny_http(ALLOW_LOGS, deny_http_statement(**override)) == Result.UNKNOWN


def test_deny_http_loaded_template_with_unresolved_account() -> None:
    from railguard.sources.cloudformation import load_text

    text = """
Resources:
  Logs:
    Type: AWS::S3::Bucket
  LogsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Logs
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: s3:PutObject
            Resource: !Sub "arn:${AWS::Partition}:s3:::${Logs}/AWSLogs/${AWS::AccountId}/*"
  Data:
    Type: AWS::S3::Bucket
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: s3:GetObject
            Resource: !Sub "arn:${AWS::Partition}:s3:::${Data}/${AWS::AccountId}/*"
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [!GetAtt Data.Arn, !Sub "${Data.Arn}/*"]
            Condition: {Bool: {"aws:SecureTransport": false}}
  Prefix:
    Type: AWS::S3::Bucket
  PrefixPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Prefix
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource:
              - !Sub "arn:${AWS::Partition}:s3:::${Prefix}/AWSLogs/${AWS::AccountId}"
              - !Sub "arn:${AWS::Partition}:s3:::${Prefix}/AWSLogs/${AWS::AccountId}/*"
            Condition: {Bool: {"aws:SecureTransport": false}}
  Named:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Ref Name}
  NamedPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Named
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [!Sub "arn:${AWS::Partition}:s3:::${Name}", !Sub "arn:${AWS::Partition}:s3:::${Name}/*"]
            Condition: {Bool: {"aws:SecureTransport": false}}
Parameters:
  Name: {Type: String}
"""
    loaded = load_text(text, "b.yaml")
    assert not loaded.errors
    out = check("s3.deny-http", *loaded.resources)
    assert out["Logs"][0] == Result.FAIL and out["Data"][0] == Result.PASS
    assert out["Prefix"][0] == Result.FAIL  # TLS enforced on the log prefix only, whatever the account
    assert out["Named"][0] == Result.UNKNOWN  # the unresolved name may well be this bucket's


def test_widest_arn_of_an_unresolved_sub() -> None:
    from railguard.controls.s3 import _widest_arn

    elb = "Fn::Sub 'arn:${AWS::Partition}:s3:::${Logs}/Logs/AWSLogs/${AWS::AccountId}/*': " + ACCOUNT_UNKNOWN
    assert _widest_arn(Unknown(elb)) == "arn:*:s3:::*/Logs/AWSLogs/*/*"
    assert _widest_arn(Unknown("Fn::Sub 'arn:aws:s3:::${!Literal}/${P}': x")) == "arn:aws:s3:::${Literal}/*"
    # `${!aws:x}` is literal text with a colon: the fields before the path stay where they are
    assert _widest_arn(Unknown("Fn::Sub 'arn:aws:s3:${!aws:x}::b/${P}': x")) == "arn:aws:s3:${aws:x}::b/*"
    assert _widest_arn(Unknown("Fn::Sub 'arn:${!a:b}:${AWS::Region}:::b': x")) is None  # the service is `b}`
    # the reason shows 80 characters of the template: a cut one may go on with anything
    cut = "arn:aws:s3:::" + "b" * 65 + "${A"
    assert _widest_arn(Unknown(f"Fn::Sub '{cut[:80]}': x")) == "arn:aws:s3:::" + "b" * 65 + "*"
    assert _widest_arn(Unknown(f"Fn::Sub '{'arn:aws:s3:::' + 'b' * 67}': x")) == "arn:aws:s3:::" + "b" * 67 + "*"
    for reason in ("Fn::Sub 'arn:${P}:s3:::b': x", "Fn::Sub 'arn:aws:${S}:::b': x",
                   "Fn::Sub 'arn:aws:iam::${AWS::AccountId}:root': x", "Fn::Sub '${Arn}/*': x",
                   "Fn::Sub 'arn:aws:s3': x", f"Fn::Join: {ACCOUNT_UNKNOWN}", "parameter P has no Default"):
        assert _widest_arn(Unknown(reason)) is None, reason
