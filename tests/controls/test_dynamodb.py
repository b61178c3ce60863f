from __future__ import annotations

import boto3

from railguard.controls import get_control
from railguard.model import Resource, Result, Unknown
from tests.livehelp import results, run_control


def _table(spec: object) -> Resource:
    return Resource("AWS::DynamoDB::Table", "t", {"TableName": "t", "SSESpecification": spec})


def test_pure_verdicts() -> None:
    c = get_control("dynamodb.table-kms")
    from railguard.controls import Context
    from railguard.model import Inventory

    ctx = Context(Inventory())
    assert c(_table({"SSEEnabled": True}), ctx).result == Result.PASS  # type: ignore[union-attr]
    assert c(_table({"SSEEnabled": "true", "KMSMasterKeyId": "alias/k"}), ctx).result == Result.PASS  # type: ignore[union-attr]
    assert c(_table({"SSEEnabled": False}), ctx).result == Result.FAIL  # type: ignore[union-attr]
    assert c(Resource("AWS::DynamoDB::Table", "t", {}), ctx).result == Result.FAIL  # type: ignore[union-attr]


def test_unknown_is_unknown() -> None:
    from railguard.controls import Context
    from railguard.engine.evaluate import run_control as run_one
    from railguard.engine.plan import PlannedControl
    from railguard.model import Inventory

    pc = PlannedControl(get_control("dynamodb.table-kms"), {})
    v = run_one(pc, _table({"SSEEnabled": Unknown("param Enc has no value")}), Context(Inventory()))
    assert v is not None and v.result == Result.UNKNOWN


def test_live_fail_and_pass(aws: None) -> None:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    schema = {"KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
              "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
    ddb.create_table(TableName="owned-key", **schema)
    ddb.create_table(TableName="kms-key", SSESpecification={"Enabled": True, "SSEType": "KMS"}, **schema)
    got = results(run_control("dynamodb.table-kms"))
    assert got == {"owned-key": Result.FAIL, "kms-key": Result.PASS}
