"""Custom domains (docs/reference/fc-api.md#custom-domains): stored with their routes;
``certConfig.privateKey`` is never echoed. Routing requests by Host/path to functions is the trigger
engineer's (they read these documents)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.errors import conflict, invalid, not_found
from fcbackend.api.http import backend, empty_response, json_response, now_iso, read_json, typed
from fcbackend.api.pagination import page, with_token
from fcbackend.api.state import DOMAIN, BackendState, public

P = "/2016-08-15"
_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9*]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}$")


def _routes(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("routes", []), list):
        raise invalid('routeConfig must be {"routes": [{path, serviceName, functionName, qualifier}]}')
    for index, route in enumerate(value.get("routes", [])):
        if not isinstance(route, dict):
            raise invalid(f"routeConfig.routes[{index}] must be an object")
        for key in ("path", "serviceName", "functionName"):
            if not isinstance(route.get(key), str) or not route.get(key):
                raise invalid(f"routeConfig.routes[{index}].{key} is required")
        if not route["path"].startswith("/"):
            raise invalid(f"routeConfig.routes[{index}].path must start with '/', got '{route['path']}'")
    return value


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    protocol = typed(body, "protocol", str, "HTTP or HTTP,HTTPS")
    if protocol is not None:
        if protocol not in ("HTTP", "HTTPS", "HTTP,HTTPS"):
            raise invalid(f"protocol must be HTTP, HTTPS or HTTP,HTTPS, got '{protocol}'")
        out["protocol"] = protocol
    if body.get("routeConfig") is not None:
        out["routeConfig"] = _routes(body["routeConfig"])
    cert = typed(body, "certConfig", dict, "an object {certName, certificate, privateKey}")
    if cert is not None:
        if cert and not all(cert.get(k) for k in ("certName", "certificate", "privateKey")):
            raise invalid("certConfig needs certName, certificate and privateKey")
        out["certConfig"] = cert
    for key in ("apiVersion",):
        value = typed(body, key, str, "a string")
        if value is not None:
            out[key] = value
    for key in ("tlsConfig", "wafConfig", "authConfig"):
        value = typed(body, key, dict, "an object")
        if value is not None:
            out[key] = value
    return out


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    cert = out.get("certConfig")
    if cert:
        out["certConfig"] = {**cert, "privateKey": None}
    return out


def _load(state: BackendState, name: str) -> dict[str, Any]:
    doc = state.meta.get(DOMAIN, "", name)
    if doc is None:
        raise not_found("DomainNameNotFound", f"custom domain '{name}' does not exist")
    return doc


async def create_custom_domain(request: Request) -> Response:
    state = backend(request)
    body = await read_json(request)
    name = body.get("domainName")
    if not isinstance(name, str) or not _DOMAIN.match(name):
        raise invalid(f"domainName must be a domain name such as example.com, got {name!r}")
    now = now_iso()
    doc = {
        "domainName": name,
        "accountId": state.config.account_id,
        "protocol": "HTTP",
        "apiVersion": "2016-08-15",
        "routeConfig": {"routes": []},
        "certConfig": None,
        "tlsConfig": None,
        "wafConfig": None,
        **_fields(body),
        "createdTime": now,
        "lastModifiedTime": now,
    }
    if not state.meta.insert(DOMAIN, "", name, doc):
        raise conflict("DomainNameAlreadyExists", f"custom domain '{name}' already exists")
    state.changed()
    return json_response(request, _view(doc))


async def get_custom_domain(request: Request) -> Response:
    return json_response(request, _view(_load(backend(request), request.path_params["domain"])))


async def update_custom_domain(request: Request) -> Response:
    state = backend(request)
    name = request.path_params["domain"]
    body = await read_json(request)
    with state.meta.transaction():
        doc = _load(state, name)
        doc.update(_fields(body))
        doc["lastModifiedTime"] = now_iso()
        state.meta.put(DOMAIN, "", name, doc)
    state.changed()
    return json_response(request, _view(doc))


async def delete_custom_domain(request: Request) -> Response:
    state = backend(request)
    name = request.path_params["domain"]
    _load(state, name)
    state.meta.delete(DOMAIN, "", name)
    state.changed()
    return empty_response(request)


async def list_custom_domains(request: Request) -> Response:
    state = backend(request)
    items, token = page(request, state.meta, DOMAIN, "")
    return json_response(request, with_token({"customDomains": [_view(d) for d in items]}, token))


ROUTES = [
    Route(f"{P}/custom-domains", create_custom_domain, methods=["POST"]),
    Route(f"{P}/custom-domains", list_custom_domains, methods=["GET"]),
    Route(f"{P}/custom-domains/{{domain}}", get_custom_domain, methods=["GET"]),
    Route(f"{P}/custom-domains/{{domain}}", update_custom_domain, methods=["PUT"]),
    Route(f"{P}/custom-domains/{{domain}}", delete_custom_domain, methods=["DELETE"]),
]
