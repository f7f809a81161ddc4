"""FC error responses (docs/reference/fc-api.md#rest-api): a status plus a JSON body with
``ErrorCode``/``ErrorMessage``.

Why both casings: the official SDK reads PascalCase ``ErrorCode`` while the API docs show
camelCase; we send both so every client finds what it looks for. Every error body is JSON, because
the SDK calls ``r.json()`` on any status >= 400.
"""

from __future__ import annotations

from typing import Any


class FcError(Exception):
    """An API error shown to the caller; raise it anywhere in a request handler."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(code: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ErrorCode": code,
        "ErrorMessage": message,
        "errorCode": code,
        "errorMessage": message,
    }
    if request_id:
        body["RequestId"] = request_id
    return body


def invalid(message: str) -> FcError:
    return FcError(400, "InvalidArgument", message)


def not_found(code: str, message: str) -> FcError:
    return FcError(404, code, message)


def conflict(code: str, message: str) -> FcError:
    return FcError(409, code, message)


def service_not_found(service: str) -> FcError:
    return not_found("ServiceNotFound", f"service '{service}' does not exist")


def function_not_found(service: str, function: str, qualifier: str | None = None) -> FcError:
    where = f"{service}.{qualifier}" if qualifier else service
    return not_found("FunctionNotFound", f"function '{function}' does not exist in service '{where}'")
