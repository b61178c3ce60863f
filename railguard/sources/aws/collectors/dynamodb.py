"""DynamoDB tables (regional): ListTables, then DescribeTable per table.

Yields AWS::DynamoDB::Table with TableName and SSESpecification in the CloudFormation shape:
{SSEEnabled, SSEType, KMSMasterKeyId}. DescribeTable reports no SSEDescription for tables on
the AWS-owned default key, which maps to SSEEnabled False.
"""

from __future__ import annotations

from collections.abc import Iterator

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector

TABLE = "AWS::DynamoDB::Table"


@collector("dynamodb", yields=[TABLE], scope=REGIONAL, calls=["dynamodb:ListTables", "dynamodb:DescribeTable"])
def collect_tables(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("dynamodb")
    for name in ctx.paginate("dynamodb", "list_tables", "TableNames"):
        try:
            table = client.describe_table(TableName=name)["Table"]
        except Exception as exc:
            yield ctx.resource(TABLE, name, {"TableName": name, "SSESpecification": ctx.unknown(exc, "dynamodb:DescribeTable")}, name=name)
            continue
        sse = table.get("SSEDescription") or {}
        enabled = sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING")
        spec = {"SSEEnabled": enabled}
        if enabled:
            spec["SSEType"] = sse.get("SSEType", "KMS")
            if sse.get("KMSMasterKeyArn"):
                spec["KMSMasterKeyId"] = sse["KMSMasterKeyArn"]
        yield ctx.resource(TABLE, name, {"TableName": name, "SSESpecification": spec}, arn=table.get("TableArn"), name=name)
