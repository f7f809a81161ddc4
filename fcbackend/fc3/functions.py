"""FC 3.0 functions: create, get, update, delete, list, code download, invocation switch.

A function is stored as the only function of its storage service (:mod:`fcbackend.fc3.names`);
creating one writes both documents (and its tags) in one transaction, so a failed create leaves
nothing behind. ``state`` is ``Active`` and ``lastUpdateStatus`` ``Successful`` as soon as a call
returns: the code is stored and checked before the answer, nothing is pending afterwards.

Deleting a function that still has triggers is refused (412 ``FunctionNotEmpty``, as the 2.0 API
here does): a trigger is a live event source. Its versions, aliases, async, provision and
concurrency configs, VPC bindings and tags go with it (UNCONFIRMED: the reference does not say;
clients such as Serverless Devs delete those first anyway).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.code_input import download_token, store_code
from fcbackend.api.errors import FcError, conflict, invalid, not_found
from fcbackend.api.http import make_etag, now_iso
from fcbackend.api.layers import layer_version_for_arn, referenced_layer_version
from fcbackend.api.state import (
    ALIAS,
    ASYNC_CONFIG,
    FUNCTION,
    ON_DEMAND,
    PROVISION,
    SERVICE,
    TAGS,
    TRIGGER,
    VERSION,
    BackendState,
    public,
)
from fcbackend.fc3 import function_model as model
from fcbackend.fc3.http import (
    no_content,
    ok,
    page,
    query,
    query_int,
    query_json_list,
    read_object,
    state_of,
    with_token,
)
from fcbackend.fc3.lookup import FC3_MARKER, fc2_view, fc3_ref, function_doc, latest_doc, ref_of
from fcbackend.fc3.names import is_storage_service
from fcbackend.store import CodeBlob

CONCURRENCY = "fc3_concurrency"
FC3_PREFIX = "/2023-03-30"


def function_arn(state: BackendState, name: str) -> str:
    return f"acs:fc:{state.config.region}:{state.config.account_id}:functions/{name}"


async def _stored_code(state: BackendState, code: dict[str, Any]) -> CodeBlob:
    blob = await store_code(state, code, "code")
    wanted = code.get("checksum")
    if wanted and wanted != blob.checksum:
        raise invalid(
            f"code.checksum {wanted} does not match the package's CRC-64 ({blob.checksum}); "
            "the package was changed or the checksum computed over something else"
        )
    return blob


def _layers(
    state: BackendState, arns: list[str], current: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The response form ``[{arn, size}]`` and the ARN list; new references must name live
    layer versions, ones the function already had may name deleted ones (FC keeps them working)."""
    shown = []
    for arn in arns:
        layer = referenced_layer_version(state, arn) if arn in current else layer_version_for_arn(state, arn)
        shown.append({"arn": arn, "size": int(layer.get("codeSize") or 0)})
    return shown, list(arns)


def _apply(doc: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key in ("code", "layers"):
            continue
        doc[key] = value
    if "cpu" in fields:
        doc["_cpuGiven"] = True


def _tag_doc(tags: list[dict[str, str]]) -> dict[str, Any]:
    return {"tags": {t["Key"]: t.get("Value", "") for t in tags}}


def _with_tags(state: BackendState, doc: dict[str, Any]) -> dict[str, Any]:
    tags = (state.meta.get(TAGS, "", doc["functionArn"]) or {}).get("tags", {})
    return {**public(doc), "tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


async def create_function(request: Request) -> Response:
    state = state_of(request)
    body = await read_object(request)
    fields = model.create_fields(body)
    name = fields["functionName"]
    ref = fc3_ref(name)
    now = now_iso()
    doc: dict[str, Any] = {
        "functionName": name,
        "functionArn": function_arn(state, name),
        "functionId": str(uuid.uuid4()),
        **model.DEFAULTS,
        "codeChecksum": "",
        "codeSize": 0,
        "createdTime": now,
        "lastModifiedTime": now,
        "state": "Active",
        "stateReason": "",
        "stateReasonCode": "",
        "lastUpdateStatus": "Successful",
        "lastUpdateStatusReason": "",
        "lastUpdateStatusReasonCode": "",
    }
    tags = fields.pop("tags", [])
    _apply(doc, fields)
    if "layers" in fields:
        doc["layers"], doc["_layerArns"] = _layers(state, fields["layers"], [])
    if fields.get("code") is not None:
        blob = await _stored_code(state, fields["code"])
        doc.update(codeChecksum=blob.checksum, codeSize=blob.size, _code={"sha256": blob.sha256})
    model.finish(doc)
    doc.pop("tags", None)
    doc["_etag"] = make_etag(public(doc))
    storage = {"serviceName": ref.service, FC3_MARKER: True, "vpcBindings": [], "createdTime": now}
    with state.meta.transaction():
        if not state.meta.insert(SERVICE, "", ref.service, storage):
            raise conflict("FunctionAlreadyExists", f"function '{name}' already exists")
        state.meta.insert(FUNCTION, ref.service, name, doc)
        if tags:
            state.meta.put(TAGS, "", doc["functionArn"], _tag_doc(tags))
    state.changed()
    return ok(request, _with_tags(state, doc))


async def get_function(request: Request) -> Response:
    state = state_of(request)
    ref = ref_of(request.path_params["function"])
    qualifier = query(request, "qualifier")
    if ref.fc2:
        doc, _ = state.function_doc(ref.service, ref.function, qualifier)
        return ok(request, fc2_view(state, ref.service, doc))
    doc, _ = function_doc(state, ref, qualifier)
    return ok(request, _with_tags(state, doc))


async def update_function(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    body = await read_object(request)
    if body.get("functionName") not in (None, ref.function):
        raise invalid(f"functionName '{body['functionName']}' differs from the path's '{ref.function}'")
    fields = model.update_fields(body)
    blob = await _stored_code(state, fields["code"]) if fields.get("code") is not None else None
    with state.meta.transaction():
        doc = latest_doc(state, ref)
        new_runtime = fields.get("runtime")
        if (
            new_runtime
            and new_runtime != doc.get("runtime")
            and "custom-container" in (new_runtime, doc.get("runtime"))
        ):
            raise invalid("runtime cannot change to or from custom-container; create a new function")
        _apply(doc, fields)
        if "layers" in fields:
            doc["layers"], doc["_layerArns"] = _layers(state, fields["layers"], doc.get("_layerArns") or [])
        if blob is not None:
            doc.update(codeChecksum=blob.checksum, codeSize=blob.size, _code={"sha256": blob.sha256})
        model.finish(doc)
        doc["lastModifiedTime"] = now_iso()
        doc.pop("_etag", None)
        doc["_etag"] = make_etag(public(doc))
        state.meta.put(FUNCTION, ref.service, ref.function, doc)
    await state.evict(ref.service, ref.function)
    return ok(request, _with_tags(state, doc))


async def delete_function(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    with state.meta.transaction():
        doc = latest_doc(state, ref)
        triggers = [name for _, name, _ in state.meta.list(TRIGGER, f"{ref.service}/{ref.function}")]
        if triggers:
            raise FcError(
                412,
                "FunctionNotEmpty",
                f"function '{ref.name}' still has triggers ({', '.join(triggers)}); delete them first",
            )
        state.meta.delete(FUNCTION, ref.service, ref.function)
        state.meta.delete(SERVICE, "", ref.service)
        for kind in (VERSION, ALIAS, ASYNC_CONFIG, PROVISION, ON_DEMAND, CONCURRENCY):
            state.meta.delete_scope(kind, ref.service)
        state.meta.delete(TAGS, "", doc["functionArn"])
    await state.evict(ref.service, ref.function)
    return no_content(request)


def _all_functions(state: BackendState, fc_version: str | None) -> list[dict[str, Any]]:
    found = []
    for service, _, doc in state.meta.list(FUNCTION, None):
        fc3 = is_storage_service(service)
        if fc_version == "v3" and not fc3 or fc_version == "v2" and fc3:
            continue
        found.append(_with_tags(state, doc) if fc3 else fc2_view(state, service, doc))
    return found


async def list_functions(request: Request) -> Response:
    state = state_of(request)
    fc_version = query(request, "fcVersion")
    if fc_version not in (None, "v2", "v3"):
        raise invalid(f"fcVersion must be v2 or v3, got '{fc_version}'")
    items = _all_functions(state, fc_version)
    for key in ("runtime", "description", "resourceGroupId"):
        wanted = query(request, key)
        if wanted is not None:
            items = [i for i in items if str(i.get(key) or "") == wanted]
    gpu_type = query(request, "gpuType")
    if gpu_type is not None:
        items = [i for i in items if (i.get("gpuConfig") or {}).get("gpuType") == gpu_type]
    tag_filter = query_json_list(request, "tags") or []
    for tag in tag_filter:
        if not isinstance(tag, dict) or "Key" not in tag:
            raise invalid('tags must be a JSON array of {"Key": ..., "Value": ...}')
        items = [
            i
            for i in items
            if any(
                t["Key"] == tag["Key"] and ("Value" not in tag or t.get("Value") == tag["Value"])
                for t in i.get("tags") or []
            )
        ]
    name = query(request, "functionName")
    if name is not None:
        items = [i for i in items if name in i["functionName"]]
    limit = query_int(request, "limit", 20, 1, 100)
    chosen, token = page(
        items, "functionName", limit=limit, token=query(request, "nextToken"), prefix=query(request, "prefix")
    )
    return ok(request, with_token({"functions": [model.list_view(i) for i in chosen]}, token))


async def get_function_code(request: Request) -> Response:
    state = state_of(request)
    ref = ref_of(request.path_params["function"])
    qualifier = query(request, "qualifier")
    if ref.fc2:
        doc, _ = state.function_doc(ref.service, ref.function, qualifier)
    else:
        doc, _ = function_doc(state, ref, qualifier)
    sha = (doc.get("_code") or {}).get("sha256")
    if not sha:
        raise not_found(
            "CodeNotFound", f"function '{ref.name}' has no code package (it runs a container image)"
        )
    base = f"{request.url.scheme}://{request.url.netloc}"
    url = f"{base}/2016-08-15/local/code/{sha}.zip?token={download_token(state, sha)}"
    return ok(request, {"checksum": doc.get("codeChecksum", ""), "url": url})


async def disable_invocation(request: Request) -> Response:
    return await _set_restriction(request, disable=True)


async def enable_invocation(request: Request) -> Response:
    return await _set_restriction(request, disable=False)


async def _set_restriction(request: Request, *, disable: bool) -> Response:
    """``invocationRestriction`` on the function: while it is disabled every invocation is
    refused (403 ``FunctionInvocationDisabled``; status and code UNCONFIRMED). With
    ``abortOngoingRequest`` the running instances are stopped as well."""
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    body = await read_object(request) if disable else {}
    reason = body.get("reason", "")
    abort = body.get("abortOngoingRequest", False)
    if not isinstance(reason, str) or len(reason) > 256:
        raise invalid("reason must be a string of at most 256 characters")
    if not isinstance(abort, bool):
        raise invalid("abortOngoingRequest must be true or false")
    with state.meta.transaction():
        doc = latest_doc(state, ref)
        doc["invocationRestriction"] = {
            "disable": disable,
            "reason": reason if disable else "",
            "lastModifiedTime": now_iso(),
        }
        state.meta.put(FUNCTION, ref.service, ref.function, doc)
    state.changed()
    if disable and abort:
        await state.evict(ref.service, ref.function)
    return ok(request, {"success": True})
