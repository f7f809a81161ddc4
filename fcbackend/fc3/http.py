"""Request and response helpers of the FC 3.0 API.

Why not the 2.0 helpers as they are: FC 3.0 reports errors as ``{"Code", "Message", "RequestId"}``,
its SDK fails on an empty 200 body for every operation that returns data, and it signs the body
with ``x-acs-content-sha256``, which must be checked against the bytes that really arrived (the
signature check in the middleware only covers the header's value).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope

from fcbackend.api.errors import FcError, invalid
from fcbackend.api.http import backend, json_response, request_id
from fcbackend.api.invoke import read_body as receive_limited
from fcbackend.api.state import BackendState
from fcbackend.backend_config import MAX_CODE_ZIP

# A management body holds at most a base64 code package plus a little JSON.
MAX_MANAGEMENT_BODY = MAX_CODE_ZIP * 4 // 3 + 64 * 1024
MAX_JSON_DEPTH = 32


def state_of(request: Request) -> BackendState:
    return backend(request)


def error_document(code: str, message: str, request_id_: str) -> dict[str, str]:
    """FC 3.0's error body."""
    return {"Code": code, "Message": message, "RequestId": request_id_}


def error_response(request: Request, err: FcError) -> Response:
    response = json_response(request, error_document(err.code, err.message, request_id(request)), err.status)
    response.headers.update(err.headers)
    return response


def ok(request: Request, data: Any, status: int = 200) -> Response:
    """A JSON answer; ``None`` still sends ``{}`` (the SDK parses every 200 of a data operation)."""
    return json_response(request, {} if data is None else data, status)


def no_content(request: Request, status: int = 204) -> Response:
    return Response(b"", status_code=status, headers={"x-fc-request-id": request_id(request)})


def check_content_sha256(headers: Any, body: bytes) -> None:
    """An ACS3-signed request names its body's SHA-256; a body that does not match was changed
    on the way (or the client hashed something else): 400, before anything acts on it."""
    claimed = headers.get("x-acs-content-sha256")
    if claimed and claimed != "UNSIGNED-PAYLOAD" and hashlib.sha256(body).hexdigest() != claimed.lower():
        raise FcError(
            400,
            "InvalidArgument",
            "x-acs-content-sha256 does not match the SHA-256 of the request body",
        )


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The body, checked against ``x-acs-content-sha256``; 400 ``EntityTooLarge`` past ``limit``.
    The router reads it for every operation (bounded as it arrives, see :func:`receive_body`);
    this reads it only for a request that did not come through the router."""
    cached = request.scope.get("fc3.body")
    if cached is not None:
        return bytes(cached)
    body = await request.body()
    limit = MAX_MANAGEMENT_BODY if limit is None else limit
    if len(body) > limit:
        raise too_large(limit)
    check_content_sha256(request.headers, body)
    request.scope["fc3.body"] = body
    return body


async def receive_body(scope: Scope, receive: Receive, limit: int | None = None) -> Receive:
    """Read the whole body from ``receive`` (refused past ``limit`` bytes, so an oversized upload is
    not buffered whole), check its hash, keep it in the scope, and return a ``receive`` that
    replays it to whoever reads the request next."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    limit = MAX_MANAGEMENT_BODY if limit is None else limit
    length = headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise too_large(limit)
    body = await receive_limited(receive, limit)
    check_content_sha256(headers, body)
    scope["fc3.body"] = body
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def too_large(limit: int) -> FcError:
    return FcError(
        400, "EntityTooLarge", f"the request body exceeds the maximum allowed size ({limit} bytes)"
    )


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, giving up past ``limit``."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


async def read_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (``{}`` when empty); 400 ``InvalidArgument`` naming the problem
    for anything else (not JSON, not an object, nested deeper than any FC structure)."""
    raw = await read_body(request)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise invalid(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    if not isinstance(data, dict):
        raise invalid(f"the request body must be a JSON object, got {type(data).__name__}")
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise invalid(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def query(request: Request, name: str) -> str | None:
    """A query parameter ("" counts as absent)."""
    value = request.query_params.get(name)
    return value if value else None


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = query(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"query parameter {name}={raw!r} must be an integer") from None
    if not low <= value <= high:
        raise invalid(f"query parameter {name}={value} must be between {low} and {high}")
    return value


def query_bool(request: Request, name: str, default: bool) -> bool:
    raw = query(request, name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise invalid(f"query parameter {name}={raw!r} must be true or false")


def query_json_list(request: Request, name: str) -> list[Any] | None:
    """A query parameter that carries a JSON array (``tags``, ``ResourceId``, ``TagKey``...)."""
    raw = query(request, name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise invalid(f"query parameter {name} must be a JSON array, got {raw[:80]!r}") from None
    if not isinstance(value, list):
        raise invalid(f"query parameter {name} must be a JSON array, got {raw[:80]!r}")
    return value


def page(
    items: list[dict[str, Any]], key: str, *, limit: int, token: str | None, prefix: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``items`` sorted by ``key``: those starting with ``prefix``, from ``token`` (the
    first key of the page, as returned by the previous page) on; the token of the next page."""
    chosen = sorted(
        (i for i in items if str(i.get(key, "")).startswith(prefix or "")),
        key=lambda i: str(i.get(key, "")),
    )
    if token:
        chosen = [i for i in chosen if str(i.get(key, "")) >= token]
    next_token = str(chosen[limit][key]) if len(chosen) > limit else None
    return chosen[:limit], next_token


def with_token(body: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        body["nextToken"] = token
    return body
