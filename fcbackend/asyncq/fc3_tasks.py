"""FC 3.0 (2023-03-30) async-task routes over the same task store as the FC 2.0 API
(docs/reference/fc-api.md#async-tasks)::

    GET /2023-03-30/functions/{fn}/async-tasks
        ?qualifier=&status=&prefix=&startedTimeBegin=&startedTimeEnd=&limit=&nextToken=
         &sortOrderByTime=asc|desc&includePayload=true|false
        -> {"tasks": [AsyncTask...], "nextToken"?}
    GET /2023-03-30/functions/{fn}/async-tasks/{taskId}[?qualifier=]       -> AsyncTask
    PUT /2023-03-30/functions/{fn}/async-tasks/{taskId}/stop[?qualifier=]  -> 200, empty body

Why a separate module: FC3 has no services, names its fields differently (``taskId``,
``taskPayload``, ``taskErrorMessage``, ``functionArn``) and reports errors as
``{"Code", "Message", "RequestId"}``; the storage and the stop logic are shared with FC2.

Choices where no source was found (**UNCONFIRMED**):

* Function mapping: an FC 3.0 function lives in the store under its storage service, and an
  FC 2.0 function is named ``svc$fn`` in the FC 3.0 API (:mod:`fcbackend.fc3.names`).
* Signing: checked by the API middleware for every path under ``/2023-03-30/``
  (:mod:`fcbackend.fc3.auth`); these routes are reached through FC 3.0's router.
* Error codes reuse FC2's (``StatefulAsyncInvocationNotFound`` 404,
  ``StatefulAsyncInvocationAlreadyCompleted`` 412) in the FC3 body shape.
* ``qualifier`` filters the listing by the qualifier the task ran under; on get/stop it is
  accepted and ignored (task ids are unique across qualifiers).
* The listing shows tasks only (async invocations made in task mode), like the FC2 listing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import FcError
from fcbackend.api.http import json_response, request_id
from fcbackend.api.state import FUNCTION
from fcbackend.asyncq.records import AsyncEvent
from fcbackend.asyncq.task_query import page_of_tasks, parse_task_query
from fcbackend.fc3.names import parse_name

FC3 = "/2023-03-30"
_TASKS = FC3 + "/functions/{function}/async-tasks"
DEFAULT_LIMIT = 20

Handler = Callable[[Request], Awaitable[Response]]


def fc3_error(request: Request, status: int, code: str, message: str) -> Response:
    """An error in FC3's body shape (the FC3 SDK reads ``Code``/``Message``/``RequestId``)."""
    return json_response(
        request, {"Code": code, "Message": message, "RequestId": request_id(request)}, status=status
    )


def fc3_route(handler: Handler) -> Handler:
    """Turn FcError/ValueError into FC3 error bodies (the API middleware has checked the
    signature already: it signs every path under ``/2023-03-30/`` too)."""

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except FcError as err:
            return fc3_error(request, err.status, err.code, err.message)
        except ValueError as err:
            return fc3_error(request, 400, "InvalidArgument", str(err))

    return wrapped


def resolve_function(request: Request) -> tuple[str, str]:
    """``(service, function)`` in the store of the FC 3.0 function the path names (module doc);
    404 ``FunctionNotFound`` when it never existed (a deleted function's tasks stay readable)."""
    name = request.path_params["function"]
    ref = parse_name(name)
    addons = request.app.state.fc_addons
    if addons.state.meta.get(FUNCTION, ref.service, ref.function) is not None:
        return ref.service, ref.function
    if any(s == ref.service and f == ref.function for s, f, _ in addons.async_store.stateful_functions()):
        return ref.service, ref.function
    raise FcError(404, "FunctionNotFound", f"function '{name}' does not exist")


def function_arn(request: Request, name: str) -> str:
    addons = request.app.state.fc_addons
    return f"acs:fc:{addons.region}:{addons.account_id}:functions/{name}"


def to_async_task(event: AsyncEvent, arn: str, *, include_payload: bool = True) -> dict[str, Any]:
    """The FC3 ``AsyncTask`` object for a stored task (times in epoch milliseconds)."""
    fc2 = event.to_api(include_payload=include_payload)
    task: dict[str, Any] = {
        "taskId": fc2["invocationId"],
        "functionArn": arn,
        "qualifier": fc2["qualifier"],
        "status": fc2["status"],
        "startedTime": fc2["startedTime"],
        "endTime": fc2["endTime"],
        "durationMs": fc2["durationMs"],
        "alreadyRetriedTimes": fc2["alreadyRetriedTimes"],
        "destinationStatus": fc2["destinationStatus"],
        "instanceId": fc2["instanceId"],
        "requestId": fc2["requestId"],
        "taskErrorMessage": fc2["invocationErrorMessage"],
        "events": fc2["events"],
    }
    if include_payload:
        task["taskPayload"] = fc2["invocationPayload"]
        task["returnPayload"] = fc2["returnPayload"]
    return task


def _task_of(request: Request) -> tuple[AsyncEvent, str]:
    service, function = resolve_function(request)
    task_id = request.path_params["task_id"]
    event = request.app.state.fc_addons.async_store.get(task_id)
    if event is None or (event.service, event.function) != (service, function):
        raise FcError(
            404,
            "StatefulAsyncInvocationNotFound",
            f"async task '{task_id}' of function '{request.path_params['function']}' does not exist",
        )
    return event, function_arn(request, request.path_params["function"])


@fc3_route
async def list_async_tasks(request: Request) -> Response:
    query = parse_task_query(
        request.query_params, prefix_param="prefix", default_limit=DEFAULT_LIMIT, qualifier_param="qualifier"
    )
    service, function = resolve_function(request)
    events, token = page_of_tasks(request.app.state.fc_addons.async_store, service, function, query)
    arn = function_arn(request, request.path_params["function"])
    body: dict[str, Any] = {
        "tasks": [to_async_task(e, arn, include_payload=query.include_payload) for e in events]
    }
    if token is not None:
        body["nextToken"] = token
    return json_response(request, body)


@fc3_route
async def get_async_task(request: Request) -> Response:
    event, arn = _task_of(request)
    return json_response(request, to_async_task(event, arn))


@fc3_route
async def stop_async_task(request: Request) -> Response:
    event, _ = _task_of(request)
    before = await request.app.state.fc_addons.dispatcher.stop(event.invocation_id)
    if before is not None and before.finished:
        raise FcError(
            412,
            "StatefulAsyncInvocationAlreadyCompleted",
            f"async task '{event.invocation_id}' already finished ({before})",
        )
    return Response(b"", status_code=200, headers={"x-fc-request-id": request_id(request)})
