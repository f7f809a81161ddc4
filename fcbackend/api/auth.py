"""The outermost request layer: request ids, FC signature checks (docs/reference/fc-api.md#request-signing),
RAM authorization of each operation, and turning any error into FC's JSON error body.

Who signed a request is the RAM/STS twin's answer (:class:`fcbackend.access.CredentialStore`: the
account's root keys, RAM users' keys, STS keys with ``x-fc-security-token``); what that caller may
do is its policies' (:class:`fcbackend.access.Authorizer`, with the route's FC action from
:mod:`fcbackend.api.authorization`).

Why a pure ASGI middleware instead of a Starlette BaseHTTPMiddleware: it adds no task or stream
wrapping to every request, which matters on the invoke path. Only paths under ``/2016-08-15/`` are
API calls, and so are those under FC 3.0's ``/2023-03-30/`` (signed the ACS way, checked by
:mod:`fcbackend.fc3.auth`); ``/proxy/`` (HTTP triggers decide their own auth), ``/local/health`` and
the token-protected code downloads are exempt, as is anything registered in
``AUTH_EXEMPT_PREFIXES``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from random import getrandbits
from typing import Any, Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fcbackend.access import Authorizer, Caller, CredentialError, CredentialStore
from fcbackend.api.authorization import authorize, authorize_request
from fcbackend.api.errors import FcError, credential_error, error_body, internal_error
from fcbackend.api.invoke import invoke_function, invoke_sync_asgi
from fcbackend.backend_config import API_VERSION, BackendConfig
from fcbackend.fc3.auth import check_fc3_signature
from rosengine.clients import fc_signature
from sqlstore import DatabaseUnavailable

API_PREFIX = f"/{API_VERSION}/"
FC3_PREFIX = "/2023-03-30/"
# Every API path is signed, FC3's included: a route added under either prefix is protected
# without having to remember to check for itself.
SIGNED_PREFIXES = (API_PREFIX, FC3_PREFIX)
AUTH_EXEMPT_PREFIXES: list[str] = [
    f"/{API_VERSION}/proxy/",
    "/2023-03-30/proxy/",
    f"/{API_VERSION}/local/health",
    f"/{API_VERSION}/local/code/",
]
MAX_CLOCK_SKEW_S = 15 * 60
# The hot path skips the router: one regex instead of trying every route, no exception wrappers.
_INVOKE_PATH = re.compile(
    rf"/{API_VERSION}/services/(?P<service>[^/]+)/functions/(?P<function>[^/]+)/invocations"
)
_log = logging.getLogger("fcbackend.api")


class BackendAccess(CredentialStore, Authorizer, Protocol):
    """What the FC API needs from RAM/STS: both halves of the identity contract."""


def decoded_headers(scope: Scope) -> dict[str, str]:
    """The request headers as a dict with lower-cased names (the last value of a repeated one)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


@functools.lru_cache(maxsize=64)
def _date_timestamp(date: str) -> float | None:
    """Seconds since the epoch of an RFC 1123 ``Date`` (None when it is not one). Cached because a
    busy client sends the same Date string for a whole second."""
    try:
        return parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=8)
def _hmac_key(secret: str) -> Any:
    """A keyed HMAC-SHA256 object to ``copy()`` per request instead of re-keying every time."""
    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)


def _signature(secret: str, text: str) -> str:
    mac = _hmac_key(secret).copy()
    mac.update(text.encode("utf-8"))
    return base64.b64encode(mac.digest()).decode("ascii")


def _verify(secret: str, given: str, method: str, path: str, headers: dict[str, str], scope: Scope) -> bool:
    """Same rule as :func:`rosengine.clients.fc_signature.verify` (bare path, else path + query)."""
    if hmac.compare_digest(
        _signature(secret, fc_signature.string_to_sign(method, path, headers, None)), given
    ):
        return True
    query = scope.get("query_string", b"")
    if not query:
        return False
    queries = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return hmac.compare_digest(
        _signature(secret, fc_signature.string_to_sign(method, path, headers, queries)), given
    )


def check_signature(
    config: BackendConfig, scope: Scope, credentials: CredentialStore, headers: dict[str, str] | None = None
) -> Caller:
    """Who signed the request; FcError(403/400) unless it is signed with a key ``credentials``
    knows (its STS token in ``x-fc-security-token``, FC 3.0's in ``x-acs-security-token``)."""
    if headers is None:
        headers = decoded_headers(scope)
    if scope["path"].startswith(FC3_PREFIX):  # FC 3.0 signs the ACS way (fcbackend.fc3.auth)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        return check_fc3_signature(
            credentials,
            scope["method"],
            raw_path.decode("latin-1"),
            scope.get("query_string", b"").decode("latin-1"),
            headers,
        )
    auth = headers.get("authorization")
    if not auth:
        raise FcError(403, "AccessDenied", "the request is not signed: an Authorization header is required")
    parsed = fc_signature.parse_authorization(auth)
    if parsed is None:
        raise FcError(
            403, "AccessDenied", "the Authorization header must look like 'FC <AccessKeyID>:<Signature>'"
        )
    key_id, given = parsed
    try:
        secret, caller = credentials.resolve(key_id, headers.get("x-fc-security-token") or None)
    except CredentialError as exc:
        raise credential_error(exc) from None
    date = headers.get("date")
    if not date:
        raise FcError(400, "MissingRequiredHeader", "the Date header is required on signed requests")
    sent = _date_timestamp(date)
    if sent is None:
        raise FcError(400, "InvalidArgument", f"the Date header '{date}' is not an RFC 1123 date")
    if abs(time.time() - sent) > MAX_CLOCK_SKEW_S:
        raise FcError(
            403,
            "RequestTimeTooSkewed",
            "the Date header differs from the server time by more than 15 minutes",
        )
    if not _verify(secret, given, scope["method"], scope["path"], headers, scope):
        raise FcError(
            403,
            "SignatureNotMatch",
            "the request signature does not match; check the access key secret and the signed headers",
        )
    return caller


def request_context(scope: Scope) -> dict[str, str]:
    """The condition keys an FC request offers to policies (``acs:SourceIp``, ``acs:SecureTransport``)."""
    client = scope.get("client") or ("", 0)
    return {
        "acs:SourceIp": str(client[0]),
        "acs:SecureTransport": "true" if scope.get("scheme") == "https" else "false",
    }


def check_access(
    config: BackendConfig, access: BackendAccess, scope: Scope, headers: dict[str, str] | None = None
) -> None:
    """The signature check and the RAM authorization of one FC API request (both API versions)."""
    caller = check_signature(config, scope, access, headers)
    if not caller.is_root:
        authorize_request(
            access,
            caller,
            scope["method"],
            scope["path"],
            region=config.region,
            context=request_context(scope),
        )


def new_request_id() -> str:
    """A random version-4 UUID string. Why not ``uuid.uuid4()``: that reads the OS entropy pool
    (a system call) and builds a UUID object per request; a request id must be unique, not secret."""
    value = (getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC << 60) | (0x8 << 60)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def invoke_path_params(scope: Scope) -> dict[str, str] | None:
    """``{"service", "function"}`` when ``scope`` is a POST to the invoke path, else None."""
    if scope["method"] != "POST":
        return None
    match = _INVOKE_PATH.fullmatch(scope["path"])
    return match.groupdict() if match is not None else None


async def send_error(send: Send, err: FcError, request_id: str, *, fc3: bool = False) -> None:
    """FC's error response; ``fc3`` gives FC 3.0's body shape (``Code``/``Message``/``RequestId``)."""
    document = (
        {"Code": err.code, "Message": err.message, "RequestId": request_id}
        if fc3
        else error_body(err.code, err.message, request_id)
    )
    body = json.dumps(document).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-fc-request-id", request_id.encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in err.headers.items()]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def answer_errors(
    send: Send, handle: Callable[[Send], Awaitable[None]], request_id: str, what: str, *, fc3: bool = False
) -> None:
    """Run ``handle`` with a ``send`` that notes whether a response has started; an error raised
    before that becomes FC's error response (an unexpected one a logged 500), one raised after
    it cannot be reported any more and ends the response as it is."""
    started = False

    async def tracked_send(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await handle(tracked_send)
    except FcError as err:
        if not started:
            await send_error(send, err, request_id, fc3=fc3)
    except DatabaseUnavailable as exc:  # a shared database that went away: retry later, not a 500
        _log.warning("%s: %s (request id %s)", what, exc, request_id)
        if not started:
            message = f"the backend's database is unavailable: {exc}"
            await send_error(send, FcError(503, "ServiceUnavailable", message), request_id, fc3=fc3)
    except Exception:
        _log.exception("%s failed (request id %s)", what, request_id)
        if not started:
            await send_error(send, internal_error(request_id), request_id, fc3=fc3)


class FcRequestMiddleware:
    """Request ids, signature checks and FC error bodies for every request; the invoke path
    skips the router (see :meth:`invoke`). ``FcApp`` also calls :meth:`invoke` directly, ahead of
    every other middleware."""

    def __init__(self, app: ASGIApp, config: BackendConfig, access: BackendAccess):
        self.app = app
        self.config = config
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        params = invoke_path_params(scope)
        if params is not None and "app" in scope:
            await self.invoke(scope, receive, send, params)
            return
        request_id = new_request_id()
        scope["fc.request_id"] = request_id
        path: str = scope["path"]

        async def handle(tracked_send: Send) -> None:
            if (
                self.config.auth
                and path.startswith(SIGNED_PREFIXES)
                and not path.startswith(tuple(AUTH_EXEMPT_PREFIXES))
            ):
                check_access(self.config, self.access, scope)
            await self.app(scope, receive, tracked_send)

        await answer_errors(
            send, handle, request_id, f"request {scope.get('method')} {path}", fc3=path.startswith(FC3_PREFIX)
        )

    async def invoke(self, scope: Scope, receive: Receive, send: Send, params: dict[str, str]) -> None:
        """An invoke call: sync ones on the raw ASGI warm path, async ones through the route's
        handler (the async queue's hook needs a Request)."""
        request_id = new_request_id()
        scope["fc.request_id"] = request_id
        headers = decoded_headers(scope)

        async def handle(tracked_send: Send) -> None:
            if self.config.auth:
                caller = check_signature(self.config, scope, self.access, headers)
                if not caller.is_root:
                    target = f"services/{params['service']}/functions/{params['function']}"
                    authorize(
                        self.access,
                        caller,
                        "fc:InvokeFunction",
                        target,
                        region=self.config.region,
                        context=request_context(scope),
                    )
            if (headers.get("x-fc-invocation-type") or "sync").lower() == "sync":
                await invoke_sync_asgi(
                    scope["app"].state, scope, receive, tracked_send, params, headers, request_id
                )
            else:
                scope["path_params"] = params
                response = await invoke_function(Request(scope, receive, tracked_send))
                await response(scope, receive, tracked_send)

        await answer_errors(send, handle, request_id, f"invocation {request_id} of {scope['path']}")
