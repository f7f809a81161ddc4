"""From an invocation to a protocol request, and from the instance's answer to FC's result.

Why separate from the scheduler: these are pure functions of the function spec and the messages (the
headers and outcome rules of docs/reference/fc-runtime.md#custom-runtimes-and-containers, the error
types of docs/reference/fc-api.md#invocation), easy to test and shared by every driver.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fcbackend.models import (
    FunctionSpec,
    InstanceRequest,
    InstanceResponse,
    InvocationRequest,
    InvocationResult,
)
from fcbackend.runtimes.fc_contract import common_headers

LOG_HEADER = "x-rosengine-log"
# Response headers an instance may not set (docs/reference/fc-runtime.md#responses-and-errors),
# besides everything starting x-fc-.
_FORBIDDEN_RESPONSE = {"connection", "content-length", "date", "keep-alive", "server", "transfer-encoding"}
_HOP_BY_HOP_REQUEST = {"connection", "keep-alive", "content-length", "transfer-encoding", "upgrade", "te"}

UNHANDLED = "UnhandledInvocationError"
# FC names the error type of a failed initializer only as "initializer-specific": the name is our
# choice (docs/reference/fc-runtime.md#lifecycle-hooks).
INITIALIZATION_ERROR = "InitializationError"
# The instance's node was lost mid-call (fcbackend.cluster): a platform error of ours, not an FC
# code, retried by the async queue like a throttle.
INSTANCE_LOST = "InstanceLost"


def invocation_request(
    spec: FunctionSpec, req: InvocationRequest, instance_id: str = "", invoke_head: bytes | None = None
) -> InstanceRequest:
    """``POST /invoke`` for events, the client's own request for HTTP invocations
    (docs/reference/fc-runtime.md#requests-to-an-instance).

    ``invoke_head``: this instance's :func:`static_head` for ``/invoke`` (the scheduler keeps one
    per instance); the request then carries only the per-request headers besides it."""
    if req.http is None:
        if invoke_head is not None:
            plain_headers = {
                "x-fc-request-id": req.request_id,
                "x-fc-retry-count": str(req.retry_count),
                "Content-Type": "application/octet-stream",
            }
            return InstanceRequest(
                "POST", "/invoke", plain_headers, req.payload, control_path="/invoke", static_head=invoke_head
            )
        plain_headers = common_headers(spec, req.request_id, "/invoke", req.retry_count, instance_id)
        plain_headers["Content-Type"] = "application/octet-stream"
        return InstanceRequest("POST", "/invoke", plain_headers, req.payload, control_path="/invoke")
    http = req.http
    headers: dict[str, str] = {}
    headers_map: dict[str, list[str]] = {}
    for name, value in http.headers:
        lower = name.lower()
        if lower.startswith("x-fc-") or lower in _HOP_BY_HOP_REQUEST or lower == "host":
            continue
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
        headers_map.setdefault(name, []).append(value)
    queries: dict[str, list[str]] = {}
    for part in http.query.split("&") if http.query else []:
        key, _, value = part.partition("=")
        queries.setdefault(key, []).append(value)
    params = {
        "path": http.path,
        "method": http.method,
        "requestURI": http.request_uri or _uri(http.path, http.query),
        "clientIP": http.client_ip,
        "headersMap": headers_map,
        "queriesMap": queries,
        "host": http.host,
    }
    headers.update(common_headers(spec, req.request_id, "/http-invoke", req.retry_count, instance_id))
    headers["x-fc-http-params"] = base64.b64encode(json.dumps(params).encode()).decode()
    return InstanceRequest(
        http.method, http.path or "/", headers, http.body, control_path="/http-invoke", query=http.query
    )


def hook_request(
    spec: FunctionSpec, request_id: str, control_path: str, instance_id: str = ""
) -> InstanceRequest:
    """``POST /initialize``, ``GET /pre-stop`` or ``GET /pre-freeze``."""
    method = "POST" if control_path == "/initialize" else "GET"
    headers = common_headers(spec, request_id, control_path, 0, instance_id)
    return InstanceRequest(method, control_path, headers, b"", control_path=control_path)


def _uri(path: str, query: str) -> str:
    return path + (f"?{query}" if query else "")


def response_log(response: InstanceResponse) -> bytes:
    encoded = response.headers.get(LOG_HEADER)
    if not encoded:
        return b""
    try:
        return base64.b64decode(encoded)
    except ValueError:
        return b""


def failed(response: InstanceResponse) -> bool:
    """2xx and no ``x-fc-status`` other than 200 means success
    (docs/reference/fc-runtime.md#responses-and-errors)."""
    x_status = response.headers.get("x-fc-status")
    if x_status is not None and x_status.strip() not in ("200", ""):
        return True
    return not 200 <= response.status < 300


def clean_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        k: v
        for k, v in headers.items()
        if not k.lower().startswith("x-fc-")
        and k.lower() not in _FORBIDDEN_RESPONSE
        and k.lower() != LOG_HEADER
    }


def to_result(spec: FunctionSpec, req: InvocationRequest, response: InstanceResponse) -> InvocationResult:
    """Map an instance's answer to FC's result (status, body, error type)."""
    result = InvocationResult(
        request_id=req.request_id, status=200, body=response.body, version_id=spec.version_id
    )
    is_failure = failed(response)
    if req.http is None:
        content_type = response.headers.get("content-type")
        if content_type and not is_failure:
            result.headers["Content-Type"] = content_type
        if is_failure:
            result.error_type = response.headers.get("x-fc-error-type") or UNHANDLED
        return result
    result.status = response.status
    result.headers = clean_headers(response.headers)
    if is_failure and "x-fc-error-type" in response.headers:
        # a built-in runtime's handler raised: FC answers the HTTP client with 502 (UNCONFIRMED)
        result.error_type = response.headers["x-fc-error-type"]
        result.status = 502
        result.headers = {"Content-Type": "application/json"}
    elif response.headers.get("x-fc-status", "200").strip() not in ("200", ""):
        result.error_type = UNHANDLED
    return result


def error_result(
    req: InvocationRequest,
    spec: FunctionSpec,
    *,
    error_type: str | None = None,
    error_code: str | None = None,
    message: str,
    status: int = 200,
) -> InvocationResult:
    """An FC-shaped error: function errors keep 200 + error type; platform errors carry a code."""
    if error_code is not None:
        body: dict[str, Any] = {"ErrorCode": error_code, "ErrorMessage": message, "RequestId": req.request_id}
    else:
        body = {"errorMessage": message, "errorType": error_type or UNHANDLED, "stackTrace": []}
    return InvocationResult(
        request_id=req.request_id,
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        error_type=error_type,
        error_code=error_code,
        version_id=spec.version_id,
    )
