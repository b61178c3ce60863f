"""Lambda functions: `AWS::Lambda::Function`, per region.

Calls per region: `ListFunctions` (paginated); `GetPolicy` once per function only when a selected
control reads the `AWS::Lambda::Function#Policy` facet (a function without a policy answers
`ResourceNotFoundException`: data, not a failure).

Properties (CloudFormation shape): FunctionName, Runtime, Handler, Role, KmsKeyArn, PackageType,
Architectures, TracingConfig, VpcConfig (SubnetIds, SecurityGroupIds). Environment variables are
not read: they often hold secrets, and no live control needs them. `Policy` (a railguard extra, not
a CloudFormation property: the resource policy that `AWS::Lambda::Permission` resources build):
parsed JSON, None when the function has none, `Unknown` when the call failed or the facet was not
wanted. Live facts: last_modified.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, json_document, per_resource
from railguard.sources.aws.errors import is_code

FUNCTION = "AWS::Lambda::Function"
FUNCTION_POLICY = "AWS::Lambda::Function#Policy"  # facet read by railguard.controls.lambda_fn


@collector("lambda", yields=[FUNCTION, FUNCTION_POLICY], scope=REGIONAL,
           calls=["lambda:ListFunctions", "lambda:GetPolicy"])
def collect_functions(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("lambda")
    want_policy = ctx.wants(FUNCTION_POLICY)

    def read(fn: dict[str, Any]) -> Resource:
        name = fn["FunctionName"]
        props: dict[str, Any] = {"FunctionName": name}
        for key in ("Runtime", "Handler", "Role", "KMSKeyArn", "PackageType", "Architectures"):
            if fn.get(key) is not None:
                props["KmsKeyArn" if key == "KMSKeyArn" else key] = fn[key]
        if fn.get("TracingConfig"):
            props["TracingConfig"] = {"Mode": fn["TracingConfig"].get("Mode")}
        vpc = fn.get("VpcConfig") or {}
        if vpc.get("SubnetIds"):
            props["VpcConfig"] = {"SubnetIds": vpc["SubnetIds"], "SecurityGroupIds": vpc.get("SecurityGroupIds", [])}
        if want_policy:
            try:
                props["Policy"] = json_document(client.get_policy(FunctionName=name).get("Policy"))
            except Exception as exc:
                props["Policy"] = None if is_code(exc, "ResourceNotFoundException") else ctx.unknown(exc, "lambda:GetPolicy")
        else:
            props["Policy"] = ctx.not_collected(FUNCTION_POLICY)
        return ctx.resource(FUNCTION, fn.get("FunctionArn") or name, props, arn=fn.get("FunctionArn"), name=name,
                            live={"last_modified": fn.get("LastModified")})

    functions = list(ctx.paginate("lambda", "list_functions", "Functions"))
    yield from per_resource(read, functions)
