"""Lambda function controls (`AWS::Lambda::Function`, and SAM `AWS::Serverless::Function`).

`lambda.secrets-in-environment` is template-only: the live Lambda collector does not read
environment variables (they would carry the secrets into memory and reports). The CloudFormation loader yields SAM functions as `AWS::Lambda::Function` with `Globals` merged;
the SAM type is listed too for loaders that keep it. Both carry `Environment.Variables`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.ecs import env_secret_offenders
from railguard.controls.policy import EXPOSURE_PARAMS, attached, exposure_verdict, target_in_scope
from railguard.model import Resource, Severity, Unknown, UnknownValue, Verdict, failed, passed, unknown

FUNCTION = "AWS::Lambda::Function"
SAM_FUNCTION = "AWS::Serverless::Function"


@control(
    "lambda.secrets-in-environment",
    title="Lambda function holds a secret in plain environment variables",
    resource=[FUNCTION, SAM_FUNCTION],
    severity=Severity.HIGH,
    fix="Read the secret at run time from Secrets Manager or SSM SecureString (or the Parameters and Secrets extension).",
    places=(IAC,),
)
def secrets_in_environment(r: Resource) -> Verdict:
    """Function environment variables are returned in clear by GetFunctionConfiguration to
    anyone with read access, and sit in every published version. A secret-looking name with a
    literal value, or a value in a known credential format, fails; values are redacted in
    evidence. Template-only: the live collector does not read environment variables."""
    variables = r.get("Environment.Variables")
    if not isinstance(variables, Mapping):
        return passed("no environment variables")
    offenders, pending = env_secret_offenders(list(variables.items()))
    if offenders:
        return failed(f"secret value in environment: {', '.join(str(o['name']) for o in offenders)}",
                      variables=offenders)
    if pending is not None:
        raise UnknownValue("Environment.Variables", pending)
    return passed("no secret-looking environment variable with a literal value")


PERMISSION = "AWS::Lambda::Permission"
FUNCTION_POLICY = "AWS::Lambda::Function#Policy"  # facet: the live collector calls GetPolicy only when read


def permission_document(p: Resource) -> dict[str, Any]:
    """An `AWS::Lambda::Permission` as the policy statement Lambda writes for it."""
    principal: Any = p.get_raw("Principal")
    if isinstance(principal, str) and principal.strip() != "*":
        kind = "Service" if principal.endswith((".amazonaws.com", ".amazon.com")) else "AWS"
        principal = {kind: principal}
    elif isinstance(principal, Unknown):
        principal = {"AWS": principal}
    condition: dict[str, dict[str, Any]] = {}
    for prop, op, key in (("SourceAccount", "StringEquals", "AWS:SourceAccount"),
                          ("SourceArn", "ArnLike", "AWS:SourceArn"),
                          ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
                          ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType")):
        value = p.get_raw(prop)
        if value is not None:
            condition.setdefault(op, {})[key] = value
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal,
                                 "Action": p.get_raw("Action") or "lambda:InvokeFunction", "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


@control(
    "lambda.function-policy-exposed",
    title="Lambda function policy does not grant everyone or accounts outside the owned accounts",
    resource=[FUNCTION, PERMISSION],
    reads=[PERMISSION, FUNCTION_POLICY],
    severity=Severity.CRITICAL,
    params=EXPOSURE_PARAMS,
    fix="Grant invoke to named principals; for a service principal or '*' set SourceArn/SourceAccount or PrincipalOrgID",
    places=(LIVE, IAC),
)
def function_policy_exposed(r: Resource, ctx: Context) -> Verdict | None:
    """Live, the function's resource policy (GetPolicy); in templates, its `AWS::Lambda::Permission`
    resources (a permission whose function is not in the scanned files is judged on its own).
    Principal `*` without SourceAccount, SourceArn or PrincipalOrgID fails, including a public
    function URL (`lambda:InvokeFunctionUrl` with auth type NONE)."""
    if r.type == PERMISSION:
        if target_in_scope(r, ctx, FUNCTION, "FunctionName"):
            return None
        return exposure_verdict(r, ctx, [(r.display_name, permission_document(r))], "the permission")
    permissions, unresolved = attached(r, ctx, PERMISSION, "FunctionName")
    docs = [(p.display_name, permission_document(p)) for p in permissions]
    if r.is_live:
        docs.append(("function policy", r.get_raw("Policy")))
    return exposure_verdict(r, ctx, docs, "the function policy", unresolved=unresolved)


URL = "AWS::Lambda::Url"


@control(
    "lambda.function-url-auth-none",
    title="Lambda function URL requires IAM authentication (AuthType is not NONE)",
    resource=[URL, FUNCTION, SAM_FUNCTION],
    severity=Severity.HIGH,
    fix="Set AuthType: AWS_IAM on the function URL (and sign requests), or put the function behind "
        "API Gateway with an authorizer",
    places=(LIVE, IAC),
)
def function_url_auth_none(r: Resource) -> Verdict | None:
    """A function URL with AuthType NONE is an HTTPS endpoint on the internet that runs the function
    for anyone who finds it; only the function's own code stands in the way. The function itself is
    in scope only when it declares a URL inline (SAM's `FunctionUrlConfig`). Live: each function's
    unqualified URL (a URL on an alias is not read)."""
    if r.type == URL:
        auth = r.get("AuthType")
    else:
        cfg = r.get("FunctionUrlConfig")
        if cfg is None:
            return None
        auth = r.get("FunctionUrlConfig.AuthType")
    where = r.get_raw("TargetFunctionArn") if r.type == URL else r.display_name
    if str(auth or "").upper() == "NONE":
        return failed("the function URL is public: AuthType is NONE", auth_type="NONE",
                      function=where if isinstance(where, str) else None, url=r.live.get("url"))
    if auth is None:
        return unknown("the function URL has no AuthType (a required property)")
    return passed(f"the function URL requires {auth} authentication", auth_type=str(auth))
