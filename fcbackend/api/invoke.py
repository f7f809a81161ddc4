"""``POST /services/{svc}[.{q}]/functions/{fn}/invocations`` — the hot path.

Why it is lean: everything that can be is cached (the FunctionSpec per qualifier, see
``BackendState.spec_for``), records are buffered by the recorder, and the handler builds the
response headers directly. Sync calls await the scheduler; async calls go to the async queue's hook
``app.state.async_submit(spec, invocation_request, http_request)`` when one is installed (its return
value may be a
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
from starlette.types import Receive, Scope, Send

from fcbackend.api.errors import FcError, error_body, invalid
from fcbackend.api.http import backend, request_id, split_qualified
from fcbackend.api.state import BackendState
from fcbackend.backend_config import LOG_TAIL_BYTES, MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD
from fcbackend.models import FunctionSpec, InvocationRequest, InvocationResult

P = "/2016-08-15"
_log = logging.getLogger("fcbackend.api")
_EXPOSE_BYTES = (
    b"X-Fc-Request-Id, X-Fc-Error-Type, X-Fc-Code-Checksum, X-Fc-Invocation-Duration, "
    b"X-Fc-Max-Memory-Usage, X-Fc-Log-Result, X-Fc-Invocation-Service-Version, X-Fc-Instance-Id"
)


def _format_number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def result_parts(
    spec: FunctionSpec, result: InvocationResult, *, tail: bool
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Map a scheduler result to FC's invoke response (headers per
    docs/reference/fc-api.md#asynchronous-invocation-and-retries) as the raw ASGI pieces: status, header pairs
    (``content-length`` included) and body. Raw because the warm path sends them without building a Response
    object."""
    raw: list[tuple[bytes, bytes]] = []
    content_type: bytes | None = None
    for key, value in result.headers.items():
        lowered = key.lower()
        if lowered.startswith("x-fc-") or lowered in ("content-length", "connection"):
            continue
        if lowered == "content-type":
            content_type = value.encode("latin-1")
        else:
            raw.append((lowered.encode("latin-1"), value.encode("latin-1")))
    raw += [
        (b"x-fc-request-id", result.request_id.encode()),
        (b"x-fc-code-checksum", spec.code_checksum.encode()),
        (b"x-fc-invocation-duration", b"%d" % round(result.duration_ms)),
        (b"x-fc-max-memory-usage", _format_number(result.memory_peak_mb).encode()),
        (b"x-fc-invocation-service-version", (result.version_id or spec.version_id).encode()),
        (b"access-control-expose-headers", _EXPOSE_BYTES),
    ]
    if result.instance_id:
        raw.append((b"x-fc-instance-id", result.instance_id.encode()))
    if tail:
        raw.append((b"x-fc-log-result", base64.b64encode(result.log[-LOG_TAIL_BYTES:])))
    body = result.body
    if result.error_code and result.status >= 400:
        message = result.body.decode("utf-8", "replace")
        try:
            parsed = json.loads(result.body)
            if isinstance(parsed, dict):
                message = str(parsed.get("ErrorMessage") or parsed.get("errorMessage") or message)
        except ValueError:
            pass
        content_type = b"application/json"
        body = json.dumps(
            error_body(result.error_code, message or result.error_code, result.request_id)
        ).encode()
    elif result.error_type:
        raw.append((b"x-fc-error-type", result.error_type.encode()))
    raw.append((b"content-type", content_type or b"application/octet-stream"))
    raw.append((b"content-length", b"%d" % len(body)))
    return result.status, raw, body


def result_response(spec: FunctionSpec, result: InvocationResult, *, tail: bool) -> Response:
    """:func:`result_parts` as a Starlette Response (the routed, non-fast path)."""
    status, raw, body = result_parts(spec, result, tail=tail)
    response = Response(body, status_code=status)
    response.raw_headers = raw
    return response


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; 400 EntityTooLarge past ``limit`` bytes (checked as it arrives)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise FcError(400, "InvalidArgument", "the client closed the connection before sending the body")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int) -> FcError:
    return FcError(400, "EntityTooLarge", f"payload size exceeds maximum allowed size ({limit} bytes)")


async def invoke_sync_asgi(
    app_state: Any,
    scope: Scope,
    receive: Receive,
    send: Send,
    params: dict[str, str],
    headers: dict[str, str],
    request_id: str,
) -> None:
    """The warm path of a synchronous invoke, straight on ASGI: no Request/Response objects, no
    router. ``headers`` are the request's, lower-cased (already decoded for the signature
    check). Behaviour matches :func:`invoke_function` for ``X-Fc-Invocation-Type: Sync``."""
    state: BackendState = app_state.fc
    service, qualifier = split_qualified(params["service"])
    spec = await state.spec_for(service, params["function"], qualifier)
    length = headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_SYNC_PAYLOAD:
        raise _too_large(MAX_SYNC_PAYLOAD)
    payload = await read_body(receive, MAX_SYNC_PAYLOAD)
    tail = (headers.get("x-fc-log-type") or "").lower() == "tail"
    inv = InvocationRequest(
        request_id=request_id,
        payload=payload,
        invocation_type="Sync",
        log_tail=tail,
        task_id=headers.get("x-fc-stateful-async-invocation-id"),
    )
    result = await state.scheduler.invoke(spec, inv)
    status, raw, body = result_parts(spec, result, tail=tail)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


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
        request_id=request_id(request),
        payload=payload,
        invocation_type="Async" if is_async else "Sync",
        log_tail=tail and not is_async,
        task_id=headers.get("x-fc-stateful-async-invocation-id"),
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
