"""Services: create, get (optionally at a qualifier), list, update, delete (docs/reference/fc-api.md#rest-api,
#lists-and-object-shapes)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.errors import FcError, conflict, invalid
from fcbackend.api.http import (
    backend,
    check_if_match,
    check_name,
    document_response,
    empty_response,
    json_response,
    make_etag,
    now_iso,
    read_json,
    split_qualified,
    touch,
    typed,
    unqualified_service,
)
from fcbackend.api.pagination import page_of_list, with_token
from fcbackend.api.state import (
    ALIAS,
    ASYNC_CONFIG,
    FUNCTION,
    LATEST,
    ON_DEMAND,
    PROVISION,
    SERVICE,
    TAGS,
    VERSION,
    BackendState,
    public,
)
from fcbackend.fc3.names import is_storage_service

P = "/2016-08-15"

_DEFAULTS: dict[str, Any] = {
    "description": "",
    "role": "",
    "logConfig": {
        "project": "",
        "logstore": "",
        "enableRequestMetrics": False,
        "enableInstanceMetrics": False,
        "logBeginRule": "None",
    },
    "vpcConfig": {"vpcId": "", "vSwitchIds": [], "securityGroupId": ""},
    "nasConfig": {"userId": -1, "groupId": -1, "mountPoints": []},
    "ossMountConfig": {"mountPoints": []},
    "internetAccess": True,
    "tracingConfig": {"type": None, "params": None},
    "useSLRAuthentication": False,
    "vpcBindings": [],
}
_MAPS = ("logConfig", "vpcConfig", "nasConfig", "ossMountConfig", "tracingConfig")


def service_arn(state: BackendState, name: str) -> str:
    return f"acs:fc:{state.config.region}:{state.config.account_id}:services/{name}"


def _config_from(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The service fields of a request body, type-checked; absent fields are left out."""
    out: dict[str, Any] = {}
    desc = typed(body, "description", str, "a string")
    if desc is not None:
        if len(desc) > 256:
            raise invalid("description must be at most 256 characters")
        out["description"] = desc
    role = typed(body, "role", str, "a string (RAM role ARN)")
    if role is not None:
        out["role"] = role
    for key in _MAPS:
        value = typed(body, key, dict, "an object")
        if value is not None:
            if key == "tracingConfig" and not value:
                value = {"type": None, "params": None}
            out[key] = value
    access = typed(body, "internetAccess", bool, "a boolean")
    if access is not None:
        out["internetAccess"] = access
    slr = typed(body, "useSLRAuthentication", bool, "a boolean")
    if slr is not None:
        out["useSLRAuthentication"] = slr
    bindings = typed(body, "vpcBindings", list, "a list of VPC ids")
    if bindings is not None:
        out["vpcBindings"] = bindings
    mounts = (out.get("nasConfig") or {}).get("mountPoints") or []
    if len(mounts) > 5:
        raise invalid("nasConfig.mountPoints allows at most 5 mount points")
    return out


async def create_service(request: Request) -> Response:
    state = backend(request)
    body = await read_json(request)
    name = check_name("serviceName", body.get("serviceName"))
    now = now_iso()
    doc = {
        "serviceId": str(uuid.uuid4()),
        "serviceName": name,
        **_DEFAULTS,
        **_config_from(body, creating=True),
        "createdTime": now,
        "lastModifiedTime": now,
    }
    doc["_etag"] = make_etag(doc)
    if not state.meta.insert(SERVICE, "", name, doc):
        raise conflict("ServiceAlreadyExists", f"service '{name}' already exists")
    state.changed()
    return document_response(request, doc)


async def get_service(request: Request) -> Response:
    state = backend(request)
    name, qualifier = split_qualified(request.path_params["service"])
    if qualifier and qualifier != LATEST:
        version_id = state.resolve_qualifier(name, qualifier)
        snapshot = state.version_snapshot(name, version_id)
        doc = dict(snapshot["_snapshot"]["service"])
        doc["description"] = snapshot.get("description", "")
        return document_response(request, doc)
    return document_response(request, state.service_doc(name))


async def list_services(request: Request) -> Response:
    state = backend(request)
    tag_filters = {k[4:]: v for k, v in request.query_params.items() if k.startswith("tag_")}
    # FC 3.0 functions' storage services (fcbackend.fc3.names) are no FC 2.0 services
    docs = [data for _, name, data in state.meta.list(SERVICE, "") if not is_storage_service(name)]
    if tag_filters:

        def tagged(doc: dict[str, Any]) -> bool:
            tags = (state.meta.get(TAGS, "", service_arn(state, doc["serviceName"])) or {}).get("tags", {})
            return all(tags.get(k) == v for k, v in tag_filters.items())

        docs = [d for d in docs if tagged(d)]
    items, token = page_of_list(request, docs, "serviceName")
    return json_response(request, with_token({"services": [public(d) for d in items]}, token))


async def update_service(request: Request) -> Response:
    state = backend(request)
    name = unqualified_service(
        request, "a published version cannot be updated; update the service without a qualifier"
    )
    body = await read_json(request)
    changes = _config_from(body, creating=False)
    with state.meta.transaction():
        doc = state.service_doc(name)
        check_if_match(request, doc["_etag"])
        doc.update(changes)
        touch(doc)
        state.meta.put(SERVICE, "", name, doc)
    await state.evict(name)
    return document_response(request, doc)


async def delete_service(request: Request) -> Response:
    state = backend(request)
    name = unqualified_service(request, "delete the service without a qualifier")
    with state.meta.transaction():
        doc = state.service_doc(name)
        check_if_match(request, doc["_etag"])
        if state.meta.count(FUNCTION, name):
            raise FcError(412, "ServiceNotEmpty", f"service '{name}' still has functions; delete them first")
        if state.meta.count(VERSION, name):
            raise FcError(
                412, "ServiceNotEmpty", f"service '{name}' still has published versions; delete them first"
            )
        state.meta.delete(SERVICE, "", name)
        for kind in (ALIAS, PROVISION, ON_DEMAND, ASYNC_CONFIG):
            state.meta.delete_scope(kind, name)
        state.meta.delete(TAGS, "", service_arn(state, name))
    await state.evict(name)
    return empty_response(request)


ROUTES = [
    Route(f"{P}/services", create_service, methods=["POST"]),
    Route(f"{P}/services", list_services, methods=["GET"]),
    Route(f"{P}/services/{{service}}", get_service, methods=["GET"]),
    Route(f"{P}/services/{{service}}", update_service, methods=["PUT"]),
    Route(f"{P}/services/{{service}}", delete_service, methods=["DELETE"]),
]
