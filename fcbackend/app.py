"""``create_app``: the FC backend as one ASGI application.

Why the scheduler is a parameter: the API only needs an object with the Scheduler API of
ARCHITECTURE.md (invoke, evict, instances, add_listener, set_provisioned, start, close). Tests
pass a small fake; by default we build the real scheduler with the available instance drivers.
Other parts of the backend reach the running app through ``app.state``: ``fc`` (BackendState),
``async_submit`` (optional hook for async invocations), ``background_tasks``, ``driver_info``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from fcbackend import fc3
from fcbackend.api.auth import FcRequestMiddleware, invoke_path_params
from fcbackend.api.errors import FcError, error_body
from fcbackend.api.http import custom_domain_host, json_response, request_id
from fcbackend.api.routes import all_routes
from fcbackend.api.state import BackendState, UnavailableScheduler
from fcbackend.backend_config import BackendConfig
from fcbackend.clock import DEFAULT_CLOCK, Clock
from fcbackend.fc3.invoke import Fc3Front, invoke_function_name
from fcbackend.ram.wiring import build_identity
from fcbackend.store import CodeStore, InvocationRecorder
from fcbackend.store_factory import (
    backend_databases,
    open_code_contents,
    open_invocation_log,
    open_metadata_store,
    open_ram_store,
    shared_root_credentials,
)

_log = logging.getLogger("fcbackend")

# "module:function" called with the app after it is built: add-ons built by other parts of the
# backend (async queue, triggers, OSS, capacity) wire their hooks, routes and lifespans in here.
# The cloud twins and the gateway first: they hand the instance drivers their network before the
# async queue's idle mode wraps the drivers.
APP_INSTALLERS: list[str] = [
    "fcbackend.twins:install",
    "fcbackend.asyncq.addon:install",
    "fcbackend.roscallbacks.wiring:install",
    "fcbackend.apigateway.routes:install",
    "fcbackend.nas.routes:install",
]


def default_scheduler(config: BackendConfig) -> Any:
    """The real scheduler with this machine's drivers, or a stand-in explaining why functions
    cannot run. Raises ValueError when ``config.driver`` names a driver that cannot run here."""
    try:
        from fcbackend.scheduler import Scheduler, SchedulerConfig, build_default_drivers
    except ImportError as exc:
        return UnavailableScheduler(f"the scheduler cannot be imported ({exc})")
    drivers, default = build_default_drivers(config.state_dir, config.driver)
    return Scheduler(drivers, default_driver=default, config=SchedulerConfig(), state_dir=config.state_dir)


def driver_info(scheduler: Any, config: BackendConfig) -> dict[str, Any]:
    """What ``ros fc status`` shows: the driver in use and whether functions are isolated."""
    drivers = getattr(scheduler, "drivers", None) or {}
    name = getattr(scheduler, "default_driver", None) or config.driver or ""
    report: dict[str, Any] = {}
    for driver_name, driver in drivers.items():
        try:
            ok, note = driver.available()
        except Exception as exc:  # a broken driver must not break status
            ok, note = False, str(exc)
        report[driver_name] = {"available": ok, "note": note}
    chosen = report.get(name, {})
    if isinstance(scheduler, UnavailableScheduler):
        return {"driver": "none", "isolated": False, "note": scheduler.reason, "drivers": report}
    return {
        "driver": name or "unknown",
        "isolated": name in ("sandbox", "docker") and bool(chosen.get("available", False)),
        "note": chosen.get("note", ""),
        "drivers": report,
    }


async def _fc_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FcError)
    response = json_response(request, error_body(exc.code, exc.message, request_id(request)), exc.status)
    response.headers.update(exc.headers)
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
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


def _install_addons(app: Starlette) -> None:
    for target in APP_INSTALLERS:
        module_name, _, func_name = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that add-on is not built yet
            raise
        getattr(module, func_name)(app)


def create_app(
    config: BackendConfig | None = None,
    *,
    scheduler: Any = None,
    extra_routes: list[BaseRoute] | None = None,
    addons: bool = True,
    clock: Clock = DEFAULT_CLOCK,
) -> Starlette:
    """Build the backend app for ``config`` (default: the ``$ROS_HOME/fc`` state directory).

    ``addons=False`` leaves out the add-ons of :data:`APP_INSTALLERS` (async queue, triggers,
    OSS, capacity): the bare FC API, for tests of the API itself. ``clock`` dates STS
    credentials (tests move a manual one past their expiry).
    """
    config = config or BackendConfig.for_state_dir()
    config.state_dir.mkdir(parents=True, exist_ok=True)
    databases = backend_databases(config)
    meta = open_metadata_store(databases)
    if databases.url is not None and databases.url.scheme != "sqlite":  # one service, one key pair
        config.access_key_id, config.access_key_secret = shared_root_credentials(
            meta, config.access_key_id, config.access_key_secret
        )
    code = CodeStore(config.state_dir, meta, open_code_contents(databases))
    recorder = InvocationRecorder(open_invocation_log(databases), config.logs_dir, config.flush_interval_s)
    if scheduler is None:
        scheduler = default_scheduler(config)
    # RAM/STS: knows every key (the backend's pair is the account's root), authorizes every
    # request, mints role credentials for functions; its RPC endpoint is mounted last (outermost).
    identity = build_identity(
        open_ram_store(databases),
        account_id=config.account_id,
        root_access_key_id=config.access_key_id,
        root_access_key_secret=config.access_key_secret,
        clock=clock,
        signatures_required=config.auth,
    )
    state = BackendState(
        config=config,
        databases=databases,
        meta=meta,
        code=code,
        recorder=recorder,
        scheduler=scheduler,
        access=identity.access,
        role_credentials=identity.function_credentials,
        now=clock.time,
    )
    add_listener = getattr(scheduler, "add_listener", None)
    if add_listener is not None:
        add_listener(recorder.record)
    add_log_listener = getattr(scheduler, "add_log_listener", None)
    # lifecycle hooks' output goes to the function log (docs/reference/fc-runtime.md#lifecycle-hooks)
    if add_log_listener is not None:
        add_log_listener(lambda spec, data: recorder.append_log(spec.service, spec.function, data))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        recorder.start()
        await scheduler.start()
        try:
            yield
        finally:
            tasks = list(app.state.background_tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                await scheduler.close()
            finally:
                recorder.close()
                identity.close()

    app = FcApp(
        routes=all_routes(extra_routes),
        middleware=[Middleware(FcRequestMiddleware, config=config, access=identity.access)],
        exception_handlers={FcError: _fc_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.fc_front = FcRequestMiddleware(app.router, config, identity.access)
    app.state.fc = state
    app.state.background_tasks = set()
    app.state.driver_info = driver_info(scheduler, config)
    app.state.identity = identity
    fc3.install(app)  # the FC 3.0 (2023-03-30) API on the same state
    if addons:  # async queue, triggers, OSS, capacity: each wires itself in (APP_INSTALLERS)
        _install_addons(app)
    identity.mount(app)
    return app
