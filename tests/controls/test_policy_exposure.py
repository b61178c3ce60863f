"""`policy.exposure` on policies written from the shapes of AWS documentation examples (S3 User
Guide bucket-policy examples, SNS/SQS/KMS/Lambda/IAM guides), and the edge cases that decide
whether a condition really narrows "everyone"."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.controls import Context, get_control
from railguard.controls.policy import exposure, exposure_verdict
from railguard.model import Inventory, Origin, Resource, Result, Unknown

OWN = "111122223333"
OTHER = "444455556666"


def st(principal: Any, action: Any = "s3:GetObject", effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    out = {"Effect": effect, "Principal": principal, "Action": action, "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}
    out.update(extra)
    return out


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def kinds(raw: Any, **kw: Any) -> tuple[int, int, tuple[str, ...]]:
    e = exposure(raw, **kw)
    assert e.pending is None, e.pending
    return len(e.public), len(e.external), e.unjudged


# ---- AWS documentation shapes --------------------------------------------------------------------

DOC_SAMPLES: list[tuple[str, dict[str, Any], tuple[int, int, tuple[str, ...]]]] = [
    ("S3: read-only permission to an anonymous user", doc(
        st("*", ["s3:GetObject", "s3:GetObjectVersion"], Sid="PublicRead")), (1, 0, ())),
    ("S3: deny everything outside an IP range (no Allow)", doc(
        st("*", "s3:*", effect="Deny", Condition={"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}})), (0, 0, ())),
    ("S3: restrict to a VPC endpoint with a Deny", doc(
        st("*", "s3:GetObject"),
        st("*", "s3:*", effect="Deny", Resource=["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
           Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})), (0, 0, ())),
    ("S3: grant to several accounts with a canned-ACL condition", doc(
        st({"AWS": [f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{OWN}:root"]}, ["s3:PutObject", "s3:PutObjectAcl"],
           Condition={"StringEquals": {"s3:x-amz-acl": ["public-read"]}})), (0, 0, (OTHER,))),
    ("S3: organization only", doc(
        st("*", "s3:GetObject", Condition={"StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}})), (0, 0, ())),
    ("S3: ELB access-log delivery (us-east-1 ELB account)", doc(
        st({"AWS": "arn:aws:iam::127311923021:root"}, "s3:PutObject")), (0, 0, ())),
    ("S3: CloudFront origin access control", doc(
        st({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject",
           Condition={"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{OWN}:distribution/EDFDVBD6EXAMPLE"}})),
     (0, 0, ())),
    ("SNS: the default topic policy", doc({
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:Subscribe", "SNS:Publish"],
        "Resource": f"arn:aws:sns:us-east-2:{OWN}:MyTopic", "Condition": {"StringEquals": {"AWS:SourceOwner": OWN}}}),
     (0, 0, ())),
    ("SQS: an SNS topic sends to the queue", doc({
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": f"arn:aws:sqs:us-east-2:{OWN}:MyQueue",
        "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-2:{OWN}:MyTopic"}}}), (0, 0, ())),
    ("SQS: anyone whose topic is named, with Principal *", doc({
        "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:us-east-2:{OWN}:MyQueue",
        "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-2:{OTHER}:TheirTopic"}}}), (0, 0, (OTHER,))),
    ("KMS: the default key policy", doc({
        "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
        "Action": "kms:*", "Resource": "*"}), (0, 0, ())),
    ("KMS: allow an external account to use the key", doc({
        "Sid": "Allow an external account to use this KMS key", "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root"]},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*"}), (0, 0, (OTHER,))),
    ("KMS: AWS managed key statement (CallerAccount + ViaService)", doc({
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": OWN, "kms:ViaService": "ec2.us-west-2.amazonaws.com"}}}),
     (0, 0, ())),
    ("Lambda: API Gateway invokes the function", doc({
        "Sid": "apigateway", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": f"arn:aws:lambda:us-east-2:{OWN}:function:my-function",
        "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:us-east-2:{OWN}:mnh1yprki7/*"}}}), (0, 0, ())),
    ("Lambda: function URL without authentication", doc({
        "Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
        "Resource": f"arn:aws:lambda:us-east-2:{OWN}:function:my-function",
        "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}), (1, 0, ())),
    ("IAM trust: another account's root", doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}}}), (0, 0, (OTHER,))),
]


@pytest.mark.parametrize(("name", "policy", "expected"), DOC_SAMPLES, ids=[s[0] for s in DOC_SAMPLES])
def test_documented_policy_shapes(name: str, policy: dict[str, Any], expected: tuple[int, int, tuple[str, ...]]) -> None:
    assert kinds(policy, account=OWN) == expected  # judged as live, in the owner account


def test_owned_list_turns_unjudged_into_external_or_fine() -> None:
    p = doc(st({"AWS": f"arn:aws:iam::{OTHER}:root"}))
    assert kinds(p, owned=[OWN]) == (0, 1, ())
    assert kinds(p, owned=[OTHER]) == (0, 0, ())
    assert kinds(p, account=OTHER) == (0, 0, ())  # live: the resource's own account
    assert kinds(doc(st({"AWS": OTHER}))) == (0, 0, (OTHER,))  # a bare account id


# ---- what narrows and what does not -----------------------------------------------------------------


@pytest.mark.parametrize(("condition", "public"), [
    ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, False),
    ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, True),  # absent on internet requests
    ({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, True),
    ({"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, False),
    ({"StringLike": {"aws:SourceVpc": "*"}}, True),
    ({"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, True),  # negated in an Allow: wider
    ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "172.16.4.0/24"]}}, False),
    ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}, True),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, True),
    ({"StringEquals": {"aws:SourceAccount": "*"}}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::amzn-s3-demo-bucket"}}, False),
    ({"Bool": {"aws:PrincipalIsAWSService": "true"}}, False),
    ({"StringEquals": {"aws:PrincipalServiceName": "cloudtrail.amazonaws.com"}}, False),
])
def test_conditions_that_narrow_everyone(condition: dict[str, Any], public: bool) -> None:
    assert kinds(doc(st("*", Condition=condition)))[0] == (1 if public else 0)


def test_trusted_cidrs_narrow_public_ranges() -> None:
    p = doc(st("*", Condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))
    assert kinds(p)[0] == 1
    assert kinds(p, trusted_cidrs=["192.0.2.0/23"])[0] == 0


def test_not_principal_allow_and_principal_forms() -> None:
    assert kinds(doc({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:root"},
                      "Action": "s3:GetObject", "Resource": "*"}))[0] == 1
    assert kinds(doc(st({"AWS": ["*"]})))[0] == 1
    assert kinds(doc(st({"AWS": [f"arn:aws:iam::{OWN}:role/app", "*"]})))[0] == 1
    assert kinds(doc(st({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}))) == (0, 0, ())


def test_a_deny_that_covers_only_part_of_the_grant_does_not_narrow_it() -> None:
    p = doc(st("*", ["s3:GetObject", "s3:PutObject"]),
            st("*", "s3:PutObject", effect="Deny", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}))
    assert kinds(p)[0] == 1


def test_web_identity_trust_needs_a_subject_condition() -> None:
    github = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    aud = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    open_ = doc({"Effect": "Allow", "Principal": {"Federated": github}, "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": aud})
    assert kinds(open_, trust=True)[0] == 1
    assert kinds(open_)[0] == 0  # only trust policies know web identities
    scoped = doc({"Effect": "Allow", "Principal": {"Federated": github}, "Action": "sts:AssumeRoleWithWebIdentity",
                  "Condition": {**aud, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}}})
    assert kinds(scoped, trust=True)[0] == 0
    cognito = doc({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                   "Action": "sts:AssumeRoleWithWebIdentity",
                   "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:12345678-abcd"}}})
    assert kinds(cognito, trust=True)[0] == 0


# ---- unresolved template values ------------------------------------------------------------------


def test_unknowns_are_pending_only_where_they_could_open_the_resource() -> None:
    own_sub = Unknown("Fn::Sub 'arn:aws:iam::${AWS::AccountId}:root': AWS::AccountId is only known at deployment")
    assert kinds(doc(st({"AWS": own_sub}))) == (0, 0, ())
    param = Unknown("parameter Principal has no default")
    e = exposure(doc(st({"AWS": param})))
    assert e.pending is not None and not e.public
    # a known public statement fails whatever an unknown one holds
    e = exposure(doc(st("*"), st({"AWS": param})))
    assert len(e.public) == 1
    region_sub = Unknown("Fn::Sub 'arn:aws:sns:${AWS::Region}:${AWS::AccountId}:t': AWS::Region is only known at deployment")
    assert kinds(doc(st("*", Condition={"ArnEquals": {"aws:SourceArn": region_sub}}))) == (0, 0, ())
    tf_caller = Unknown("data.aws_caller_identity.current is read from AWS at plan time")
    assert kinds(doc(st("*", Condition={"StringEquals": {"aws:SourceAccount": tf_caller}}))) == (0, 0, ())


# ---- the verdict -------------------------------------------------------------------------------


def _verdict(policy: Any, params: dict[str, Any] | None = None, live: bool = False) -> Result:
    r = Resource(type="AWS::SNS::Topic", id="t", account="123456789012" if live else None,
                 origin=Origin(account="123456789012", region="us-east-1") if live else Origin(file="t.yaml", line=1))
    c = get_control("sns.topic-policy-exposed")
    ctx = Context(inventory=Inventory([r]), params={**c.params, **(params or {})})
    return exposure_verdict(r, ctx, [("p", policy)], "the topic policy").result


def test_verdicts() -> None:
    assert _verdict(doc(st("*"))) == Result.FAIL
    assert _verdict(doc(st({"AWS": OTHER}))) == Result.UNKNOWN
    assert _verdict(doc(st({"AWS": OTHER})), {"owned_accounts": [OWN]}) == Result.FAIL
    assert _verdict(doc(st({"AWS": "123456789012"})), live=True) == Result.PASS
    assert _verdict("not json") == Result.UNKNOWN
    assert _verdict(None) == Result.PASS
    assert _verdict(Unknown("not collected")) == Result.UNKNOWN
