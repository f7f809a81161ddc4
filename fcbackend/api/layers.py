"""Layers: publish versions (content-addressed code), get, list, delete, ACL
(docs/reference/fc-api.md#rest-api, #lists-and-object-shapes).

A layer version's ARN is ``acs:fc:<region>:<account>:layers/<name>/versions/<n>`` (``arn`` and
``arnV2`` carry the same value locally; FC2's hashed ``arn`` form is also accepted when functions
reference layers). Version numbers come from a per-layer counter and are never reused.

Deleting a layer version (UNCONFIRMED how FC stores it; this is the behaviour FC documents): the
version disappears from get/list and no function may *start* referencing it, but functions (and
published versions) that already reference it keep running. So delete moves the version's document
to the ``deleted_layer_version`` kind instead of dropping it; its content-addressed code stays in
the code store. :func:`layer_version_for_arn` answers for new references (live versions only),
:func:`referenced_layer_version` for existing ones (live or deleted).

ACL (``PUT /layers/{name}/acl``): ``public`` comes as a query parameter (FC2 SDK, ``?public=true``)
or in a JSON body (``{"public": true}``); it sets ``acl`` to 1 (public) or 0 (private) on every
version of the layer. ``true``/``false`` and ``1``/``0`` are accepted, anything else is a 400.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.code_input import download_token, store_code
from fcbackend.api.errors import invalid, not_found
from fcbackend.api.http import backend, empty_response, json_response, now_iso, read_json, typed
from fcbackend.api.pagination import page, page_of_list, with_token
from fcbackend.api.state import (
    DELETED_LAYER_VERSION,
    LAYER_VERSION,
    BackendState,
    public,
    version_sort_key,
)

P = "/2016-08-15"
_LAYER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_ARN = re.compile(r"layers/(?P<name>[^/#]+)/versions/(?P<version>\d+)$")
_HASH_ARN = re.compile(r"#(?P<name>[^#]+)#(?P<version>\d+)$")


def layer_arn(state: BackendState, name: str, version: int | str) -> str:
    return f"acs:fc:{state.config.region}:{state.config.account_id}:layers/{name}/versions/{version}"


def _parse_arn(arn: Any) -> tuple[str, str]:
    match = (_ARN.search(arn) or _HASH_ARN.search(arn)) if isinstance(arn, str) else None
    if not match:
        raise invalid(
            f"layer ARN {arn!r} is invalid; expected acs:fc:<region>:<account>:layers/<name>/versions/<n>"
        )
    return match["name"], match["version"]


def layer_version_for_arn(state: BackendState, arn: str) -> dict[str, Any]:
    """The live layer version an ARN names, for a *new* reference (create/update function);
    400 when it does not exist or was deleted."""
    name, version = _parse_arn(arn)
    doc = state.meta.get(LAYER_VERSION, name, version)
    if doc is None:
        raise invalid(f"layer '{name}' version {version} (from '{arn}') does not exist")
    return doc


def referenced_layer_version(state: BackendState, arn: str) -> dict[str, Any]:
    """The layer version an *existing* reference names, deleted or not: a function that already
    uses a layer version keeps running after the version is deleted (as on FC)."""
    name, version = _parse_arn(arn)
    doc = state.meta.get(LAYER_VERSION, name, version) or state.meta.get(DELETED_LAYER_VERSION, name, version)
    if doc is None:
        raise invalid(f"layer '{name}' version {version} (from '{arn}') does not exist")
    return doc


def _check_layer_name(name: str) -> str:
    if not _LAYER_NAME.match(name):
        raise invalid(
            f"layer name '{name}' is invalid: 1-64 letters, digits, '_' or '-', starting with a letter or '_'"
        )
    return name


def _view(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    sha = doc["_code"]["sha256"]
    base = f"{request.url.scheme}://{request.url.netloc}"
    state = backend(request)
    out["code"] = {
        "location": f"{base}{P}/local/code/{sha}.zip?token={download_token(state, sha)}",
        "repositoryType": "OSS",
    }
    return out


async def publish_layer_version(request: Request) -> Response:
    state = backend(request)
    name = _check_layer_name(request.path_params["layer"])
    body = await read_json(request)
    runtimes = body.get("compatibleRuntime")
    if runtimes is None:
        runtimes = []
    if not isinstance(runtimes, list) or not all(isinstance(r, str) for r in runtimes):
        raise invalid("compatibleRuntime must be a list of runtime names, e.g. ['python3.10']")
    if body.get("code") is None:
        raise invalid("code is required (zipFile or ossBucketName + ossObjectName)")
    blob = await store_code(state, body["code"])
    version = state.meta.next_id(f"layer:{name}")
    arn = layer_arn(state, name, version)
    doc = {
        "layerName": name,
        "version": version,
        "description": typed(body, "description", str, "a string") or "",
        "codeSize": blob.size,
        "codeChecksum": blob.checksum,
        "createTime": now_iso(),
        "compatibleRuntime": runtimes,
        "arn": arn,
        "arnV2": arn,
        "acl": 0,
        "license": typed(body, "license", str, "a string") or "",
        "_code": {"sha256": blob.sha256},
    }
    state.meta.put(LAYER_VERSION, name, str(version), doc, sort_key=version_sort_key(str(version)))
    return json_response(request, _view(request, doc))


def _load(state: BackendState, name: str, version: str) -> dict[str, Any]:
    doc = state.meta.get(LAYER_VERSION, name, version)
    if doc is None:
        raise not_found("LayerNotFound", f"layer '{name}' version {version} does not exist")
    return doc


async def get_layer_version(request: Request) -> Response:
    state = backend(request)
    return json_response(
        request, _view(request, _load(state, request.path_params["layer"], request.path_params["version"]))
    )


async def delete_layer_version(request: Request) -> Response:
    state = backend(request)
    name, version = request.path_params["layer"], request.path_params["version"]
    with state.meta.transaction():
        doc = _load(state, name, version)
        state.meta.put(DELETED_LAYER_VERSION, name, version, doc, sort_key=version_sort_key(version))
        state.meta.delete(LAYER_VERSION, name, version)
    return empty_response(request)


async def list_layer_versions(request: Request) -> Response:
    state = backend(request)
    name = request.path_params["layer"]
    items, token = page(
        request, state.meta, LAYER_VERSION, name, sort_key=version_sort_key, start_param="startVersion"
    )
    if not items and state.meta.count(LAYER_VERSION, name) == 0:
        raise not_found("LayerNotFound", f"layer '{name}' does not exist")
    return json_response(request, with_token({"layers": [_view(request, d) for d in items]}, token))


async def list_layers(request: Request) -> Response:
    state = backend(request)
    newest: dict[str, dict[str, Any]] = {}
    for _, _, doc in state.meta.list(LAYER_VERSION, None):
        if doc["layerName"] not in newest or doc["version"] > newest[doc["layerName"]]["version"]:
            newest[doc["layerName"]] = doc
    items, token = page_of_list(request, list(newest.values()), "layerName")
    return json_response(request, with_token({"layers": [_view(request, d) for d in items]}, token))


_TRUE, _FALSE = ("true", "1"), ("false", "0")


def _public_flag(value: Any, where: str) -> bool:
    text = str(value).lower() if isinstance(value, (bool, int, str)) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid(f"{where} must be true or false, got {value!r}")


async def _requested_acl(request: Request) -> bool:
    """``public`` from the query (FC2 SDK) or, failing that, from a JSON body."""
    if "public" in request.query_params:
        return _public_flag(request.query_params["public"], "query parameter 'public'")
    body = await read_json(request)
    if "public" not in body:
        raise invalid('public is required: PUT /layers/<name>/acl?public=true|false or body {"public": true}')
    return _public_flag(body["public"], "body field 'public'")


async def put_layer_acl(request: Request) -> Response:
    state = backend(request)
    name = request.path_params["layer"]
    acl = 1 if await _requested_acl(request) else 0
    with state.meta.transaction():
        rows = state.meta.list(LAYER_VERSION, name)
        if not rows:
            raise not_found("LayerNotFound", f"layer '{name}' does not exist")
        for _, version, doc in rows:
            doc["acl"] = acl
            state.meta.put(LAYER_VERSION, name, version, doc, sort_key=version_sort_key(version))
    return empty_response(request, 202)


ROUTES = [
    Route(f"{P}/layers", list_layers, methods=["GET"]),
    Route(f"{P}/layers/{{layer}}/versions", publish_layer_version, methods=["POST"]),
    Route(f"{P}/layers/{{layer}}/versions", list_layer_versions, methods=["GET"]),
    Route(f"{P}/layers/{{layer}}/versions/{{version}}", get_layer_version, methods=["GET"]),
    Route(f"{P}/layers/{{layer}}/versions/{{version}}", delete_layer_version, methods=["DELETE"]),
    Route(f"{P}/layers/{{layer}}/acl", put_layer_acl, methods=["PUT"]),
]
