"""FC 3.0 layers: the same layer store as FC 2.0 (a layer published through either API serves
functions of both), shown the FC 3.0 way.

FC 3.0's Layer: ``{layerName, version, layerVersionArn, acl ("0" private | "1" public),
code {location, repositoryType}, codeChecksum, codeSize, compatibleRuntime, createTime,
description, license}``. ``GET /layerarn/{arn}`` takes the version ARN percent-encoded in one path
segment (routed on the raw path for that reason). ``PUT /layers/{name}/acl?acl=0|1`` (or
``public=true|false``) sets the ACL of every version. ``ListLayers?public=true`` lists public
layers, ``official=true`` official ones (none exist locally).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.code_input import download_token, store_code
from fcbackend.api.errors import invalid, not_found
from fcbackend.api.http import now_iso
from fcbackend.api.layers import layer_arn
from fcbackend.api.state import DELETED_LAYER_VERSION, LAYER_VERSION, BackendState, version_sort_key
from fcbackend.fc3.http import (
    no_content,
    ok,
    page,
    query,
    query_bool,
    query_int,
    read_object,
    state_of,
    with_token,
)
from fcbackend.fc3.validation import array, check_fields, obj, string

LAYER_NAME = r"[A-Za-z_][A-Za-z0-9_-]{0,63}"
_ARN = re.compile(r"^acs:fc:[^:]*:[^:]*:layers/(?P<name>[^/]+)/versions/(?P<version>\d+)$")
_FIELDS = {
    "code": obj(
        {
            "zipFile": string(),
            "ossBucketName": string(min_len=3, max_len=63),
            "ossObjectName": string(min_len=1, max_len=1024),
            "checksum": string(max_len=64),
        }
    ),
    "compatibleRuntime": array(string(min_len=1, max_len=64), max_items=20),
    "description": string(max_len=256),
    "license": string(max_len=256),
}


def _name(request: Request) -> str:
    name = request.path_params["layer"]
    if not re.fullmatch(LAYER_NAME, name):
        raise invalid(
            f"layer name '{name}' is invalid: 1-64 letters, digits, '_' or '-', starting with a letter or '_'"
        )
    return name


def view(request: Request, state: BackendState, doc: dict[str, Any]) -> dict[str, Any]:
    sha = doc["_code"]["sha256"]
    base = f"{request.url.scheme}://{request.url.netloc}"
    return {
        "layerName": doc["layerName"],
        "version": doc["version"],
        "layerVersionArn": doc["arn"],
        "acl": str(doc.get("acl", 0)),
        "code": {
            "location": f"{base}/2016-08-15/local/code/{sha}.zip?token={download_token(state, sha)}",
            "repositoryType": "OSS",
        },
        "codeChecksum": doc.get("codeChecksum", ""),
        "codeSize": doc.get("codeSize", 0),
        "compatibleRuntime": doc.get("compatibleRuntime") or [],
        "createTime": doc.get("createTime", ""),
        "description": doc.get("description", ""),
        "license": doc.get("license", ""),
    }


async def create_layer_version(request: Request) -> Response:
    state = state_of(request)
    name = _name(request)
    body = check_fields(await read_object(request), _FIELDS)
    if body.get("code") is None:
        raise invalid("code is required (zipFile or ossBucketName + ossObjectName)")
    blob = await store_code(state, body["code"])
    wanted = body["code"].get("checksum")
    if wanted and wanted != blob.checksum:
        raise invalid(f"code.checksum {wanted} does not match the package's CRC-64 ({blob.checksum})")
    current = state.meta.list(LAYER_VERSION, name, limit=1)
    acl = current[0][2].get("acl", 0) if current else 0
    version = state.meta.next_id(f"layer:{name}")
    arn = layer_arn(state, name, version)
    doc = {
        "layerName": name,
        "version": version,
        "description": body.get("description", ""),
        "codeSize": blob.size,
        "codeChecksum": blob.checksum,
        "createTime": now_iso(),
        "compatibleRuntime": body.get("compatibleRuntime", []),
        "arn": arn,
        "arnV2": arn,
        "acl": acl,
        "license": body.get("license", ""),
        "_code": {"sha256": blob.sha256},
    }
    state.meta.put(LAYER_VERSION, name, str(version), doc, sort_key=version_sort_key(str(version)))
    return ok(request, view(request, state, doc))


def _load(state: BackendState, name: str, version: str) -> dict[str, Any]:
    doc = state.meta.get(LAYER_VERSION, name, version)
    if doc is None:
        if state.meta.count(LAYER_VERSION, name) == 0:
            raise not_found("LayerNotFound", f"layer '{name}' does not exist")
        raise not_found("LayerVersionNotFound", f"layer '{name}' has no version {version}")
    return doc


async def get_layer_version(request: Request) -> Response:
    state = state_of(request)
    return ok(request, view(request, state, _load(state, _name(request), request.path_params["version"])))


async def get_layer_version_by_arn(request: Request) -> Response:
    state = state_of(request)
    arn = request.path_params["arn"]
    match = _ARN.match(arn)
    if match is None:
        raise invalid(
            f"'{arn}' is not a layer version ARN (acs:fc:<region>:<account>:layers/<name>/versions/<n>)"
        )
    return ok(request, view(request, state, _load(state, match["name"], match["version"])))


async def delete_layer_version(request: Request) -> Response:
    """The version disappears from gets and lists; functions that use it keep running (FC)."""
    state = state_of(request)
    name, version = _name(request), request.path_params["version"]
    with state.meta.transaction():
        doc = _load(state, name, version)
        state.meta.put(DELETED_LAYER_VERSION, name, version, doc, sort_key=version_sort_key(version))
        state.meta.delete(LAYER_VERSION, name, version)
    return no_content(request)


async def list_layer_versions(request: Request) -> Response:
    state = state_of(request)
    name = _name(request)
    limit = query_int(request, "limit", 20, 1, 100)
    start = query(request, "startVersion")
    if start is not None and not start.isdigit():
        raise invalid(f"startVersion must be a version number, got {start!r}")
    rows = state.meta.list(
        LAYER_VERSION, name, start=version_sort_key(start) if start else None, limit=limit + 1
    )
    if not rows and state.meta.count(LAYER_VERSION, name) == 0:
        raise not_found("LayerNotFound", f"layer '{name}' does not exist")
    body: dict[str, Any] = {"layers": [view(request, state, d) for _, _, d in rows[:limit]]}
    if len(rows) > limit:
        body["nextVersion"] = int(rows[limit][1])
    return ok(request, body)


async def list_layers(request: Request) -> Response:
    state = state_of(request)
    if query_bool(request, "official", False):
        return ok(request, {"layers": []})
    public_only = query_bool(request, "public", False)
    newest: dict[str, dict[str, Any]] = {}
    for _, _, doc in state.meta.list(LAYER_VERSION, None):
        if public_only and str(doc.get("acl", 0)) != "1":
            continue
        if doc["layerName"] not in newest or doc["version"] > newest[doc["layerName"]]["version"]:
            newest[doc["layerName"]] = doc
    limit = query_int(request, "limit", 20, 1, 100)
    items, token = page(
        list(newest.values()),
        "layerName",
        limit=limit,
        token=query(request, "nextToken"),
        prefix=query(request, "prefix"),
    )
    return ok(request, with_token({"layers": [view(request, state, d) for d in items]}, token))


async def put_layer_acl(request: Request) -> Response:
    state = state_of(request)
    name = _name(request)
    acl_text = query(request, "acl")
    if acl_text is not None:
        if acl_text not in ("0", "1"):
            raise invalid(f"acl must be 0 (private) or 1 (public), got {acl_text!r}")
        acl = int(acl_text)
    elif query(request, "public") is not None:
        acl = 1 if query_bool(request, "public", False) else 0
    else:
        raise invalid("acl is required: PUT /layers/<name>/acl?acl=0|1 (or public=true|false)")
    with state.meta.transaction():
        rows = state.meta.list(LAYER_VERSION, name)
        if not rows:
            raise not_found("LayerNotFound", f"layer '{name}' does not exist")
        for _, version, doc in rows:
            doc["acl"] = acl
            state.meta.put(LAYER_VERSION, name, version, doc, sort_key=version_sort_key(version))
    return no_content(request)
