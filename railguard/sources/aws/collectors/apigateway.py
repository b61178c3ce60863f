"""API Gateway: the methods of REST APIs and the routes of HTTP/WebSocket APIs, per region.

Calls per region: `GetRestApis` then one `GetResources` (with `embed=methods`, so the methods come
with their resources: no per-method call) per REST API, when `AWS::ApiGateway::Method` is wanted;
`GetApis` then one `GetRoutes` per HTTP/WebSocket API, when `AWS::ApiGatewayV2::Route` is wanted.

- `AWS::ApiGateway::Method` (id `<api id>/<resource id>/<METHOD>`, name `<api name> <METHOD> <path>`):
  RestApiId, ResourceId, HttpMethod, AuthorizationType, AuthorizerId, ApiKeyRequired. Live facts:
  path, api_name, endpoint_types (the API's EndpointConfiguration.Types: PRIVATE APIs are reached
  only through VPC endpoints).
- `AWS::ApiGatewayV2::Route` (id `<api id>/<route id>`, name `<api name> <route key>`): ApiId,
  RouteKey, AuthorizationType, AuthorizerId, ApiKeyRequired. Live fact: protocol (HTTP | WEBSOCKET).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource

METHOD = "AWS::ApiGateway::Method"
ROUTE = "AWS::ApiGatewayV2::Route"


# a live method carries its REST API's endpoint type: the API type is covered (no gap), never yielded
REST_API = "AWS::ApiGateway::RestApi"


@collector("apigateway", yields=[METHOD, ROUTE, REST_API], scope=REGIONAL,
           calls=["apigateway:GetRestApis", "apigateway:GetResources", "apigatewayv2:GetApis",
                  "apigatewayv2:GetRoutes"])
def collect_apigateway(ctx: CollectContext) -> Iterator[Resource]:
    if ctx.wants(METHOD):
        apis = list(ctx.paginate("apigateway", "get_rest_apis", "items"))
        for methods in per_resource(lambda api: _methods(ctx, api), apis):
            yield from methods
    if ctx.wants(ROUTE):
        apis = list(ctx.paginate("apigatewayv2", "get_apis", "Items"))
        for routes in per_resource(lambda api: _routes(ctx, api), apis):
            yield from routes


def _methods(ctx: CollectContext, api: dict[str, Any]) -> list[Resource]:
    api_id, api_name = api["id"], api.get("name") or api["id"]
    types = list((api.get("endpointConfiguration") or {}).get("types") or [])
    out = []
    for res in ctx.paginate("apigateway", "get_resources", "items", restApiId=api_id, embed=["methods"]):
        for verb, m in (res.get("resourceMethods") or {}).items():
            props: dict[str, Any] = {"RestApiId": api_id, "ResourceId": res["id"], "HttpMethod": verb,
                                     "AuthorizationType": m.get("authorizationType"),
                                     "ApiKeyRequired": bool(m.get("apiKeyRequired"))}
            if m.get("authorizerId"):
                props["AuthorizerId"] = m["authorizerId"]
            arn = f"arn:{ctx.partition}:apigateway:{ctx.region}::/restapis/{api_id}/resources/{res['id']}/methods/{verb}"
            out.append(ctx.resource(METHOD, f"{api_id}/{res['id']}/{verb}", props, arn=arn,
                                    name=f"{api_name} {verb} {res.get('path', '')}",
                                    live={"path": res.get("path"), "api_name": api_name, "endpoint_types": types}))
    return out


def _routes(ctx: CollectContext, api: dict[str, Any]) -> list[Resource]:
    api_id, api_name = api["ApiId"], api.get("Name") or api["ApiId"]
    out = []
    for route in ctx.paginate("apigatewayv2", "get_routes", "Items", ApiId=api_id):
        props: dict[str, Any] = {"ApiId": api_id, "RouteKey": route.get("RouteKey"),
                                 "AuthorizationType": route.get("AuthorizationType") or "NONE",
                                 "ApiKeyRequired": bool(route.get("ApiKeyRequired"))}
        if route.get("AuthorizerId"):
            props["AuthorizerId"] = route["AuthorizerId"]
        out.append(ctx.resource(ROUTE, f"{api_id}/{route['RouteId']}", props,
                                name=f"{api_name} {route.get('RouteKey')}",
                                live={"protocol": api.get("ProtocolType")}))
    return out
