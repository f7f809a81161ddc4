"""The outermost request layer: request ids, FC signature checks (fc-spec F.2), and turning any
error into FC's JSON error body.

Why a pure ASGI middleware instead of a Starlette BaseHTTPMiddleware: it adds no task or stream
wrapping to every request, which matters on the invoke path. Only paths under ``/2016-08-15/`` are
API calls; ``/proxy/`` (HTTP triggers decide their own auth), ``/local/health`` and the
token-protected code downloads are exempt, as is anything registered in ``AUTH_EXEMPT_PREFIXES``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fcbackend.api.errors import FcError, error_body
from fcbackend.config import API_VERSION, BackendConfig
from rosengine.clients import fc_signature

API_PREFIX = f"/{API_VERSION}/"
AUTH_EXEMPT_PREFIXES: list[str] = [
    f"/{API_VERSION}/proxy/",
    f"/{API_VERSION}/local/health",
    f"/{API_VERSION}/local/code/",
]
MAX_CLOCK_SKEW_S = 15 * 60
# The hot path skips the router: one regex instead of trying every route, no exception wrappers.
_INVOKE_PATH = re.compile(rf"^/{API_VERSION}/services/(?P<service>[^/]+)/functions/(?P<function>[^/]+)/invocations$")
_log = logging.getLogger("fcbackend.api")


def check_signature(config: BackendConfig, scope: Scope) -> None:
    """Raise FcError(403/400) unless the request is signed with the backend's key."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    auth = headers.get("authorization")
    if not auth:
        raise FcError(403, "AccessDenied", "the request is not signed: an Authorization header is required")
    parsed = fc_signature.parse_authorization(auth)
    if parsed is None:
        raise FcError(403, "AccessDenied", "the Authorization header must look like 'FC <AccessKeyID>:<Signature>'")
    key_id, given = parsed
    if key_id != config.access_key_id:
        raise FcError(403, "InvalidAccessKeyID", f"the access key id '{key_id}' is not known to this backend")
    date = headers.get("date")
    if not date:
        raise FcError(400, "MissingRequiredHeader", "the Date header is required on signed requests")
    try:
        sent = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        raise FcError(400, "InvalidArgument", f"the Date header '{date}' is not an RFC 1123 date") from None
    if abs(time.time() - sent) > MAX_CLOCK_SKEW_S:
        raise FcError(403, "RequestTimeTooSkewed",
                      "the Date header differs from the server time by more than 15 minutes")
    queries = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if not fc_signature.verify(config.access_key_secret, given, scope["method"], scope["path"], headers, queries):
        raise FcError(403, "SignatureNotMatch",
                      "the request signature does not match; check the access key secret and the signed headers")


async def send_error(send: Send, err: FcError, request_id: str) -> None:
    body = json.dumps(error_body(err.code, err.message, request_id)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"x-fc-request-id", request_id.encode())]
    headers += [(k.encode(), v.encode()) for k, v in err.headers.items()]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FcRequestMiddleware:
    def __init__(self, app: ASGIApp, config: BackendConfig):
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope["fc.request_id"] = request_id
        path: str = scope["path"]
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            if self.config.auth and path.startswith(API_PREFIX) and not path.startswith(tuple(AUTH_EXEMPT_PREFIXES)):
                check_signature(self.config, scope)
            match = _INVOKE_PATH.match(path) if scope["method"] == "POST" else None
            if match is not None and "app" in scope:
                await _invoke_fast(scope, receive, tracked_send, match.groupdict())
            else:
                await self.app(scope, receive, tracked_send)
        except FcError as err:
            if not started:
                await send_error(send, err, request_id)
        except Exception as exc:
            _log.exception("request %s %s failed", scope.get("method"), path)
            if not started:
                await send_error(send, FcError(500, "InternalServerError", f"internal error: {exc}"), request_id)


async def _invoke_fast(scope: Scope, receive: Receive, send: Send, params: dict[str, str]) -> None:
    from starlette.requests import Request

    from fcbackend.api.invoke import invoke_function

    scope["path_params"] = params
    response = await invoke_function(Request(scope, receive, send))
    await response(scope, receive, send)
