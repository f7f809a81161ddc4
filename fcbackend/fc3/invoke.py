"""``POST /2023-03-30/functions/{fn}/invocations[?qualifier=]`` — FC 3.0's invoke, on the same warm
path as FC 2.0's.

Headers: ``x-fc-invocation-type`` ``Sync`` (default) or ``Async``; ``x-fc-log-type: Tail`` returns
the last 4 KB of the call's log base64-encoded in ``x-fc-log-result``; ``x-fc-async-task-id`` names
an async task (a task id makes the call a task, see :mod:`fcbackend.asyncq.intake`). A sync call
answers 200 with the function's bytes (function errors too, flagged by ``x-fc-error-type``, as
FC does); an async call answers 202 with ``x-fc-request-id`` and, for tasks,
``x-fc-async-task-id``. Platform errors are FC 3.0 JSON errors.

Session affinity (``sessionAffinity`` HEADER_FIELD / GENERATED_COOKIE): the session id comes from
the configured header, or from the ``x-fc-cookie-session-id`` cookie; a request without one gets a
new id, returned in that header or in ``Set-Cookie`` (as FC documents). Requests of one session
go to one instance (:mod:`fcbackend.scheduler.affinity`).

A function whose invocations were disabled (``invoke/disable``) is refused with 403
``FunctionInvocationDisabled`` (UNCONFIRMED code and status).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fcbackend.api.auth import answer_errors, decoded_headers, new_request_id
from fcbackend.api.errors import FcError, invalid
from fcbackend.api.invoke import read_body, result_parts
from fcbackend.api.state import FUNCTION, BackendState
from fcbackend.backend_config import MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD, BackendConfig
from fcbackend.fc3.auth import check_fc3_signature
from fcbackend.fc3.functions import CONCURRENCY
from fcbackend.fc3.http import check_content_sha256
from fcbackend.fc3.lookup import translate
from fcbackend.fc3.names import FunctionRef, parse_name
from fcbackend.fc3.spec import COOKIE_NAME
from fcbackend.models import FunctionSpec, InvocationRequest

INVOKE_PATH = re.compile(r"^/2023-03-30/functions/(?P<function>[^/]+)/invocations$")
SESSION_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
Parts = tuple[int, list[tuple[bytes, bytes]], bytes]


def invoke_function_name(scope: Scope) -> str | None:
    """The function of a POST to FC 3.0's invoke path, else None."""
    if scope["method"] != "POST":
        return None
    match = INVOKE_PATH.match(scope["path"])
    return match["function"] if match is not None else None


@dataclass
class InvocationGate:
    """Which FC 3.0 functions refuse invocations — disabled ones (``invoke/disable``) and those
    with a reserved concurrency of 0 — cached until the next write to the store
    (``BackendState.generation``) so the warm path does not read the database."""

    generation: int = -1
    refusals: dict[str, FcError | None] = field(default_factory=dict)

    def check(self, state: BackendState, ref: FunctionRef) -> None:
        if ref.fc2:
            return
        if state.generation != self.generation:
            self.refusals.clear()
            self.generation = state.generation
        if ref.service not in self.refusals:
            self.refusals[ref.service] = self._refusal(state, ref)
        refusal = self.refusals[ref.service]
        if refusal is not None:
            raise refusal

    @staticmethod
    def _refusal(state: BackendState, ref: FunctionRef) -> FcError | None:
        doc = state.meta.get(FUNCTION, ref.service, ref.function) or {}
        restriction = doc.get("invocationRestriction") or {}
        if restriction.get("disable"):
            reason = str(restriction.get("reason") or "")
            return FcError(
                403,
                "FunctionInvocationDisabled",
                f"invocations of function '{ref.name}' are disabled" + (f": {reason}" if reason else ""),
            )
        reserved = state.meta.get(CONCURRENCY, ref.service, ref.function)
        if reserved is not None and reserved.get("reservedConcurrency") == 0:
            return FcError(
                429,
                "ResourceExhausted",
                f"function '{ref.name}' has a reserved concurrency of 0: it takes no invocations",
            )
        return None


def session_for(spec: FunctionSpec, headers: dict[str, str]) -> tuple[str | None, list[tuple[bytes, bytes]]]:
    """The session id of a request and the response headers that hand out a new one."""
    if spec.session_affinity == "HEADER_FIELD" and spec.affinity_header:
        given = headers.get(spec.affinity_header)
        if given:
            if not SESSION_ID.fullmatch(given):
                raise invalid(
                    f"session id in header {spec.affinity_header} must be 1-64 letters, digits, '_' or '-' "
                    f"starting with a letter, digit or '_', got {given[:80]!r}"
                )
            return given, []
        new = secrets.token_hex(16)
        return new, [(spec.affinity_header.encode("latin-1"), new.encode())]
    if spec.session_affinity == "GENERATED_COOKIE":
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME and SESSION_ID.fullmatch(value):
                return value, []
        new = secrets.token_hex(16)
        cookie = f"{COOKIE_NAME}={new}; Max-Age={int(spec.session_ttl_s)}; Path=/"
        return new, [(b"set-cookie", cookie.encode())]
    return None, []


async def _spec(state: BackendState, ref: FunctionRef, qualifier: str | None) -> FunctionSpec:
    try:
        return await state.spec_for(ref.service, ref.function, qualifier)
    except FcError as err:
        raise translate(err, ref) from err


def _qualifier(scope: Scope) -> str | None:
    raw = scope.get("query_string", b"")
    if not raw:
        return None
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if key == "qualifier" and value:
            return value
    return None


def _fc3_error_parts(status: int, code: str, message: str, request_id: str) -> Parts:
    body = json.dumps({"Code": code, "Message": message, "RequestId": request_id}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"x-fc-request-id", request_id.encode()),
    ]
    return status, headers, body


async def run_invocation(
    app_state: Any, scope: Scope, receive: Receive, name: str, headers: dict[str, str], request_id: str
) -> Parts:
    """One invocation from request to response parts (status, raw headers, body)."""
    state: BackendState = app_state.fc
    ref = parse_name(name)
    app_state.fc3_gate.check(state, ref)
    spec = await _spec(state, ref, _qualifier(scope))
    kind = (headers.get("x-fc-invocation-type") or "Sync").lower()
    if kind not in ("sync", "async"):
        raise invalid(f"x-fc-invocation-type must be Sync or Async, got '{headers['x-fc-invocation-type']}'")
    limit = MAX_ASYNC_PAYLOAD if kind == "async" else MAX_SYNC_PAYLOAD
    length = headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise FcError(400, "EntityTooLarge", f"payload size exceeds maximum allowed size ({limit} bytes)")
    payload = await read_body(receive, limit)
    check_content_sha256(headers, payload)
    if kind == "async":
        return await _submit_async(app_state, scope, receive, spec, payload, headers, request_id)
    session_id, extra = session_for(spec, headers)
    tail = (headers.get("x-fc-log-type") or "").lower() == "tail"
    inv = InvocationRequest(request_id=request_id, payload=payload, log_tail=tail, session_id=session_id)
    result = await state.scheduler.invoke(spec, inv)
    if result.error_code and result.status >= 400:
        message = result.body.decode("utf-8", "replace")
        try:
            parsed = json.loads(result.body)
            if isinstance(parsed, dict):
                message = str(parsed.get("ErrorMessage") or parsed.get("errorMessage") or message)
        except ValueError:
            pass
        return _fc3_error_parts(result.status, result.error_code, message or result.error_code, request_id)
    status, raw, body = result_parts(spec, result, tail=tail)
    return status, raw + extra, body


async def _submit_async(
    app_state: Any,
    scope: Scope,
    receive: Receive,
    spec: FunctionSpec,
    payload: bytes,
    headers: dict[str, str],
    request_id: str,
) -> Parts:
    hook = getattr(app_state, "async_submit", None)
    if hook is None:
        raise FcError(503, "ServiceUnavailable", "async invocations need the backend's async queue")
    inv = InvocationRequest(
        request_id=request_id,
        payload=payload,
        invocation_type="Async",
        task_id=headers.get("x-fc-async-task-id"),
    )
    outcome = await hook(spec, inv, Request(scope, receive))
    if isinstance(outcome, Response):  # the queue refused it (an FC 2.0-shaped error body)
        try:
            detail = json.loads(bytes(outcome.body))
        except ValueError:
            detail = {}
        code = str(detail.get("ErrorCode") or detail.get("Code") or "InvalidArgument")
        message = str(
            detail.get("ErrorMessage") or detail.get("Message") or "the async invocation was refused"
        )
        code = code.replace("StatefulAsyncInvocation", "AsyncTask")
        return _fc3_error_parts(
            outcome.status_code, code, message.replace("an async task", "async task"), request_id
        )
    raw = [(b"x-fc-request-id", request_id.encode()), (b"content-length", b"0")]
    task_id = (outcome or {}).get("x-fc-stateful-async-invocation-id")
    if task_id:
        raw.append((b"x-fc-async-task-id", str(task_id).encode()))
    return 202, raw, b""


class Fc3Front:
    """The FC 3.0 invoke path straight on ASGI (``fcbackend.app.FcApp`` calls it before any
    middleware, as it does FC 2.0's): request id, signature, invocation, FC 3.0 errors."""

    def __init__(self, config: BackendConfig):
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send, name: str) -> None:
        request_id = new_request_id()
        scope["fc.request_id"] = request_id
        headers = decoded_headers(scope)

        async def handle(tracked_send: Send) -> None:
            if self.config.auth:
                raw_path = scope.get("raw_path") or scope["path"].encode()
                check_fc3_signature(
                    self.config,
                    "POST",
                    raw_path.decode("latin-1"),
                    scope.get("query_string", b"").decode("latin-1"),
                    headers,
                )
            status, raw, body = await run_invocation(
                scope["app"].state, scope, receive, name, headers, request_id
            )
            await tracked_send({"type": "http.response.start", "status": status, "headers": raw})
            await tracked_send({"type": "http.response.body", "body": body})

        await answer_errors(send, handle, request_id, f"invocation {request_id} of {scope['path']}", fc3=True)
