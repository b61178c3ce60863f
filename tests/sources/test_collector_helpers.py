"""The shared pieces collectors build on: the per-resource pool, the ARN partition, facets."""

from __future__ import annotations

import boto3

from railguard.model import Unknown
from railguard.sources.aws.collector import CollectContext, per_resource
from railguard.sources.aws.session import AccountSession


def test_per_resource_keeps_order_and_runs_small_lists_inline() -> None:
    assert per_resource(lambda n: n * 2, range(10)) == [n * 2 for n in range(10)]
    assert per_resource(str, [1, 2]) == ["1", "2"]
    assert per_resource(str, []) == []


def test_partition_is_looked_up_once_per_region() -> None:
    sess = AccountSession(boto3.Session(region_name="us-east-1"), "123456789012")
    assert sess.partition("us-east-1") == "aws"
    assert sess.partition("cn-north-1") == "aws-cn"
    assert sess.partition("us-gov-west-1") == "aws-us-gov"
    assert sess.partition("not-a-region") == "aws"
    ctx = CollectContext(sess, "cn-northwest-1", "cn-northwest-1", frozenset())
    assert ctx.partition == "aws-cn"


def test_not_collected_facet_is_unknown_naming_the_facet() -> None:
    ctx = CollectContext(AccountSession(boto3.Session(region_name="us-east-1"), "1"), "us-east-1", "us-east-1",
                         frozenset())
    value = ctx.not_collected("AWS::KMS::Key#KeyPolicy")
    assert isinstance(value, Unknown) and "AWS::KMS::Key#KeyPolicy" in value.reason
