"""Functions: create (code as base64 zip or local OSS object), get, list, update, delete, and the
code download (docs/reference/fc-api.md#rest-api, #lists-and-object-shapes)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from fcbackend.api.code_input import download_token, store_code
from fcbackend.api.errors import FcError, conflict, invalid, not_found
from fcbackend.api.function_config import FUNCTION_DEFAULTS, function_fields
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
    unqualified_service,
)
from fcbackend.api.pagination import page, page_of_list, with_token
from fcbackend.api.state import (
    ASYNC_CONFIG,
    FUNCTION,
    LATEST,
    ON_DEMAND,
    PROVISION,
    TRIGGER,
    BackendState,
    public,
)

P = "/2016-08-15"


def _check_layers(state: BackendState, fields: dict[str, Any], current: list[str] | None = None) -> None:
    """New layer references must name live layer versions. ARNs the function already references
    (``current``) stay allowed even when their version was deleted since: on FC a deleted layer
    version keeps working for the functions that use it, so re-sending the same layers (e.g. an
    update that echoes the whole config) must not fail."""
    from fcbackend.api.layers import layer_version_for_arn, referenced_layer_version

    kept = set(current or [])
    for arn in fields.get("layers") or []:
        if arn in kept:
            referenced_layer_version(state, arn)
        else:
            layer_version_for_arn(state, arn)
    if "layers" in fields:
        fields["layersArnV2"] = list(fields["layers"])


def _check_runnable(doc: dict[str, Any]) -> None:
    runtime = doc.get("runtime", "")
    if runtime == "custom-container":
        if not (doc.get("customContainerConfig") or {}).get("image"):
            raise invalid("customContainerConfig.image is required for runtime custom-container")
    elif not doc.get("_code"):
        raise invalid(f"code is required for runtime {runtime} (zipFile or ossBucketName + ossObjectName)")
    if not doc.get("handler") and not runtime.startswith("custom"):
        raise invalid("handler is required, e.g. index.handler")


async def create_function(request: Request) -> Response:
    state = backend(request)
    service = unqualified_service(request, "functions are created on the service itself, not on a qualifier")
    body = await read_json(request)
    name = check_name("functionName", body.get("functionName"))
    state.service_doc(service)
    fields = function_fields(body)
    if "runtime" not in fields:
        raise invalid("runtime is required, e.g. python3.10, nodejs18, custom.debian10 or custom-container")
    _check_layers(state, fields)
    now = now_iso()
    doc: dict[str, Any] = {
        "functionId": str(uuid.uuid4()),
        "functionName": name,
        **FUNCTION_DEFAULTS,
        **fields,
        "codeChecksum": "",
        "codeSize": 0,
        "createdTime": now,
        "lastModifiedTime": now,
    }
    if body.get("code") is not None:
        blob = await store_code(state, body["code"])
        doc.update(codeChecksum=blob.checksum, codeSize=blob.size, _code={"sha256": blob.sha256})
    _check_runnable(doc)
    doc["_etag"] = make_etag(public(doc))
    with state.meta.transaction():
        state.service_doc(service)
        if not state.meta.insert(FUNCTION, service, name, doc):
            raise conflict(
                "FunctionAlreadyExists", f"function '{name}' already exists in service '{service}'"
            )
    state.changed()
    return document_response(request, doc)


async def get_function(request: Request) -> Response:
    state = backend(request)
    service, qualifier = split_qualified(request.path_params["service"])
    doc, _ = state.function_doc(service, request.path_params["function"], qualifier)
    return document_response(request, doc)


async def list_functions(request: Request) -> Response:
    state = backend(request)
    service, qualifier = split_qualified(request.path_params["service"])
    if qualifier and qualifier != LATEST:
        version_id = state.resolve_qualifier(service, qualifier)
        functions = list(state.version_snapshot(service, version_id)["_snapshot"]["functions"].values())
        items, token = page_of_list(request, functions, "functionName")
    else:
        state.service_doc(service)
        items, token = page(request, state.meta, FUNCTION, service)
    return json_response(request, with_token({"functions": [public(d) for d in items]}, token))


async def update_function(request: Request) -> Response:
    state = backend(request)
    service = unqualified_service(
        request, "a published version cannot be updated; update the function without a qualifier"
    )
    name = request.path_params["function"]
    body = await read_json(request)
    fields = function_fields(body)
    blob = await store_code(state, body["code"]) if body.get("code") is not None else None
    with state.meta.transaction():
        doc = state.latest_function_doc(service, name)
        check_if_match(request, doc["_etag"])
        _check_layers(state, fields, doc.get("layers"))
        doc.update(fields)
        if blob is not None:
            doc.update(codeChecksum=blob.checksum, codeSize=blob.size, _code={"sha256": blob.sha256})
        _check_runnable(doc)
        touch(doc)
        state.meta.put(FUNCTION, service, name, doc)
    await state.evict(service, name)
    return document_response(request, doc)


async def delete_function(request: Request) -> Response:
    state = backend(request)
    service = unqualified_service(request, "delete the function without a qualifier")
    name = request.path_params["function"]
    with state.meta.transaction():
        doc = state.latest_function_doc(service, name)
        check_if_match(request, doc["_etag"])
        if state.meta.count(TRIGGER, f"{service}/{name}"):
            raise FcError(412, "FunctionNotEmpty", f"function '{name}' still has triggers; delete them first")
        state.meta.delete(FUNCTION, service, name)
        for kind in (ASYNC_CONFIG, PROVISION, ON_DEMAND):
            for _, key, _data in state.meta.list(kind, service):
                if key.split("@", 1)[0] == name:
                    state.meta.delete(kind, service, key)
    await state.evict(service, name)
    return empty_response(request)


async def get_function_code(request: Request) -> Response:
    state = backend(request)
    service, qualifier = split_qualified(request.path_params["service"])
    doc, _ = state.function_doc(service, request.path_params["function"], qualifier)
    sha = (doc.get("_code") or {}).get("sha256")
    if not sha:
        raise not_found(
            "CodeNotFound", f"function '{doc['functionName']}' has no code package (custom container)"
        )
    base = f"{request.url.scheme}://{request.url.netloc}"
    url = f"{base}{P}/local/code/{sha}.zip?token={download_token(state, sha)}"
    return json_response(request, {"checksum": doc.get("codeChecksum", ""), "url": url})


async def download_code(request: Request) -> Response:
    """Serves the URL returned by ``/code`` (no FC signature; the token stands in for one)."""
    state = backend(request)
    sha = request.path_params["sha"]
    if request.query_params.get("token") != download_token(state, sha):
        raise FcError(403, "AccessDenied", "the code download token is missing or wrong")
    path = state.code.zip_path(sha)
    if not path.is_file():
        raise not_found("CodeNotFound", "the code package no longer exists")
    return FileResponse(path, media_type="application/zip")


ROUTES = [
    Route(f"{P}/services/{{service}}/functions", create_function, methods=["POST"]),
    Route(f"{P}/services/{{service}}/functions", list_functions, methods=["GET"]),
    Route(f"{P}/services/{{service}}/functions/{{function}}", get_function, methods=["GET"]),
    Route(f"{P}/services/{{service}}/functions/{{function}}", update_function, methods=["PUT"]),
    Route(f"{P}/services/{{service}}/functions/{{function}}", delete_function, methods=["DELETE"]),
    Route(f"{P}/services/{{service}}/functions/{{function}}/code", get_function_code, methods=["GET"]),
    Route(f"{P}/local/code/{{sha}}.zip", download_code, methods=["GET"]),
]
