"""``POST /services/{svc}[.{q}]/functions/{fn}/invocations`` — the hot path.

Why it is lean: everything that can be is cached (the FunctionSpec per qualifier, see
``BackendState.spec_for``), records are buffered by the recorder, and the handler builds the
response headers directly. Sync calls await the scheduler; async calls go to the async queue's hook
``app.state.async_submit(spec, invocation_request, http_request)`` when one is installed (its return value may be a
Response, or a dict of extra headers), else run in the background and answer 202 at once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.errors import FcError, error_body, invalid
from fcbackend.api.http import backend, request_id, split_qualified
from fcbackend.config import LOG_TAIL_BYTES, MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD
from fcbackend.models import FunctionSpec, InvocationRequest, InvocationResult

P = "/2016-08-15"
_log = logging.getLogger("fcbackend.api")
_EXPOSE = ("X-Fc-Request-Id, X-Fc-Error-Type, X-Fc-Code-Checksum, X-Fc-Invocation-Duration, "
           "X-Fc-Max-Memory-Usage, X-Fc-Log-Result, X-Fc-Invocation-Service-Version, X-Fc-Instance-Id")


def _format_number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def result_response(spec: FunctionSpec, result: InvocationResult, *, tail: bool) -> Response:
    """Map a scheduler result to FC's invoke response (headers per fc-spec E.1)."""
    headers: dict[str, str] = {}
    for key, value in result.headers.items():
        if not key.lower().startswith("x-fc-") and key.lower() not in ("content-length", "connection"):
            headers[key] = value
    headers.update({
        "x-fc-request-id": result.request_id,
        "x-fc-code-checksum": spec.code_checksum,
        "x-fc-invocation-duration": str(int(round(result.duration_ms))),
        "x-fc-max-memory-usage": _format_number(result.memory_peak_mb),
        "x-fc-invocation-service-version": result.version_id or spec.version_id,
        "access-control-expose-headers": _EXPOSE,
    })
    if result.instance_id:
        headers["x-fc-instance-id"] = result.instance_id
    if tail:
        headers["x-fc-log-result"] = base64.b64encode(result.log[-LOG_TAIL_BYTES:]).decode("ascii")
    if result.error_code and result.status >= 400:
        message = result.body.decode("utf-8", "replace")
        try:
            parsed = json.loads(result.body)
            if isinstance(parsed, dict):
                message = str(parsed.get("ErrorMessage") or parsed.get("errorMessage") or message)
        except ValueError:
            pass
        headers["content-type"] = "application/json"
        body = json.dumps(error_body(result.error_code, message or result.error_code, result.request_id))
        return Response(body.encode(), status_code=result.status, headers=headers)
    if result.error_type:
        headers["x-fc-error-type"] = result.error_type
    headers.setdefault("content-type", "application/octet-stream")
    return Response(result.body, status_code=result.status, headers=headers)


def _check_size(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise FcError(400, "EntityTooLarge", f"payload size exceeds maximum allowed size ({limit} bytes)")


async def _run_in_background(app_state: Any, spec: FunctionSpec, inv: InvocationRequest) -> None:
    try:
        await app_state.fc.scheduler.invoke(spec, inv)
    except Exception:
        _log.exception("async invocation %s of %s/%s failed", inv.request_id, spec.service, spec.function)


async def invoke_function(request: Request) -> Response:
    state = backend(request)
    service, qualifier = split_qualified(request.path_params["service"])
    spec = await state.spec_for(service, request.path_params["function"], qualifier)
    headers = request.headers
    invocation_type = headers.get("x-fc-invocation-type") or "Sync"
    if invocation_type.lower() not in ("sync", "async"):
        raise invalid(f"X-Fc-Invocation-Type must be Sync or Async, got '{invocation_type}'")
    is_async = invocation_type.lower() == "async"
    _check_size(request, MAX_ASYNC_PAYLOAD if is_async else MAX_SYNC_PAYLOAD)
    payload = await request.body()
    if len(payload) > (MAX_ASYNC_PAYLOAD if is_async else MAX_SYNC_PAYLOAD):
        _check_size(request, 0)
    tail = (headers.get("x-fc-log-type") or "").lower() == "tail"
    inv = InvocationRequest(
        request_id=request_id(request), payload=payload, invocation_type="Async" if is_async else "Sync",
        log_tail=tail and not is_async, task_id=headers.get("x-fc-stateful-async-invocation-id"),
    )
    if is_async:
        return await _submit_async(request, spec, inv)
    result = await state.scheduler.invoke(spec, inv)
    return result_response(spec, result, tail=tail)


async def _submit_async(request: Request, spec: FunctionSpec, inv: InvocationRequest) -> Response:
    app_state = request.app.state
    extra: dict[str, str] = {}
    hook = getattr(app_state, "async_submit", None)
    if hook is not None:
        outcome = await hook(spec, inv, request)  # request: task/delay headers (asyncq)
        if isinstance(outcome, Response):
            return outcome
        if isinstance(outcome, dict):
            extra = {str(k): str(v) for k, v in outcome.items()}
    else:
        task = asyncio.create_task(_run_in_background(app_state, spec, inv))
        app_state.background_tasks.add(task)
        task.add_done_callback(app_state.background_tasks.discard)
    headers = {"x-fc-request-id": inv.request_id, **extra}
    if inv.task_id:
        headers.setdefault("x-fc-stateful-async-invocation-id", inv.task_id)
    return Response(b"", status_code=202, headers=headers)


ROUTES = [
    Route(f"{P}/services/{{service}}/functions/{{function}}/invocations", invoke_function, methods=["POST"]),
]
