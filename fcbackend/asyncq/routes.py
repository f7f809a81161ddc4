"""Routes of the async add-ons: async tasks (spec E.2), ``ros fc tasks``/``metrics`` helpers, and
(re-exported here so the API's route registry finds them) the ``/oss`` object store API.

FC 2.0 task API::

    GET /2016-08-15/services/{svc}[.{q}]/functions/{fn}/stateful-async-invocations
        ?status=&invocationIdPrefix=&startedTimeBegin=&startedTimeEnd=&limit=&nextToken=
         &sortOrderByTime=asc|desc&includePayload=true|false
        -> {"invocations": [StatefulAsyncInvocation...], "nextToken"?}
    GET /2016-08-15/services/{svc}[.{q}]/functions/{fn}/stateful-async-invocations/{id}
    PUT /2016-08-15/services/{svc}[.{q}]/functions/{fn}/stateful-async-invocations/{id}   (stop)

Local helpers (signed like the rest of the API): ``GET /2016-08-15/local/async-tasks``,
``PUT /2016-08-15/local/async-tasks/{id}/stop``, ``GET /2016-08-15/local/metrics``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fcbackend.asyncq.records import TaskStatus
from fcbackend.oss.routes import ROUTES as OSS_ROUTES

P = "/2016-08-15"
_TASKS = P + "/services/{service}/functions/{function}/stateful-async-invocations"
MAX_LIMIT = 100


def _error(status: int, code: str, message: str, request: Request) -> JSONResponse:
    request_id = str(request.scope.get("fc.request_id", ""))
    return JSONResponse({"ErrorCode": code, "ErrorMessage": message, "errorCode": code,
                         "errorMessage": message, "RequestId": request_id}, status_code=status,
                        headers={"x-fc-request-id": request_id})


def _addons(request: Request) -> Any:
    return request.app.state.fc_addons


def _names(request: Request) -> tuple[str, str]:
    service = request.path_params["service"].split(".", 1)[0]
    return service, request.path_params["function"]


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be an integer {low}-{high}, got {raw!r}")
    return int(raw)


def _list(request: Request, service: str | None, function: str | None) -> Response:
    q = request.query_params
    try:
        limit = _int(request, "limit", 20, 1, MAX_LIMIT)
        offset = _int(request, "nextToken", 0, 0, 10**9)
        begin = _int(request, "startedTimeBegin", 0, 0, 10**15)
        end = _int(request, "startedTimeEnd", 0, 0, 10**15)
        status = q.get("status") or None
        if status is not None and status not in {str(s) for s in TaskStatus}:
            raise ValueError(f"status {status!r} is not one of {', '.join(str(s) for s in TaskStatus)}")
    except ValueError as exc:
        return _error(400, "InvalidArgument", str(exc), request)
    events = _addons(request).async_store.list(
        service, function, status=status, prefix=q.get("invocationIdPrefix") or None,
        stateful_only=q.get("all") != "true", started_begin=begin / 1000 if begin else None,
        started_end=end / 1000 if end else None, limit=limit + 1, offset=offset,
        descending=(q.get("sortOrderByTime") or "desc").lower() == "desc")
    include = (q.get("includePayload") or "false").lower() == "true"
    body: dict[str, Any] = {"invocations": [e.to_api(include_payload=include) for e in events[:limit]]}
    if len(events) > limit:
        body["nextToken"] = str(offset + limit)
    return JSONResponse(body)


async def list_tasks(request: Request) -> Response:
    service, function = _names(request)
    return _list(request, service, function)


async def get_task(request: Request) -> Response:
    service, function = _names(request)
    event = _addons(request).async_store.get(request.path_params["id"])
    if event is None or (event.service, event.function) != (service, function):
        return _error(404, "StatefulAsyncInvocationNotFound",
                      f"async task '{request.path_params['id']}' of {service}/{function} does not exist", request)
    return JSONResponse(event.to_api())


async def _stop(request: Request, invocation_id: str, owner: tuple[str, str] | None) -> Response:
    addons = _addons(request)
    event = addons.async_store.get(invocation_id)
    if event is None or (owner is not None and (event.service, event.function) != owner):
        return _error(404, "StatefulAsyncInvocationNotFound", f"async task '{invocation_id}' does not exist",
                      request)
    before = await addons.dispatcher.stop(invocation_id)
    if before is not None and before.finished:
        return _error(412, "StatefulAsyncInvocationAlreadyCompleted",
                      f"async task '{invocation_id}' already finished ({before})", request)
    after = addons.async_store.get(invocation_id)
    return JSONResponse(after.to_api() if after else {}, headers={
        "x-fc-request-id": str(request.scope.get("fc.request_id", ""))})


async def stop_task(request: Request) -> Response:
    return await _stop(request, request.path_params["id"], _names(request))


async def local_tasks(request: Request) -> Response:
    q = request.query_params
    return _list(request, q.get("service") or None, q.get("function") or None)


async def local_stop(request: Request) -> Response:
    return await _stop(request, request.path_params["id"], None)


async def local_metrics(request: Request) -> Response:
    addons = _addons(request)
    provisioning = [
        {"service": k[0], "qualifier": k[1], "function": k[2], "target": s.target, "applied": s.applied,
         "error": s.error} for k, s in addons.provisioning.status.items()]
    return JSONResponse({"functions": addons.metrics.snapshot(addons.instances()),
                         "async": addons.async_store.counts(), "provisioning": provisioning})


ROUTES = [
    Route(_TASKS, list_tasks, methods=["GET"]),
    Route(_TASKS + "/{id}", get_task, methods=["GET"]),
    Route(_TASKS + "/{id}", stop_task, methods=["PUT"]),
    Route(P + "/local/async-tasks", local_tasks, methods=["GET"]),
    Route(P + "/local/async-tasks/{id}/stop", local_stop, methods=["PUT"]),
    Route(P + "/local/metrics", local_metrics, methods=["GET"]),
    *OSS_ROUTES,
]
