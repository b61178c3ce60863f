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

`AWS::Lambda::Url` (only when a selected control reads it): one `GetFunctionUrlConfig` per function
(`ResourceNotFoundException`: the function has no URL). Properties: TargetFunctionArn, AuthType,
InvokeMode, Cors; live fact `url`. Limit: a URL on an alias (a qualifier) is not read: that needs
`ListFunctionUrlConfigs`, which the emulator the tests run on does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, facet_document, per_resource
from railguard.sources.aws.errors import is_code

FUNCTION = "AWS::Lambda::Function"
FUNCTION_POLICY = "AWS::Lambda::Function#Policy"  # facet read by railguard.controls.lambda_fn
# Live, an `AWS::Lambda::Permission` is a statement of its function's policy (read as the facet
# above), never a resource of its own: this collector covers the type by yielding none of it.
PERMISSION = "AWS::Lambda::Permission"
URL = "AWS::Lambda::Url"


# a SAM function is a Lambda function once deployed: the template-only type is covered, never yielded
SAM_FUNCTION = "AWS::Serverless::Function"


@collector("lambda", yields=[FUNCTION, FUNCTION_POLICY, PERMISSION, URL, SAM_FUNCTION], scope=REGIONAL,
           calls=["lambda:ListFunctions", "lambda:GetPolicy", "lambda:GetFunctionUrlConfig"])
def collect_functions(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client("lambda")

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
        props["Policy"] = facet_document(ctx, FUNCTION_POLICY, lambda: client.get_policy(FunctionName=name).get("Policy"),
                                         "lambda:GetPolicy", absent=("ResourceNotFoundException",))
        return ctx.resource(FUNCTION, fn.get("FunctionArn") or name, props, arn=fn.get("FunctionArn"), name=name,
                            live={"last_modified": fn.get("LastModified")})

    def url(fn: dict[str, Any]) -> Resource | None:
        name = fn["FunctionName"]
        try:
            cfg = client.get_function_url_config(FunctionName=name)
        except Exception as exc:
            if is_code(exc, "ResourceNotFoundException"):
                return None
            props: dict[str, Any] = {"TargetFunctionArn": fn.get("FunctionArn") or name,
                                     "AuthType": ctx.unknown(exc, "lambda:GetFunctionUrlConfig")}
            return ctx.resource(URL, f"{name} (URL)", props, name=f"{name} (URL)")
        props = {"TargetFunctionArn": cfg.get("FunctionArn") or fn.get("FunctionArn") or name,
                 "AuthType": cfg.get("AuthType")}
        for key in ("InvokeMode", "Cors"):
            if cfg.get(key) is not None:
                props[key] = cfg[key]
        return ctx.resource(URL, cfg.get("FunctionUrl") or f"{name} (URL)", props, name=f"{name} (URL)",
                            live={"url": cfg.get("FunctionUrl")})

    functions = list(ctx.paginate("lambda", "list_functions", "Functions"))
    yield from per_resource(read, functions)
    if ctx.wants(URL):
        yield from (u for u in per_resource(url, functions) if u is not None)
