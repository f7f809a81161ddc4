"""rosengine's own FC 3.0-side helpers for ``ros fc`` (not part of FC): one view over FC 3.0 and
FC 2.0 functions, each named as people write it (``fn`` for FC 3.0, ``svc/fn`` for FC 2.0, in a
``name`` field). A function is addressed by its FC 3.0 API name (``fn`` or ``svc$fn``).

    GET  /2023-03-30/local/functions                    -> {"functions": [{name, version, runtime, ...}]}
    GET  /2023-03-30/local/invocations?function=&limit= -> {"invocations": [...]}
    GET  /2023-03-30/local/logs/{function}?offset=      -> log bytes (x-rosengine-log-offset)
    GET  /2023-03-30/local/instances                    -> {"instances": [...]}
    GET  /2023-03-30/local/metrics                      -> as /2016-08-15/local/metrics, rows named
    GET  /2023-03-30/local/async-tasks?function=&status=&limit=&all=  -> {"invocations": [...]}
    POST /2023-03-30/local/trigger-events/{function}/{trigger}        -> the function's answer
    GET  /2023-03-30/local/triggers?function=           -> {"triggers": [...]} (FC 3.0 shape)
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import FcError
from fcbackend.api.fc3_names import FunctionRef, display_name, is_storage_service, public_name
from fcbackend.api.http import json_response, request_id
from fcbackend.api.state import FUNCTION, TRIGGER
from fcbackend.asyncq.task_query import page_of_tasks, parse_task_query
from fcbackend.fc3.http import ok, query, query_int, state_of
from fcbackend.fc3.lookup import function_not_found, ref_of
from fcbackend.fc3.triggers import trigger_url


def _ref(state: Any, name: str) -> FunctionRef:
    ref = ref_of(name)
    if state.meta.get(FUNCTION, ref.service, ref.function) is None:
        raise function_not_found(name)
    return ref


def _named(row: dict[str, Any], service_key: str, function_key: str) -> dict[str, Any]:
    service, function = str(row.get(service_key, "")), str(row.get(function_key, ""))
    return {
        **row,
        "name": display_name(service, function),
        "fcVersion": "v3" if is_storage_service(service) else "v2",
    }


async def functions(request: Request) -> Response:
    state = state_of(request)
    rows = []
    for service, _, doc in state.meta.list(FUNCTION, None):
        rows.append(
            {
                "name": display_name(service, str(doc["functionName"])),
                "apiName": public_name(service, str(doc["functionName"])),
                "fcVersion": "v3" if is_storage_service(service) else "v2",
                "runtime": doc.get("runtime", ""),
                "handler": doc.get("handler", ""),
                "memorySize": doc.get("memorySize"),
                "timeout": doc.get("timeout"),
                "lastModifiedTime": doc.get("lastModifiedTime", ""),
            }
        )
    return ok(request, {"functions": sorted(rows, key=lambda r: r["name"])})


async def triggers(request: Request) -> Response:
    """Triggers of a function (either version) with their HTTP URLs."""
    state = state_of(request)
    name = query(request, "function")
    if name is None:
        raise FcError(400, "InvalidArgument", "function is required")
    ref = _ref(state, name)
    base = f"{request.url.scheme}://{request.url.netloc}"
    rows = []
    for _, trigger, doc in state.meta.list(TRIGGER, f"{ref.service}/{ref.function}"):
        if ref.fc2:
            qualified = f"{ref.service}.{doc['qualifier']}" if doc.get("qualifier") else ref.service
            url = (
                f"{base}/2016-08-15/proxy/{qualified}/{ref.function}/" if doc["triggerType"] == "http" else ""
            )
        else:
            url = trigger_url(base, ref.name, trigger) if doc["triggerType"] == "http" else ""
        rows.append(
            {
                "triggerName": trigger,
                "triggerType": doc.get("triggerType"),
                "qualifier": doc.get("qualifier") or "LATEST",
                "triggerConfig": doc.get("triggerConfig"),
                "url": url,
            }
        )
    return ok(request, {"function": display_name(ref.service, ref.function), "triggers": rows})


async def invocations(request: Request) -> Response:
    state = state_of(request)
    limit = query_int(request, "limit", 100, 1, 10000)
    name = query(request, "function")
    service = function = None
    if name is not None:  # records outlive the function: no existence check
        ref = ref_of(name)
        service, function = ref.service, ref.function
    records = state.recorder.query(service, function, limit)
    return ok(request, {"invocations": [_named(r, "serviceName", "functionName") for r in records]})


async def logs(request: Request) -> Response:
    state = state_of(request)
    ref = ref_of(request.path_params["function"])  # a deleted function's log stays readable
    offset = query_int(request, "offset", 0, -(1 << 40), 1 << 50)
    data, next_offset = state.recorder.read_log(ref.service, ref.function, offset)
    return Response(
        data,
        headers={
            "content-type": "text/plain; charset=utf-8",
            "x-fc-request-id": request_id(request),
            "x-rosengine-log-offset": str(next_offset),
        },
    )


def _addons(request: Request) -> Any:
    addons = getattr(request.app.state, "fc_addons", None)
    if addons is None:
        raise FcError(503, "ServiceUnavailable", "this backend runs without its async queue and metrics")
    return addons


async def instances(request: Request) -> Response:
    """Every instance of the service: with the backends of a shared database, theirs too."""
    addons = getattr(request.app.state, "fc_addons", None)
    rows = state_of(request).scheduler.instances() if addons is None else addons.service_instances()
    return ok(request, {"instances": [_named(r, "service", "function") for r in rows]})


async def metrics(request: Request) -> Response:
    addons = _addons(request)
    rows = [_named(r, "service", "function") for r in addons.metrics.snapshot(addons.instances())]
    return ok(request, {"functions": rows, "async": addons.async_store.counts()})


async def async_tasks(request: Request) -> Response:
    addons = _addons(request)
    name = query(request, "function")
    service = function = None
    if name is not None:
        ref = ref_of(name)
        service, function = ref.service, ref.function
    try:
        task_query = parse_task_query(request.query_params, prefix_param="prefix", default_limit=50)
    except ValueError as exc:
        raise FcError(400, "InvalidArgument", str(exc)) from exc
    events, _ = page_of_tasks(addons.async_store, service, function, task_query)
    return ok(request, {"invocations": [_named(e.to_api(), "serviceName", "functionName") for e in events]})


async def trigger_event(request: Request) -> Response:
    """``ros fc trigger-event`` for either version: the 2.0 route's logic, errors as FC 3.0."""
    from fcbackend.triggers.routes import trigger_event as deliver

    state = state_of(request)
    ref = _ref(state, request.path_params["function"])
    request.scope["path_params"] = {
        "service": ref.service,
        "function": ref.function,
        "trigger": request.path_params["trigger"],
    }
    response = await deliver(request)
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        detail = json.loads(bytes(response.body))
        if "ErrorCode" in detail:
            return json_response(
                request,
                {
                    "Code": detail["ErrorCode"],
                    "Message": detail.get("ErrorMessage", ""),
                    "RequestId": request_id(request),
                },
                response.status_code,
            )
    return response
