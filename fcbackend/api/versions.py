"""Versions and aliases (docs/reference/fc-api.md#versions-and-aliases).

Publishing snapshots the service and every function (config and code reference) into an immutable
version. Ids come from a per-service counter, so a deleted id is never handed out again. Publishing
when nothing changed since the newest version fails with 400 ``InvalidArgument`` (FC's exact code is
UNCONFIRMED). Deleting a version an alias points at fails with 412 ``VersionReferencedByAlias``
(UNCONFIRMED in FC; it keeps alias routing from dangling).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.errors import FcError, conflict, invalid, not_found
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
    touch,
    typed,
)
from fcbackend.api.pagination import page, with_token
from fcbackend.api.state import ALIAS, FUNCTION, LATEST, VERSION, BackendState, public, version_sort_key

P = "/2016-08-15"
_VOLATILE = ("createdTime", "lastModifiedTime", "_etag")


def _digest(service_doc: dict[str, Any], functions: dict[str, dict[str, Any]]) -> str:
    def stable(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k not in _VOLATILE}

    return make_etag(
        {"service": stable(service_doc), "functions": {name: stable(doc) for name, doc in functions.items()}}
    )


def _newest_version(state: BackendState, service: str) -> dict[str, Any] | None:
    rows = state.meta.list(VERSION, service, limit=1, descending=True)
    return rows[0][2] if rows else None


async def publish_version(request: Request) -> Response:
    state = backend(request)
    service = request.path_params["service"]
    body = await read_json(request)
    description = typed(body, "description", str, "a string") or ""
    with state.meta.transaction():
        svc = state.service_doc(service)
        check_if_match(request, svc.get("_etag", ""))
        functions = {name: data for _, name, data in state.meta.list(FUNCTION, service)}
        digest = _digest(svc, functions)
        newest = _newest_version(state, service)
        if newest is not None and newest.get("_digest") == digest:
            raise invalid(
                f"nothing changed in service '{service}' since version {newest['versionId']}; "
                "change a function or the service before publishing"
            )
        version_id = str(state.meta.next_id(f"version:{service}"))
        now = now_iso()
        doc = {
            "versionId": version_id,
            "description": description,
            "createdTime": now,
            "lastModifiedTime": now,
            "_digest": digest,
            "_snapshot": {"service": svc, "functions": functions},
        }
        state.meta.put(VERSION, service, version_id, doc, sort_key=version_sort_key(version_id))
    state.changed()
    return json_response(request, public(doc))


async def list_versions(request: Request) -> Response:
    state = backend(request)
    service = request.path_params["service"]
    state.service_doc(service)
    direction = (request.query_params.get("direction") or "BACKWARD").upper()
    if direction not in ("BACKWARD", "FORWARD"):
        raise invalid("direction must be BACKWARD (newest first) or FORWARD")
    items, token = page(
        request, state.meta, VERSION, service, sort_key=version_sort_key, descending=direction == "BACKWARD"
    )
    body = with_token({"versions": [public(d) for d in items]}, token)
    body["direction"] = direction
    return json_response(request, body)


async def delete_version(request: Request) -> Response:
    state = backend(request)
    service, version_id = request.path_params["service"], request.path_params["version"]
    with state.meta.transaction():
        state.service_doc(service)
        state.version_snapshot(service, version_id)
        for _, name, alias in state.meta.list(ALIAS, service):
            if alias.get("versionId") == version_id or version_id in (
                alias.get("additionalVersionWeight") or {}
            ):
                raise FcError(
                    412,
                    "VersionReferencedByAlias",
                    f"version {version_id} is used by alias '{name}'; change or delete the alias first",
                )
        state.meta.delete(VERSION, service, version_id)
    await state.evict(service)
    return empty_response(request)


# -- aliases --------------------------------------------------------------------------------------


def _check_version(state: BackendState, service: str, version_id: Any, what: str) -> str:
    if isinstance(version_id, int) and not isinstance(version_id, bool):
        version_id = str(version_id)
    if not isinstance(version_id, str) or not version_id:
        raise invalid(f"{what} is required and must be a version id")
    if version_id != LATEST:
        state.version_snapshot(service, version_id)
    return version_id


def _weights(state: BackendState, service: str, value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("additionalVersionWeight must be an object of version id -> weight (0 to 1)")
    out: dict[str, float] = {}
    for version, weight in value.items():
        _check_version(state, service, str(version), "additionalVersionWeight key")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise invalid(f"additionalVersionWeight['{version}'] must be a number between 0 and 1")
        out[str(version)] = weight
    if sum(out.values()) > 1 + 1e-9:
        raise invalid("the weights in additionalVersionWeight add up to more than 1")
    return out


def _load_alias(state: BackendState, service: str, name: str) -> dict[str, Any]:
    doc = state.meta.get(ALIAS, service, name)
    if doc is None:
        state.service_doc(service)
        raise not_found("AliasNotFound", f"alias '{name}' of service '{service}' does not exist")
    return doc


async def create_alias(request: Request) -> Response:
    state = backend(request)
    service = request.path_params["service"]
    body = await read_json(request)
    name = check_name("aliasName", body.get("aliasName"))
    if name == LATEST:
        raise invalid("aliasName 'LATEST' is reserved")
    now = now_iso()
    with state.meta.transaction():
        state.service_doc(service)
        doc = {
            "aliasName": name,
            "versionId": _check_version(state, service, body.get("versionId"), "versionId"),
            "description": typed(body, "description", str, "a string") or "",
            "additionalVersionWeight": _weights(state, service, body.get("additionalVersionWeight")),
            "createdTime": now,
            "lastModifiedTime": now,
        }
        for key in ("resolvePolicy", "routePolicy"):
            if body.get(key) is not None:
                doc[key] = body[key]
        doc["_etag"] = make_etag(doc)
        if not state.meta.insert(ALIAS, service, name, doc):
            raise conflict("AliasAlreadyExists", f"alias '{name}' already exists in service '{service}'")
    state.changed()
    return document_response(request, doc)


async def get_alias(request: Request) -> Response:
    state = backend(request)
    return document_response(
        request, _load_alias(state, request.path_params["service"], request.path_params["alias"])
    )


async def list_aliases(request: Request) -> Response:
    state = backend(request)
    service = request.path_params["service"]
    state.service_doc(service)
    items, token = page(request, state.meta, ALIAS, service)
    return json_response(request, with_token({"aliases": [public(d) for d in items]}, token))


async def update_alias(request: Request) -> Response:
    state = backend(request)
    service, name = request.path_params["service"], request.path_params["alias"]
    body = await read_json(request)
    with state.meta.transaction():
        doc = _load_alias(state, service, name)
        check_if_match(request, doc["_etag"])
        if body.get("versionId") is not None:
            doc["versionId"] = _check_version(state, service, body["versionId"], "versionId")
        if "additionalVersionWeight" in body:
            doc["additionalVersionWeight"] = _weights(state, service, body["additionalVersionWeight"])
        description = typed(body, "description", str, "a string")
        if description is not None:
            doc["description"] = description
        for key in ("resolvePolicy", "routePolicy"):
            if body.get(key) is not None:
                doc[key] = body[key]
        touch(doc)
        state.meta.put(ALIAS, service, name, doc)
    state.changed()
    return document_response(request, doc)


async def delete_alias(request: Request) -> Response:
    state = backend(request)
    service, name = request.path_params["service"], request.path_params["alias"]
    with state.meta.transaction():
        doc = _load_alias(state, service, name)
        check_if_match(request, doc["_etag"])
        state.meta.delete(ALIAS, service, name)
    state.changed()
    return empty_response(request)


ROUTES = [
    Route(f"{P}/services/{{service}}/versions", publish_version, methods=["POST"]),
    Route(f"{P}/services/{{service}}/versions", list_versions, methods=["GET"]),
    Route(f"{P}/services/{{service}}/versions/{{version}}", delete_version, methods=["DELETE"]),
    Route(f"{P}/services/{{service}}/aliases", create_alias, methods=["POST"]),
    Route(f"{P}/services/{{service}}/aliases", list_aliases, methods=["GET"]),
    Route(f"{P}/services/{{service}}/aliases/{{alias}}", get_alias, methods=["GET"]),
    Route(f"{P}/services/{{service}}/aliases/{{alias}}", update_alias, methods=["PUT"]),
    Route(f"{P}/services/{{service}}/aliases/{{alias}}", delete_alias, methods=["DELETE"]),
]
