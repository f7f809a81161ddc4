"""The request side: a deployed API's request turned into API Gateway's event for its function, and
the function's answer turned back into HTTP (see the package docstring for the shapes)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from fcbackend.apigateway.store import Api, ApiGatewayStore
from fcbackend.models import InvocationRequest

PATH_PREFIX = "/apigateway/"
DOMAIN_SUFFIX = ".alicloudapi.com"
MAX_BODY = 8 * 1024 * 1024  # API Gateway's request body limit (8 MB)
_PARAM = re.compile(r"\[([A-Za-z0-9_.-]+)\]")


def _host(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"host":
            return value.decode("latin-1").split(":", 1)[0].lower()
    return ""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def match(apis: list[Api], method: str, path: str) -> tuple[Api, dict[str, str]] | None:
    """The API for ``method path`` (exact paths before parameterised ones) and its path parameters."""
    ranked: list[tuple[int, Api, dict[str, str]]] = []
    for api in apis:
        if api.method not in ("ANY", method):
            continue
        names = _PARAM.findall(api.path)
        pattern = (
            "^" + _PARAM.sub(r"([^/]+)", re.escape(api.path).replace(r"\[", "[").replace(r"\]", "]")) + "$"
        )
        found = re.match(pattern, path)
        if found:
            ranked.append((len(names), api, dict(zip(names, found.groups(), strict=True))))
    if not ranked:
        return None
    ranked.sort(key=lambda item: item[0])
    return ranked[0][1], ranked[0][2]


class ApiGatewayFront:
    """ASGI middleware answering API Gateway requests before the FC layers see them."""

    def __init__(self, app: ASGIApp, *, store: Callable[[], ApiGatewayStore], state: Callable[[], Any]):
        self.app = app
        self.store = store
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host, path = _host(scope), scope["path"]
        if host.endswith(DOMAIN_SUFFIX):
            key = host
        elif path.startswith(PATH_PREFIX):
            key, _, rest = path[len(PATH_PREFIX) :].partition("/")
            path = "/" + rest
        else:
            await self.app(scope, receive, send)
            return
        status, headers, body = await self._handle(scope, receive, key, path)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _handle(
        self, scope: Scope, receive: Receive, key: str, path: str
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        request_id = str(uuid.uuid4())
        store = self.store()
        group = store.group_by_domain(key)
        if group is None:
            return _error(404, "GroupNotFound", f"no API group {key} here", request_id)
        stage = (_header(scope, b"x-ca-stage") or "RELEASE").upper()
        found = match(store.deployed_apis(group.group_id, stage), scope["method"], path)
        if found is None:
            return _error(
                404,
                "ApiNotFound",
                f"no API of group {group.name} deployed to stage {stage} answers {scope['method']} {path}",
                request_id,
            )
        api, parameters = found
        body = await _read(receive)
        if body is None:
            return _error(413, "RequestTooLarge", f"the request body is over {MAX_BODY} bytes", request_id)
        event = {
            "path": path,
            "httpMethod": scope["method"],
            "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            "queryParameters": dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            "pathParameters": parameters,
            "body": base64.b64encode(body).decode("ascii"),
            "isBase64Encoded": True,
        }
        state = self.state()
        try:
            spec = await state.spec_for(api.service, api.function, api.qualifier or None)
        except Exception as exc:  # FcError: the function is gone
            return _error(
                502, "BackendNotFound", f"the API's function {api.service}/{api.function}: {exc}", request_id
            )
        result = await state.scheduler.invoke(
            spec, InvocationRequest(request_id=request_id, payload=json.dumps(event).encode())
        )
        if not result.ok:
            message = result.body.decode("utf-8", "replace")[:1000]
            return _error(502, "BackendError", f"the function failed: {message}", request_id)
        return _answer(result.body, request_id)


async def _read(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _answer(raw: bytes, request_id: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The function's ``{"statusCode", "headers", "body", "isBase64Encoded"}``; anything else is
    passed through as a 200 body."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "statusCode" not in data:
        return 200, _headers({}, len(raw), request_id), raw
    body = data.get("body") or ""
    encoded = data.get("isBase64Encoded", data.get("isBase64Encode", False))
    content = (
        base64.b64decode(body) if encoded else (body if isinstance(body, str) else json.dumps(body)).encode()
    )
    headers = {str(k): str(v) for k, v in (data.get("headers") or {}).items()}
    try:
        status = int(data["statusCode"])
    except (TypeError, ValueError):
        status = 502
    return status, _headers(headers, len(content), request_id), content


def _headers(extra: dict[str, str], length: int, request_id: str) -> list[tuple[bytes, bytes]]:
    pairs = [(k.lower().encode("latin-1"), v.encode("latin-1", "replace")) for k, v in extra.items()]
    pairs = [(k, v) for k, v in pairs if k not in (b"content-length", b"connection")]
    pairs += [(b"content-length", str(length).encode()), (b"x-ca-request-id", request_id.encode())]
    return pairs


def _error(
    status: int, code: str, message: str, request_id: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"Code": code, "Message": message, "RequestId": request_id}).encode()
    return (
        status,
        [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-ca-request-id", request_id.encode()),
            (b"x-ca-error-message", message.encode("latin-1", "replace")[:500]),
        ],
        body,
    )
