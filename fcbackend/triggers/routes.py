"""Backend routes for http triggers (``/2016-08-15/proxy/...``), custom domains (by Host) and
``ros fc trigger-event`` (``POST /2016-08-15/local/trigger-events/{svc}/{fn}/{trigger}``).

The routes find the add-ons at ``request.app.state.fc_addons`` (a
:class:`~fcbackend.asyncq.addon.BackendAddons`) and the API state at ``request.app.state.fc``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fcbackend.api.http import host_name, is_local_host_name
from fcbackend.fc3.http_event import fc3_event_invoke, uses_event_format
from fcbackend.fc3.invoke import session_for
from fcbackend.models import InvocationRequest
from fcbackend.triggers.events import sample_event
from fcbackend.triggers.http import (
    HttpTriggerError,
    RouteMatch,
    auth_type,
    check_method,
    check_signature,
    host_matches,
    match_route,
    parse_proxy_path,
    request_info,
    response_parts,
    routes_of,
)

P = "/2016-08-15"
_DOMAIN = "custom_domain"


def _error(status: int, code: str, message: str, request_id: str) -> JSONResponse:
    return JSONResponse(
        {
            "ErrorCode": code,
            "ErrorMessage": message,
            "errorCode": code,
            "errorMessage": message,
            "RequestId": request_id,
        },
        status_code=status,
        headers={"x-fc-request-id": request_id},
    )


def _request_id(request: Request) -> str:
    return str(request.scope.get("fc.request_id") or uuid.uuid4())


async def _http_invoke(
    request: Request, *, service: str, function: str, qualifier: str, function_path: str, request_id: str
) -> Response:
    """Run the function for this HTTP request (sync), or queue it with X-Fc-Invocation-Type: Async."""
    addons = request.app.state.fc_addons
    state = request.app.state.fc
    try:
        spec = await state.spec_for(service, function, qualifier)
    except Exception as exc:
        status = getattr(exc, "status", 500)
        return _error(
            status, getattr(exc, "code", "InternalServerError"), getattr(exc, "message", str(exc)), request_id
        )
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    query = request.url.query
    info = request_info(
        method=request.method,
        function_path=function_path,
        query=query,
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
        body=await request.body(),
        client_ip=request.client.host if request.client else "",
        host=request.headers.get("host", ""),
        request_uri=raw_path + (f"?{query}" if query else ""),
    )
    if uses_event_format(spec):  # FC 3.0 built-in runtimes: the request arrives as an event
        return await fc3_event_invoke(request, spec, info, request_id)
    if (request.headers.get("x-fc-invocation-type") or "").lower() == "async":
        inv = InvocationRequest(
            request_id=request_id,
            invocation_type="Async",
            http=info,
            task_id=request.headers.get("x-fc-stateful-async-invocation-id")
            or request.headers.get("x-fc-async-task-id"),
        )
        outcome = await addons.async_submit(spec, inv, request)
        if isinstance(outcome, Response):
            return outcome
        return Response(b"", status_code=202, headers=outcome)
    session_id, session_headers = session_for(spec, {k.lower(): v for k, v in request.headers.items()})
    result = await state.scheduler.invoke(
        spec, InvocationRequest(request_id=request_id, http=info, session_id=session_id)
    )
    status, headers, body = response_parts(result)
    response = Response(body, status_code=status)
    for name, value in headers + [(k.decode("latin-1"), v.decode("latin-1")) for k, v in session_headers]:
        response.headers.append(name, value)
    return response


# The invocation every HTTP entry point shares (FC 2.0 proxy paths, custom domains, FC 3.0
# trigger URLs in fcbackend.fc3.http_routes).
http_invoke = _http_invoke


async def proxy(request: Request) -> Response:
    """``ANY /2016-08-15/proxy/<service>[.<qualifier>]/<function>/<path>`` (docs/reference/fc-api.md#rest-api,
    docs/reference/fc-runtime.md#http-functions-wsgi)."""
    request_id = _request_id(request)
    addons = request.app.state.fc_addons
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    try:
        target = parse_proxy_path(raw_path.split("?", 1)[0])
        trigger = next(
            (
                t
                for t in addons.triggers("http")
                if t.service == target.service and t.function == target.function
            ),
            None,
        )
        if trigger is None:
            raise HttpTriggerError(
                404, "TriggerNotFound", f"function '{target.service}/{target.function}' has no http trigger"
            )
        check_method(trigger, request.method)
        if auth_type(trigger) != "anonymous":
            config = request.app.state.fc.config
            check_signature(
                trigger,
                method=request.method,
                path=unquote(raw_path.split("?", 1)[0]),
                query=request.url.query,
                headers={k.lower(): v for k, v in request.headers.items()},
                secret_for={config.access_key_id: config.access_key_secret},
            )
    except HttpTriggerError as exc:
        return _error(exc.status, exc.code, exc.message, request_id)
    qualifier = target.qualifier if target.qualifier != "LATEST" else (trigger.qualifier or "LATEST")
    return await _http_invoke(
        request,
        service=target.service,
        function=target.function,
        qualifier=qualifier,
        function_path=target.path,
        request_id=request_id,
    )


async def trigger_event(request: Request) -> Response:
    """Deliver a test event in the trigger's source shape (or the body given) and return the
    function's result, as the console's "test trigger" does: a synchronous invocation."""
    request_id = _request_id(request)
    addons = request.app.state.fc_addons
    p = request.path_params
    trigger = addons.trigger(p["service"], p["function"], p["trigger"])
    if trigger is None:
        return _error(
            404,
            "TriggerNotFound",
            f"trigger '{p['trigger']}' of function '{p['service']}/{p['function']}' does not exist",
            request_id,
        )
    body = await request.body()
    if trigger.type == "http":  # the request itself is the event: a POST / with the given body
        response = await _http_invoke(
            request,
            service=trigger.service,
            function=trigger.function,
            qualifier=trigger.qualifier,
            function_path="/",
            request_id=request_id,
        )
        response.headers["x-fc-trigger-event"] = json.dumps({"type": "http", "bytes": len(body)})
        return response
    event = body or sample_event(
        trigger, region=addons.region, account_id=addons.account_id, now=addons.clock.time()
    )
    state = request.app.state.fc
    try:
        spec = await state.spec_for(trigger.service, trigger.function, trigger.qualifier)
    except Exception as exc:
        return _error(
            getattr(exc, "status", 500),
            getattr(exc, "code", "InternalServerError"),
            getattr(exc, "message", str(exc)),
            request_id,
        )
    result = await state.scheduler.invoke(spec, InvocationRequest(request_id=request_id, payload=event))
    headers = {
        "x-fc-request-id": request_id,
        "x-fc-trigger-event": json.dumps({"type": trigger.type, "bytes": len(event)}),
    }
    if result.error_type or result.error_code:
        headers["x-fc-error-type"] = result.error_type or result.error_code or ""
    return Response(result.body, status_code=result.status, headers=headers)


class CustomDomainMiddleware:
    """Routes requests whose Host is a custom domain to the route's function
    (docs/reference/fc-api.md#custom-domains)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        match = self._match(scope, host)
        if match is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await _http_invoke(
            request,
            service=match.route.service,
            function=match.route.function,
            qualifier=match.route.qualifier,
            function_path=match.function_path,
            request_id=str(uuid.uuid4()),
        )
        await response(scope, receive, send)

    def _match(self, scope: Scope, host: str) -> RouteMatch | None:
        name = host_name(host)
        if is_local_host_name(name):
            return None
        app_state: Any = getattr(scope.get("app"), "state", None)
        state = getattr(app_state, "fc", None)
        if state is None:
            return None
        doc = state.meta.get(_DOMAIN, "", name)
        if doc is None or not host_matches(str(doc.get("domainName", name)), host):
            return None
        return match_route(routes_of(doc), scope["path"], scope["method"])


ROUTES = [
    Route(
        P + "/proxy/{rest:path}", proxy, methods=["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"]
    ),
    Route(P + "/local/trigger-events/{service}/{function}/{trigger}", trigger_event, methods=["POST"]),
]
