"""FC 3.0 HTTP triggers on built-in runtimes: the request as an event, the answer from a result.

In FC 3.0 a Python or Node.js function behind an HTTP trigger is an ordinary event handler. The
request reaches it as JSON (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function)::

    {"version": "v1", "rawPath": "/path", "body": "...", "isBase64Encoded": false,
     "headers": {"Content-Type": "..."}, "queryParameters": {"a": "1,2"},
     "requestContext": {"accountId", "domainName", "domainPrefix",
                        "http": {"method", "path", "protocol", "sourceIp", "userAgent"},
                        "requestId", "time", "timeEpoch"}}

Repeated headers and query parameters are joined with ``,``; header names are written
``Title-Case``; a body that is not UTF-8 text is base64-encoded (``isBase64Encoded: true``).

The function answers ``{"statusCode", "headers", "isBase64Encoded", "body"}``; anything else is
sent as a 200 body (``text/plain`` when it is UTF-8, else ``application/octet-stream``;
UNCONFIRMED: the reference does not name the content type). A function error becomes a 502 with
FC 3.0's JSON error and ``x-fc-error-type``. Custom runtimes and containers keep FC 2.0's raw HTTP
pass-through.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.fc3.invoke import session_for
from fcbackend.fc3.names import is_storage_service
from fcbackend.models import FunctionSpec, HttpRequestInfo, InvocationRequest, InvocationResult
from fcbackend.triggers.http import FORBIDDEN_RESPONSE_HEADERS


def uses_event_format(spec: FunctionSpec) -> bool:
    """Whether HTTP requests reach this function as FC 3.0 events (built-in runtimes)."""
    return is_storage_service(spec.service) and not spec.runtime.startswith("custom")


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _joined(pairs: list[tuple[str, str]], *, title: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        name = _title(key.lower()) if title else key
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def event_for(
    info: HttpRequestInfo, *, request_id: str, account_id: str, domain_prefix: str, now: float | None = None
) -> bytes:
    """The event JSON of one HTTP request (module doc)."""
    moment = time.time() if now is None else now
    try:
        body, encoded = info.body.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(info.body).decode("ascii"), True
    headers = dict(info.headers)
    host = info.host or headers.get("host", "")
    event = {
        "version": "v1",
        "rawPath": info.path,
        "body": body,
        "isBase64Encoded": encoded,
        "headers": _joined(info.headers, title=True),
        "queryParameters": _joined(parse_qsl(info.query, keep_blank_values=True), title=False),
        "requestContext": {
            "accountId": account_id,
            "domainName": host.split(":", 1)[0],
            "domainPrefix": domain_prefix,
            "http": {
                "method": info.method,
                "path": info.path,
                "protocol": "HTTP/1.1",
                "sourceIp": info.client_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment)),
            "timeEpoch": str(int(moment * 1000)),
        },
    }
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def _error(result: InvocationResult, status: int) -> tuple[int, list[tuple[str, str]], bytes]:
    try:
        detail = json.loads(result.body)
    except ValueError:
        detail = None
    message = (detail.get("errorMessage") or detail.get("ErrorMessage")) if isinstance(detail, dict) else None
    message = message or result.body[:2048].decode("utf-8", "replace") or "the function failed"
    code = result.error_code or result.error_type or "FunctionUnhandledError"
    body = json.dumps({"Code": code, "Message": message, "RequestId": result.request_id}).encode()
    headers = [
        ("x-fc-request-id", result.request_id),
        ("content-type", "application/json"),
        ("x-fc-error-type", result.error_type or result.error_code or ""),
    ]
    return status, headers, body


def response_for(result: InvocationResult) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for the client of an event-format HTTP invocation."""
    if result.error_code:
        return _error(result, result.status if result.status >= 400 else 502)
    if result.error_type:
        return _error(result, 502)
    base = [("x-fc-request-id", result.request_id)]
    try:
        answer: Any = json.loads(result.body)
    except ValueError:
        answer = None
    if not (isinstance(answer, dict) and "statusCode" in answer):
        try:
            result.body.decode("utf-8")
            kind = "text/plain; charset=utf-8"
        except UnicodeDecodeError:
            kind = "application/octet-stream"
        return 200, [*base, ("content-type", kind)], result.body
    status = answer.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        return _error(
            InvocationResult(
                result.request_id,
                502,
                json.dumps({"errorMessage": f"statusCode {status!r} is not an HTTP status"}).encode(),
                error_type="InvalidHttpResponse",
            ),
            502,
        )
    raw_body = answer.get("body")
    if raw_body is None:
        data = b""
    elif isinstance(raw_body, str):
        data = base64.b64decode(raw_body) if answer.get("isBase64Encoded") else raw_body.encode("utf-8")
    else:
        data = json.dumps(raw_body).encode("utf-8")
    headers = list(base)
    for name, value in (answer.get("headers") or {}).items():
        if str(name).lower() in FORBIDDEN_RESPONSE_HEADERS or str(name).lower().startswith("x-fc-"):
            continue
        values = value if isinstance(value, list) else [value]
        headers += [(str(name), str(v)) for v in values]
    return status, headers, data


async def fc3_event_invoke(
    request: Request, spec: FunctionSpec, info: HttpRequestInfo, request_id: str
) -> Response:
    """Run an event-format function for one HTTP request (sync, or queued when the request says
    ``x-fc-invocation-type: Async``) and answer the client."""
    state = request.app.state.fc
    payload = event_for(
        info, request_id=request_id, account_id=state.config.account_id, domain_prefix=spec.function
    )
    headers = {k.lower(): v for k, v in request.headers.items()}
    if headers.get("x-fc-invocation-type", "").lower() == "async":
        inv = InvocationRequest(
            request_id=request_id,
            payload=payload,
            invocation_type="Async",
            task_id=headers.get("x-fc-async-task-id"),
        )
        outcome = await request.app.state.fc_addons.async_submit(spec, inv, request)
        if isinstance(outcome, Response):
            return outcome
        accepted = dict(outcome)
        task_id = accepted.pop("x-fc-stateful-async-invocation-id", None)
        if task_id:
            accepted["x-fc-async-task-id"] = task_id
        return Response(b"", status_code=202, headers=accepted)
    session_id, session_headers = session_for(spec, headers)
    result = await state.scheduler.invoke(
        spec, InvocationRequest(request_id=request_id, payload=payload, session_id=session_id)
    )
    status, out_headers, body = response_for(result)
    response = Response(body, status_code=status)
    for name, value in out_headers:
        response.headers.append(name, value)
    for name_bytes, value_bytes in session_headers:
        response.headers.append(name_bytes.decode("latin-1"), value_bytes.decode("latin-1"))
    return response
