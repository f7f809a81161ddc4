"""HTTP routes of the ROS callbacks service.

Public (unsigned: whoever holds the URL may call it, as in ROS):

* ``POST /waitcondition?stackname=&stackid=&resource=&expire=&signature=`` — a handle signal;
* ``POST|PUT /ros-callback/{token}`` — a custom resource's response.

Control (signed like the FC API, for the engine's client), under
``/2016-08-15/local/ros-callbacks``: ``POST /handles`` (issue or update a handle's URL),
``DELETE /handles/{stack}/{resource}``, ``POST|GET /handles/{stack}/{resource}/signals`` (signal by
hand; long-poll), ``POST /handles/{stack}/{resource}/wait-begin|wait-end``, ``POST /requests``,
``GET|DELETE /requests/{id}`` (long-poll for the response).

Errors are JSON ``{"Code", "Message", "RequestId"}`` with a 4xx status naming what was wrong.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fcbackend.roscallbacks.service import (
    HANDLE_PATH,
    MAX_RESPONSE_BYTES,
    MAX_SIGNAL_BYTES,
    RESPONSE_PATH,
    CallbackError,
    RosCallbacks,
)

CONTROL = "/2016-08-15/local/ros-callbacks"
MAX_WAIT_S = 25.0  # one long poll; the client polls again until its own deadline


def _service(request: Request) -> RosCallbacks:
    return request.app.state.ros_callbacks


def _request_id(request: Request) -> str:
    return str(request.scope.get("fc.request_id", ""))


def _answer(request: Request, data: Any, status: int = 200) -> Response:
    body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(
        body,
        status_code=status,
        headers={"content-type": "application/json", "x-acs-request-id": _request_id(request)},
    )


def _error(request: Request, exc: CallbackError) -> Response:
    return _answer(
        request, {"Code": exc.code, "Message": exc.message, "RequestId": _request_id(request)}, exc.status
    )


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it grows past ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise CallbackError(
            413, "BodyTooLarge", f"the body is {declared} bytes; at most {limit} are accepted"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CallbackError(413, "BodyTooLarge", f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request) -> dict[str, Any]:
    raw = await _body(request, MAX_SIGNAL_BYTES)
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise CallbackError(400, "InvalidJSON", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CallbackError(400, "InvalidJSON", "the body must be a JSON object")
    return data


def _number(request: Request, name: str, default: float, high: float) -> float:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise CallbackError(400, "InvalidParameter", f"{name} must be a number, got {raw!r}") from None
    return min(max(value, 0.0), high)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise CallbackError(400, "MissingParameter", f"{key} (a non-empty string) is required")
    return value


# -- public ---------------------------------------------------------------------------------------
async def signal(request: Request) -> Response:
    try:
        body = await _body(request, MAX_SIGNAL_BYTES)
        stored = _service(request).signal_from_url(dict(request.query_params), body)
    except CallbackError as exc:
        return _error(request, exc)
    return _answer(request, {"RequestId": _request_id(request), "UniqueId": stored.unique_id})


async def respond(request: Request) -> Response:
    try:
        body = await _body(request, MAX_RESPONSE_BYTES)
        _service(request).record_response(request.path_params["token"], body)
    except CallbackError as exc:
        return _error(request, exc)
    return _answer(request, {"RequestId": _request_id(request)})


# -- control ---------------------------------------------------------------------------------------
async def issue_handle(request: Request) -> Response:
    try:
        data = await _json(request)
        count = data.get("Count", -1)
        if isinstance(count, bool) or not isinstance(count, int):
            raise CallbackError(400, "InvalidParameter", "Count must be an integer")
        attributes = _service(request).issue_handle(
            str(request.base_url),
            stack_name=_text(data, "StackName"),
            stack_id=_text(data, "StackId"),
            logical_id=_text(data, "LogicalResourceId"),
            region=str(data.get("RegionId") or ""),
            mode=str(data.get("Mode") or "Full"),
            count=count,
        )
    except CallbackError as exc:
        return _error(request, exc)
    return _answer(request, attributes)


async def delete_handle(request: Request) -> Response:
    _service(request).delete_handle(request.path_params["stack"], request.path_params["resource"])
    return _answer(request, None, 204)


async def signal_by_hand(request: Request) -> Response:
    try:
        body = await _body(request, MAX_SIGNAL_BYTES)
        stored = _service(request).signal_by_hand(
            request.path_params["stack"], request.path_params["resource"], body
        )
    except CallbackError as exc:
        return _error(request, exc)
    return _answer(request, stored.as_api())


async def list_signals(request: Request) -> Response:
    try:
        after = int(_number(request, "after", 0, float(1 << 62)))
        wait = _number(request, "wait", 0, MAX_WAIT_S)
    except CallbackError as exc:
        return _error(request, exc)
    found = await _service(request).wait_signals(
        request.path_params["stack"], request.path_params["resource"], after, wait
    )
    return _answer(request, found)


async def wait_begin(request: Request) -> Response:
    try:
        _service(request).begin_wait(request.path_params["stack"], request.path_params["resource"])
    except CallbackError as exc:
        return _error(request, exc)
    return _answer(request, None, 204)


async def wait_end(request: Request) -> Response:
    try:
        data = await _json(request)
    except CallbackError as exc:
        return _error(request, exc)
    _service(request).end_wait(
        request.path_params["stack"], request.path_params["resource"], str(data.get("Outcome") or "")
    )
    return _answer(request, None, 204)


async def register_request(request: Request) -> Response:
    try:
        data = await _json(request)
        url = _service(request).register_request(
            str(request.base_url),
            request_id=_text(data, "RequestId"),
            stack_id=_text(data, "StackId"),
            logical_id=_text(data, "LogicalResourceId"),
        )
    except CallbackError as exc:
        return _error(request, exc)
    return _answer(request, {"ResponseURL": url})


async def get_response(request: Request) -> Response:
    try:
        wait = _number(request, "wait", 0, MAX_WAIT_S)
        known = int(_number(request, "refusals", 0, 1 << 20))
        found = await _service(request).wait_response(request.path_params["request_id"], wait, known)
    except CallbackError as exc:
        return _error(request, exc)
    return _answer(request, found)


async def forget_request(request: Request) -> Response:
    _service(request).forget_request(request.path_params["request_id"])
    return _answer(request, None, 204)


def routes() -> list[BaseRoute]:
    handle = f"{CONTROL}/handles/{{stack}}/{{resource}}"
    return [
        Route(HANDLE_PATH, signal, methods=["POST"]),
        Route(f"{RESPONSE_PATH}/{{token}}", respond, methods=["POST", "PUT"]),
        Route(f"{CONTROL}/handles", issue_handle, methods=["POST"]),
        Route(handle, delete_handle, methods=["DELETE"]),
        Route(f"{handle}/signals", signal_by_hand, methods=["POST"]),
        Route(f"{handle}/signals", list_signals, methods=["GET"]),
        Route(f"{handle}/wait-begin", wait_begin, methods=["POST"]),
        Route(f"{handle}/wait-end", wait_end, methods=["POST"]),
        Route(f"{CONTROL}/requests", register_request, methods=["POST"]),
        Route(f"{CONTROL}/requests/{{request_id}}", get_response, methods=["GET"]),
        Route(f"{CONTROL}/requests/{{request_id}}", forget_request, methods=["DELETE"]),
    ]
