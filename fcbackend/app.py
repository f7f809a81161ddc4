"""``FcApp``: the FC backend's ASGI application class, its error pages and its driver report.

The app is built (every store, service, route and lifespan) in one place,
:func:`fcbackend.composition.create_app`.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fcbackend.api.auth import FcRequestMiddleware, invoke_path_params
from fcbackend.api.errors import FcError, error_body
from fcbackend.api.http import custom_domain_host, json_response, request_id
from fcbackend.backend_config import BackendConfig
from fcbackend.fc3.invoke import Fc3Front, invoke_function_name
from fcbackend.scheduler.port import SchedulerPort

_log = logging.getLogger("fcbackend")


def driver_info(scheduler: SchedulerPort, config: BackendConfig) -> dict[str, Any]:
    """What ``ros fc status`` shows: the driver in use and whether functions are isolated."""
    drivers = scheduler.drivers
    name = scheduler.default_driver or config.driver or ""
    report: dict[str, Any] = {}
    for driver_name, driver in drivers.items():
        try:
            ok, note = driver.available()
        except Exception as exc:  # a broken driver must not break status
            ok, note = False, str(exc)
        report[driver_name] = {"available": ok, "note": note}
    chosen = report.get(name, {})
    return {
        "driver": name or "unknown",
        "isolated": name in ("sandbox", "docker") and bool(chosen.get("available", False)),
        "note": chosen.get("note", ""),
        "drivers": report,
    }


async def fc_error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FcError)
    response = json_response(request, error_body(exc.code, exc.message, request_id(request)), exc.status)
    response.headers.update(exc.headers)
    return response


async def http_error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        code, message = "MethodNotAllowed", f"{request.method} is not supported on {request.url.path}"
    elif exc.status_code == 404:
        code, message = "PathNotSupported", f"no FC API operation at {request.method} {request.url.path}"
    else:
        code, message = "InvalidArgument", str(exc.detail)
    return json_response(request, error_body(code, message, request_id(request)), exc.status_code)


class FcApp(Starlette):
    """Starlette with the warm invoke path in front of every middleware.

    Why: add-ons wrap the app in middlewares (custom domains, config-change wake-ups, Starlette's
    error page) that have nothing to do with a synchronous invoke yet cost a few frames each on
    the hottest path. A POST to ``.../invocations`` addressed to a local host (never a custom
    domain) goes straight to :meth:`FcRequestMiddleware.invoke`, which signs, invokes and answers
    exactly as it would at the end of the stack.
    """

    fc_front: FcRequestMiddleware | None = None
    fc3_front: Fc3Front | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.fc_front
        if front is not None and scope["type"] == "http":
            params = invoke_path_params(scope)
            if params is not None and not custom_domain_host(scope):
                scope["app"] = self
                await front.invoke(scope, receive, send, params)
                return
            fc3 = self.fc3_front
            name = invoke_function_name(scope) if fc3 is not None else None
            if fc3 is not None and name is not None and not custom_domain_host(scope):
                scope["app"] = self
                await fc3(scope, receive, send, name)
                return
        await super().__call__(scope, receive, send)
