"""``Aliyun::Serverless::Api`` -> an API Gateway group with one API and one deployment per
operation of its Swagger, each calling a function (``x-aliyun-apigateway-fc``).

What Funcraft created, rebuilt as plain ROS resources:

* the group ``<Api>`` (``ALIYUN::ApiGateway::Group``) named by ``Name`` or the logical id;
* a role ``<Api>Role`` trusted by API Gateway with ``AliyunFCInvocationAccess`` (unless every
  operation names its own ``role``), whose ARN each API passes to Function Compute;
* per path and method: ``ALIYUN::ApiGateway::Api`` (request config, FC backend, parameters,
  result settings from the ``x-aliyun-apigateway-*`` keys, with Funcraft's defaults: HTTP,
  PASSTHROUGH, ANONYMOUS, PRIVATE, 3000 ms), and ``ALIYUN::ApiGateway::Deployment`` to
  ``StageName``.

The backend ARN ``acs:fc:::services/${svc.Arn}/functions/${fn.Arn}/`` names a service and a
function (``${X.Arn}`` is the resource X); when they are a serverless service and function of
this template the API points at their generated names. ``Fn::GetAtt <Api>.ApiId`` answers the
first API's id; ``GroupId`` and ``SubDomain`` are the group's.
"""

from __future__ import annotations

import re
from typing import Any

from rosengine.errors import NOT_SUPPORTED, Path
from rosengine.template.nodes import function_name
from rosengine.transform.context import Expansion, Generated
from rosengine.transform.serverless.common import (
    depends_of,
    inherited,
    main_attributes,
    no_children,
    properties_of,
    read_text,
    reference_function,
)
from rosengine.transform.serverless.policies import generate_role

API_PROPERTIES = ("Name", "StageName", "DefinitionBody", "DefinitionUri", "Cors")
NOT_PATHS = ("openapi", "swagger", "info", "components", "definitions", "basePath", "host", "schemes")
METHODS = ("get", "post", "put", "delete", "head", "patch", "options", "any")
_ARN_NAME = re.compile(r"^\$\{(.+)\}$")
_ID_PART = re.compile(r"[^A-Za-z0-9]")


def expand_api(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    path: Path = ("Resources", logical_id)
    ppath = path + ("Properties",)
    no_children(ctx, logical_id, resource)
    props = properties_of(ctx, resource, path, f"API {logical_id!r}")
    ctx.unknown_keys(props, API_PROPERTIES, ppath, f"API {logical_id!r}")
    if "Cors" in props:
        ctx.warning(
            "Cors is not expanded: configure CORS on the API Gateway group's APIs instead",
            ppath + ("Cors",),
            NOT_SUPPORTED,
        )
    if "StageName" not in props:
        ctx.error(f"API {logical_id!r} needs a StageName (RELEASE, PRE or TEST)", ppath)
    group: dict[str, Any] = {
        "GroupName": props.get("Name", logical_id),
        "Description": "api group for function compute",
    }
    ctx.map(("Resources", logical_id, "Properties"), ppath, keep_rest=False)
    extra, main_extra = inherited(resource), main_attributes(resource)
    if not ctx.add(
        Generated(
            logical_id,
            "ALIYUN::ApiGateway::Group",
            group,
            path,
            depends_on=depends_of(resource.get("DependsOn")),
            extra=main_extra,
        )
    ):
        return
    swagger, swagger_path = _swagger(ctx, props, ppath)
    operations = list(_operations(ctx, swagger, swagger_path))
    if not operations:
        return
    role_arn: Any = None
    if any("role" not in (fc or {}) for _, _, _, fc, _ in operations):
        role_id, _ = generate_role(
            ctx,
            logical_id,
            trusted_service="apigateway.aliyuncs.com",
            description="API Gateway access FunctionCompute",
            system_policies=[("AliyunFCInvocationAccess", swagger_path)],
            documents=[],
            origin=swagger_path,
            extra=extra,
        )
        role_arn = {"Fn::GetAtt": [role_id, "Arn"]}
    first = True
    for request_path, method, definition, fc, where in operations:
        api_name = definition.get("x-aliyun-apigateway-api-name") or (
            f"{re.sub(r'[][]', '', request_path.lstrip('/')).replace('/', '_')}_{method}"
        )
        api_id = f"{logical_id}{_ID_PART.sub('', str(api_name)) or 'Api'}"
        depends: list[str] = [logical_id]
        service, function = _backend(ctx, fc, where, depends)
        properties = _api_properties(
            definition, request_path, method, api_name, service, function, fc, role_arn
        )
        properties["GroupId"] = {"Fn::GetAtt": [logical_id, "GroupId"]}
        ctx.map(("Resources", api_id, "Properties"), where, keep_rest=False)
        if not ctx.add(
            Generated(
                api_id, "ALIYUN::ApiGateway::Api", properties, where, depends_on=depends, extra=dict(extra)
            )
        ):
            continue
        deployment = {
            "GroupId": {"Fn::GetAtt": [logical_id, "GroupId"]},
            "ApiId": {"Fn::GetAtt": [api_id, "ApiId"]},
            "StageName": props.get("StageName", "RELEASE"),
            "Description": "deployed by rosengine",
        }
        ctx.map(("Resources", f"{api_id}Deployment", "Properties", "StageName"), ppath + ("StageName",))
        ctx.add(
            Generated(
                f"{api_id}Deployment",
                "ALIYUN::ApiGateway::Deployment",
                deployment,
                where,
                depends_on=[api_id],
                extra=dict(extra),
            )
        )
        if first:
            ctx.attribute_renames[(logical_id, "ApiId")] = (api_id, "ApiId")
            first = False


def _swagger(ctx: Expansion, props: dict[str, Any], ppath: Path) -> tuple[Any, Path]:
    if "DefinitionBody" in props:
        return props["DefinitionBody"], ppath + ("DefinitionBody",)
    if "DefinitionUri" in props:
        where = ppath + ("DefinitionUri",)
        text = read_text(ctx, props["DefinitionUri"], where, "DefinitionUri")
        if text is None:
            return None, where
        import yaml

        try:
            return yaml.safe_load(text), where
        except yaml.YAMLError as exc:
            ctx.error(
                f"DefinitionUri {props['DefinitionUri']!r} is not a YAML/JSON Swagger document: {exc}", where
            )
            return None, where
    ctx.error("an API needs a DefinitionBody (Swagger) or a DefinitionUri (a Swagger file)", ppath)
    return None, ppath


def _operations(ctx: Expansion, swagger: Any, where: Path) -> Any:
    if swagger is None:
        return
    if not isinstance(swagger, dict) or function_name(swagger) is not None:
        ctx.error("the Swagger definition must be a mapping of paths to operations", where)
        return
    paths, base = swagger, where
    if isinstance(swagger.get("paths"), dict):
        paths, base = swagger["paths"], where + ("paths",)
    for request_path, operations in paths.items():
        if request_path in NOT_PATHS or request_path == "paths":
            continue
        at = base + (request_path,)
        if not isinstance(operations, dict):
            ctx.error(f"path {request_path!r} must map HTTP methods to operations", at)
            continue
        for method, definition in operations.items():
            op_path = at + (method,)
            if str(method).lower() not in METHODS or not isinstance(definition, dict):
                ctx.error(
                    f"{request_path} {method}: expected an HTTP method ({', '.join(METHODS)}) "
                    "with an operation",
                    op_path,
                )
                continue
            fc = definition.get("x-aliyun-apigateway-fc")
            if not isinstance(fc, dict) or "arn" not in fc:
                ctx.error(
                    f"{request_path} {method}: x-aliyun-apigateway-fc with the function's arn is required",
                    op_path,
                )
                continue
            yield str(request_path), str(method).lower(), definition, fc, op_path


def _backend(ctx: Expansion, fc: dict[str, Any], where: Path, depends: list[str]) -> tuple[Any, Any]:
    """(service, function) of ``acs:fc:<region>:<account>:services/<service>/functions/<fn>/``."""
    arn = fc.get("arn")
    parts = arn.split(":", 4) if isinstance(arn, str) else []
    segments = parts[4].split("/") if len(parts) == 5 else []
    if len(segments) < 4 or segments[0] != "services" or segments[2] != "functions":
        ctx.error(
            f"x-aliyun-apigateway-fc.arn {arn!r} must be "
            "acs:fc:<region>:<account>:services/<service>/functions/<function>/",
            where + ("x-aliyun-apigateway-fc", "arn"),
        )
        return None, None
    service, function = (_arn_name(segments[1]), _arn_name(segments[3]))
    return reference_function(ctx, service, function, depends)


def _arn_name(text: str) -> str:
    match = _ARN_NAME.match(text)
    if match is None:
        return text
    name = match.group(1)
    return name[: -len(".Arn")] if name.endswith(".Arn") else name


def _api_properties(
    definition: dict[str, Any],
    request_path: str,
    method: str,
    api_name: Any,
    service: Any,
    function: Any,
    fc: dict[str, Any],
    role_arn: Any,
) -> dict[str, Any]:
    def x(name: str) -> Any:
        return definition.get(f"x-aliyun-apigateway-{name}")

    request = {"RequestProtocol": "HTTP", "RequestMode": "PASSTHROUGH"}
    for key, value in (x("request-config") or {}).items():
        request[str(key)[:1].upper() + str(key)[1:]] = value
    request["RequestProtocol"] = str(request["RequestProtocol"]).upper()
    request.update({"RequestHttpMethod": method.upper(), "RequestPath": request_path})
    request_parameters, service_parameters, parameter_map = _parameters(
        x("request-parameters") or [], x("service-parameters") or [], x("service-parameters-map") or []
    )
    properties: dict[str, Any] = {
        "ApiName": api_name,
        "Visibility": str(x("visibility") or "PRIVATE").upper(),
        "Description": x("description") or "The awesome api generated by fun",
        "AuthType": x("auth-type") or "ANONYMOUS",
        "RequestConfig": request,
        "ServiceConfig": {
            "ServiceProtocol": "FunctionCompute",
            "ServiceTimeOut": fc.get("timeout", 3000),
            "Mock": "FALSE",
            "ContentTypeCatagory": "DEFAULT",
            "FunctionComputeConfig": {
                "FcRegionId": {"Ref": "ALIYUN::Region"},
                "ServiceName": service,
                "FunctionName": function,
                "RoleArn": fc.get("role", role_arn),
                **({"Qualifier": fc["qualifier"]} if "qualifier" in fc else {}),
            },
        },
        "ResultType": str(x("result-type") or "PASSTHROUGH").upper(),
        "ResultSample": x("result-sample") or "result sample",
        "FailResultSample": x("fail-result-sample") or "failed samples",
    }
    if request_parameters:
        properties["RequestParameters"] = request_parameters
        properties["ServiceParameters"] = service_parameters
        properties["ServiceParametersMap"] = parameter_map
    openid = x("open-id-connect-config") or x("openid-connect-config")
    if isinstance(openid, dict):
        properties["OpenIdConnectConfig"] = {"OpenIdApiType": "BUSINESS", **_pascal(openid)}
    for name, key in (
        ("force-nonce-check", "ForceNonceCheck"),
        ("app-code-auth-type", "AppCodeAuthType"),
        ("allow-signature-method", "AllowSignatureMethod"),
        ("disable-internet", "DisableInternet"),
        ("websocket-api-type", "WebSocketApiType"),
    ):
        if x(name) is not None:
            properties[key] = x(name)
    if isinstance(x("error-code-sample"), list):
        properties["ErrorCodeSamples"] = [
            {**_pascal(item), "Code": str(item.get("code"))} if isinstance(item, dict) else item
            for item in x("error-code-sample")
        ]
    return properties


def _pascal(item: dict[str, Any]) -> dict[str, Any]:
    return {str(k)[:1].upper() + str(k)[1:]: v for k, v in item.items()}


def _parameters(requests: Any, services: Any, mapping: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """Request parameters, service parameters and their map, completed as Funcraft completed
    them: a request parameter without a service parameter gets one of the same name (catalog
    REQUEST) and a map entry; a request parameter defaults to an optional String in the query."""
    requests = [r for r in requests if isinstance(r, dict)] if isinstance(requests, list) else []
    services = [s for s in services if isinstance(s, dict)] if isinstance(services, list) else []
    mapping = [m for m in mapping if isinstance(m, dict)] if isinstance(mapping, list) else []
    request_out = [
        {"location": "QUERY", "parameterType": "String", "required": "OPTIONAL", **r} for r in requests
    ]
    service_out, map_out = list(services), list(mapping)
    service_names = {s.get("serviceParameterName") for s in services}
    for request in request_out:
        name = request.get("apiParameterName")
        mapped = next((m for m in mapping if m.get("requestParameterName") == name), None)
        if mapped is not None:
            if mapped.get("serviceParameterName") not in service_names:
                service_out.append(_service_parameter(mapped.get("serviceParameterName"), request))
        elif name in service_names:
            map_out.append({"requestParameterName": name, "serviceParameterName": name})
        else:
            service_out.append(_service_parameter(name, request))
            map_out.append({"requestParameterName": name, "serviceParameterName": name})
    service_keys = ("ServiceParameterName", "Location", "ParameterType")
    service_ros = [{k: v for k, v in _ros_parameter(s).items() if k in service_keys} for s in service_out]
    return [_ros_parameter(r) for r in request_out], service_ros, [_pascal(m) for m in map_out]


# A request parameter's type (String, Int, Long, Float, Double, Boolean) as the type of the backend
# parameter made for it, which API Gateway knows only as STRING, NUMBER or BOOLEAN (the
# ServiceParameters enum of ALIYUN::ApiGateway::Api in resource_types/apigateway/api.json).
_SERVICE_PARAMETER_TYPES = {
    "STRING": "STRING",
    "INT": "NUMBER",
    "LONG": "NUMBER",
    "FLOAT": "NUMBER",
    "DOUBLE": "NUMBER",
    "BOOLEAN": "BOOLEAN",
}


def _service_parameter(name: Any, request: dict[str, Any]) -> dict[str, Any]:
    kind = request.get("parameterType")
    if isinstance(kind, str):  # anything else is left for the schema check to report
        kind = _SERVICE_PARAMETER_TYPES.get(kind.upper(), kind)
    return {
        "serviceParameterName": name,
        "location": request.get("location"),
        "parameterType": kind,
        "parameterCatalog": "REQUEST",
    }


def _ros_parameter(request: dict[str, Any]) -> dict[str, Any]:
    out = _pascal(request)
    for key in ("Location", "Required"):
        if isinstance(out.get(key), str):
            out[key] = out[key].upper()
    return out
