"""API Gateway controls: REST API methods (`AWS::ApiGateway::Method`) and HTTP/WebSocket API routes
(`AWS::ApiGatewayV2::Route`) that anyone can call without authorization."""

from __future__ import annotations

from collections.abc import Mapping

from railguard.controls import IAC, LIVE, Context, control
from railguard.controls.helpers import as_list, refers_to, same_scope
from railguard.model import Resource, Severity, Unknown, Verdict, failed, passed

METHOD = "AWS::ApiGateway::Method"
ROUTE = "AWS::ApiGatewayV2::Route"
REST_API = "AWS::ApiGateway::RestApi"


def _private_api(r: Resource, ctx: Context) -> bool:
    """A PRIVATE REST API is reached only through interface VPC endpoints (and its resource policy)."""
    if r.is_live:
        types = r.live.get("endpoint_types") or []
    else:
        api_ref = r.get_raw("RestApiId")
        api = next((a for a in ctx.inventory.of_type(REST_API) if same_scope(a, r) and refers_to(api_ref, a)), None)
        cfg = api.get_raw("EndpointConfiguration") if api is not None else None
        types = cfg.get("Types") if isinstance(cfg, Mapping) else None
    return any(isinstance(t, str) and t.upper() == "PRIVATE" for t in as_list(types))


@control(
    "apigateway.method-without-authorization",
    title="API Gateway method or route requires authorization (AuthorizationType is not NONE)",
    resource=[METHOD, ROUTE],
    reads=[REST_API],
    severity=Severity.MEDIUM,
    fix="Set AuthorizationType to AWS_IAM, COGNITO_USER_POOLS, CUSTOM or JWT (with an authorizer) on the "
        "method or route; keep NONE only for CORS preflight (OPTIONS)",
    places=(LIVE, IAC),
)
def method_without_authorization(r: Resource, ctx: Context) -> Verdict | None:
    """A method or route with AuthorizationType NONE (or none set: the default) runs its integration
    for any caller on the internet. OPTIONS methods (CORS preflight) are out of scope, as are
    WebSocket `$disconnect` routes (they cannot take an authorizer). An API key alone is not
    authorization (keys are for throttling and quotas), but it is evidence. A PRIVATE REST API
    passes: only its VPC endpoints reach it."""
    if r.type == METHOD:
        verb = r.get("HttpMethod")
        if isinstance(verb, str) and verb.upper() == "OPTIONS":
            return None
    else:
        key = r.get("RouteKey")
        if isinstance(key, str) and key in ("$disconnect",):
            return None
    auth = r.get("AuthorizationType")
    if str(auth or "NONE").upper() != "NONE":
        return passed(f"callers must be authorized ({auth})", authorization_type=str(auth))
    if r.type == METHOD and _private_api(r, ctx):
        return passed("no authorization, but the REST API is PRIVATE (reached only through VPC endpoints)",
                      authorization_type="NONE", endpoint="PRIVATE")
    key_required = r.get_raw("ApiKeyRequired")
    return failed("anyone can call it: AuthorizationType is " + ("NONE" if auth else "not set (NONE)"),
                  authorization_type="NONE",
                  api_key_required=None if isinstance(key_required, Unknown) else bool(key_required),
                  method=r.get_raw("HttpMethod") if r.type == METHOD else r.get_raw("RouteKey"))
