"""Routes of the async add-ons: async tasks (docs/reference/fc-api.md#async-tasks) and ``ros fc
tasks``/``metrics`` helpers.

FC 2.0 task API::

    GET /2016-08-15/services/{svc}[.{q}]/functions/{fn}/stateful-async-invocations
        ?status=&invocationIdPrefix=&startedTimeBegin=&startedTimeEnd=&limit=&nextToken=
         &sortOrderByTime=asc|desc&includePayload=true|false
        -> {"invocations": [StatefulAsyncInvocation...], "nextToken"?}
    GET /2016-08-15/services/{svc}[.{q}]/functions/{fn}/stateful-async-invocations/{id}
    PUT /2016-08-15/services/{svc}[.{q}]/functions/{fn}/stateful-async-invocations/{id}   (stop)
    GET /2016-08-15/stateful-async-invocation-functions?limit=&nextToken=
        -> {"data": [{"serviceName", "functionName", "qualifier"}...], "nextToken"?}

The function listing (``ListStatefulAsyncInvocationFunctions``; body shape from the 2021-04-06
SDK models, limit 1-100 default 20) names every function/qualifier that has task mode switched on
(``statefulInvocation: true`` in an async invoke config) or that holds task records, so tasks of a
function whose config was since removed stay discoverable. Sorted by service, function, qualifier;
``nextToken`` is the entry the next page starts at, as in the other list routes
(docs/reference/fc-api.md#lists-and-object-shapes).

FC3 task routes (``/2023-03-30/functions/{fn}/async-tasks``) live in :mod:`fc3_tasks`, routed by
the FC 3.0 API's router (``fcbackend.fc3.routes``).

Local helpers (signed like the rest of the API): ``GET /2016-08-15/local/async-tasks``,
``PUT /2016-08-15/local/async-tasks/{id}/stop``, ``GET /2016-08-15/local/metrics``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fcbackend.api.pagination import page_of_list, with_token
from fcbackend.api.state import ASYNC_CONFIG
from fcbackend.asyncq.task_query import MAX_LIMIT, page_of_tasks, parse_task_query

P = "/2016-08-15"
_TASKS = P + "/services/{service}/functions/{function}/stateful-async-invocations"
FUNCTIONS_DEFAULT_LIMIT = 20


def _error(status: int, code: str, message: str, request: Request) -> JSONResponse:
    request_id = str(request.scope.get("fc.request_id", ""))
    return JSONResponse(
        {
            "ErrorCode": code,
            "ErrorMessage": message,
            "errorCode": code,
            "errorMessage": message,
            "RequestId": request_id,
        },
        status_code=status,
        headers={"x-fc-request-id": request_id},
    )


def _addons(request: Request) -> Any:
    return request.app.state.fc_addons


def _names(request: Request) -> tuple[str, str]:
    service = request.path_params["service"].split(".", 1)[0]
    return service, request.path_params["function"]


def _list(request: Request, service: str | None, function: str | None) -> Response:
    try:
        query = parse_task_query(request.query_params, prefix_param="invocationIdPrefix", default_limit=20)
    except ValueError as exc:
        return _error(400, "InvalidArgument", str(exc), request)
    events, token = page_of_tasks(_addons(request).async_store, service, function, query)
    body: dict[str, Any] = {"invocations": [e.to_api(include_payload=query.include_payload) for e in events]}
    return JSONResponse(with_token(body, token))


async def list_tasks(request: Request) -> Response:
    service, function = _names(request)
    return _list(request, service, function)


async def get_task(request: Request) -> Response:
    service, function = _names(request)
    event = _addons(request).async_store.get(request.path_params["id"])
    if event is None or (event.service, event.function) != (service, function):
        return _error(
            404,
            "StatefulAsyncInvocationNotFound",
            f"async task '{request.path_params['id']}' of {service}/{function} does not exist",
            request,
        )
    return JSONResponse(event.to_api())


async def _stop(request: Request, invocation_id: str, owner: tuple[str, str] | None) -> Response:
    addons = _addons(request)
    event = addons.async_store.get(invocation_id)
    if event is None or (owner is not None and (event.service, event.function) != owner):
        return _error(
            404, "StatefulAsyncInvocationNotFound", f"async task '{invocation_id}' does not exist", request
        )
    before = await addons.dispatcher.stop(invocation_id)
    if before is not None and before.finished:
        return _error(
            412,
            "StatefulAsyncInvocationAlreadyCompleted",
            f"async task '{invocation_id}' already finished ({before})",
            request,
        )
    after = addons.async_store.get(invocation_id)
    return JSONResponse(
        after.to_api() if after else {},
        headers={"x-fc-request-id": str(request.scope.get("fc.request_id", ""))},
    )


async def stop_task(request: Request) -> Response:
    return await _stop(request, request.path_params["id"], _names(request))


async def list_stateful_functions(request: Request) -> Response:
    """``ListStatefulAsyncInvocationFunctions`` (see the module doc for what is listed)."""
    raw_limit = request.query_params.get("limit") or str(FUNCTIONS_DEFAULT_LIMIT)
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        return _error(
            400, "InvalidArgument", f"limit must be an integer 1-{MAX_LIMIT}, got {raw_limit!r}", request
        )
    addons = _addons(request)
    found: set[tuple[str, str, str]] = set(addons.async_store.stateful_functions())
    for service, _, doc in addons.state.meta.list(ASYNC_CONFIG, None):
        if doc.get("statefulInvocation") is True:
            found.add((service, str(doc.get("function", "")), str(doc.get("qualifier") or "LATEST")))
    entries = [
        {"serviceName": s, "functionName": f, "qualifier": q, "_key": f"{s}/{f}/{q}"} for s, f, q in found
    ]
    page, token = page_of_list(request, entries, "_key", default_limit=FUNCTIONS_DEFAULT_LIMIT)
    data = [{k: v for k, v in entry.items() if k != "_key"} for entry in page]
    return JSONResponse(
        with_token({"data": data}, token),
        headers={"x-fc-request-id": str(request.scope.get("fc.request_id", ""))},
    )


async def local_tasks(request: Request) -> Response:
    q = request.query_params
    return _list(request, q.get("service") or None, q.get("function") or None)


async def local_stop(request: Request) -> Response:
    return await _stop(request, request.path_params["id"], None)


async def local_metrics(request: Request) -> Response:
    addons = _addons(request)
    provisioning = [
        {
            "service": k[0],
            "qualifier": k[1],
            "function": k[2],
            "target": s.target,
            "applied": s.applied,
            "error": s.error,
        }
        for k, s in addons.provisioning.status.items()
    ]
    return JSONResponse(
        {
            "functions": addons.metrics.snapshot(addons.instances()),
            "async": addons.async_store.counts(),
            "provisioning": provisioning,
        }
    )


ROUTES = [
    Route(_TASKS, list_tasks, methods=["GET"]),
    Route(_TASKS + "/{id}", get_task, methods=["GET"]),
    Route(_TASKS + "/{id}", stop_task, methods=["PUT"]),
    Route(P + "/stateful-async-invocation-functions", list_stateful_functions, methods=["GET"]),
    Route(P + "/local/async-tasks", local_tasks, methods=["GET"]),
    Route(P + "/local/async-tasks/{id}/stop", local_stop, methods=["PUT"]),
    Route(P + "/local/metrics", local_metrics, methods=["GET"]),
]
