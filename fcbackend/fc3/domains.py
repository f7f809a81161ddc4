"""FC 3.0 custom domains: one domain store with FC 2.0 (a domain name is unique either way), so
the Host-based router (``fcbackend.triggers.routes.CustomDomainMiddleware``) serves both; an
FC 3.0 route names only ``functionName`` (``svc$fn`` reaches an FC 2.0 function).

Rewrite rules: ``equalRules`` and ``wildcardRules`` are applied to the path the function sees.
``regexRules`` are refused (400): matching user regular expressions safely needs an engine the
backend does not ship, and silently ignoring them would route requests wrongly. The certificate's
``privateKey`` is never echoed. FC 3.0 requires ``authConfig``/``protocol`` only in ROS; the API
defaults them to ``anonymous``/``HTTP`` (UNCONFIRMED defaults).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import conflict, invalid, not_found
from fcbackend.api.http import now_iso
from fcbackend.api.state import DOMAIN, BackendState, public
from fcbackend.fc3.http import no_content, ok, page, query, query_int, read_object, state_of, with_token
from fcbackend.fc3.validation import Checker, array, boolean, check_fields, obj, string

API_VERSION = "2023-03-30"
DOMAIN_PATTERN = r"(?=.{1,253}$)([A-Za-z0-9*]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}"
_METHODS = ("HEAD", "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
_RULES = array(
    obj(
        {"match": string(min_len=1, max_len=2048), "replacement": string(max_len=2048)},
        required=("match", "replacement"),
    ),
    max_items=100,
)


def _route(value: Any, path: str) -> dict[str, Any]:
    route = obj(
        {
            "path": string(min_len=1, max_len=2048),
            "functionName": string(min_len=1, max_len=192),
            "qualifier": string(max_len=128),
            "methods": array(string(enum=_METHODS), max_items=10),
            "rewriteConfig": obj(
                {"equalRules": _RULES, "wildcardRules": _RULES, "regexRules": _RULES}, drop_empty_lists=True
            ),
        },
        required=("path", "functionName"),
    )(value, path)
    if not route["path"].startswith("/"):
        raise invalid(f"{path}.path must start with '/', got '{route['path']}'")
    if (route.get("rewriteConfig") or {}).get("regexRules"):
        raise invalid(
            f"{path}.rewriteConfig.regexRules are not supported by the local backend; "
            "use equalRules or wildcardRules"
        )
    for kind in ("wildcardRules",):
        for index, rule in enumerate((route.get("rewriteConfig") or {}).get(kind) or []):
            if rule["match"].count("*") != 1:
                raise invalid(f"{path}.rewriteConfig.{kind}[{index}].match must contain exactly one '*'")
    return route


_FIELDS: dict[str, Checker] = {
    "domainName": string(min_len=1, max_len=256, pattern=DOMAIN_PATTERN),
    "protocol": string(enum=("HTTP", "HTTPS", "HTTP,HTTPS")),
    "authConfig": obj({"authType": string(enum=("anonymous", "function", "jwt")), "authInfo": string()}),
    "certConfig": obj(
        {
            "certName": string(min_len=1, max_len=128),
            "certificate": string(min_len=1),
            "privateKey": string(min_len=1),
        },
        required=("certName", "certificate", "privateKey"),
    ),
    "routeConfig": obj({"routes": array(_route, max_items=100)}),
    "tlsConfig": obj(
        {
            "minVersion": string(enum=("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
            "maxVersion": string(enum=("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
            "cipherSuites": array(string(min_len=1), max_items=100),
        },
        required=("minVersion", "cipherSuites"),
    ),
    "wafConfig": obj({"enableWAF": boolean()}),
}
_OUTPUT = ("accountId", "apiVersion", "createdTime", "lastModifiedTime", "subdomainCount")


def view(doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    cert = out.get("certConfig")
    if cert:
        out["certConfig"] = {k: v for k, v in cert.items() if k != "privateKey"}
    return out


def _load(state: BackendState, name: str) -> dict[str, Any]:
    doc = state.meta.get(DOMAIN, "", name)
    if doc is None:
        raise not_found("DomainNameNotFound", f"custom domain '{name}' does not exist")
    return doc


async def create_custom_domain(request: Request) -> Response:
    state = state_of(request)
    body = check_fields(await read_object(request), _FIELDS, ignored=_OUTPUT)
    name = body.get("domainName")
    if not name:
        raise invalid("domainName is required, e.g. api.example.com")
    now = now_iso()
    doc = {
        "domainName": name,
        "accountId": state.config.account_id,
        "apiVersion": API_VERSION,
        "protocol": "HTTP",
        "authConfig": {"authType": "anonymous"},
        "routeConfig": {"routes": []},
        "subdomainCount": "1",
        **body,
        "createdTime": now,
        "lastModifiedTime": now,
    }
    if not state.meta.insert(DOMAIN, "", name, doc):
        raise conflict("DomainNameAlreadyExists", f"custom domain '{name}' already exists")
    state.changed()
    return ok(request, view(doc))


async def get_custom_domain(request: Request) -> Response:
    return ok(request, view(_load(state_of(request), request.path_params["domain"])))


async def update_custom_domain(request: Request) -> Response:
    state = state_of(request)
    name = request.path_params["domain"]
    body = check_fields(await read_object(request), _FIELDS, ignored=_OUTPUT)
    if body.get("domainName") not in (None, name):
        raise invalid(f"domainName '{body['domainName']}' differs from the path's '{name}'")
    with state.meta.transaction():
        doc = _load(state, name)
        doc.update(body)
        doc["lastModifiedTime"] = now_iso()
        state.meta.put(DOMAIN, "", name, doc)
    state.changed()
    return ok(request, view(doc))


async def delete_custom_domain(request: Request) -> Response:
    state = state_of(request)
    name = request.path_params["domain"]
    with state.meta.transaction():
        _load(state, name)
        state.meta.delete(DOMAIN, "", name)
    state.changed()
    return no_content(request)


async def list_custom_domains(request: Request) -> Response:
    state = state_of(request)
    docs = [d for _, _, d in state.meta.list(DOMAIN, "")]
    limit = query_int(request, "limit", 20, 1, 100)
    items, token = page(
        docs, "domainName", limit=limit, token=query(request, "nextToken"), prefix=query(request, "prefix")
    )
    return ok(request, with_token({"customDomains": [view(d) for d in items]}, token))
