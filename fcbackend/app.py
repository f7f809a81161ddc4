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

from fcbackend.api.auth import FcRequestMiddleware
from fcbackend.api.errors import FcError, error_body
from fcbackend.api.http import json_response, request_id
from fcbackend.api.routes import all_routes
from fcbackend.api.state import BackendState, UnavailableScheduler
from fcbackend.config import BackendConfig
from fcbackend.store import CodeStore, InvocationRecorder, MetadataStore

_log = logging.getLogger("fcbackend")
# Modules exposing install(app) (called last in create_app): the async queue, triggers, the local
# object store and capacity management (fcbackend/asyncq/addon.py).
APP_EXTENSIONS: list[str] = ["fcbackend.asyncq.addon"]


def _drivers() -> dict[str, Any]:
    """Every instance driver the drivers package offers (best effort: it is built separately)."""
    try:
        import fcbackend.instances as instances
    except ImportError:
        return {}
    for factory_name in ("all_drivers", "available_drivers", "build_drivers", "default_drivers"):
        factory = getattr(instances, factory_name, None)
        if callable(factory):
            found = factory()
            return dict(found) if isinstance(found, dict) else {d.name: d for d in found}
    return {}


def default_scheduler(config: BackendConfig) -> Any:
    """The real scheduler, or a stand-in that explains why functions cannot run."""
    try:
        import fcbackend.scheduler as scheduler_pkg
    except ImportError as exc:
        return UnavailableScheduler(f"the scheduler package cannot be imported ({exc})")
    factory = getattr(scheduler_pkg, "create_scheduler", None)
    if callable(factory):
        return factory(state_dir=config.state_dir, driver=config.driver)
    scheduler_cls = getattr(scheduler_pkg, "Scheduler", None)
    config_cls = getattr(scheduler_pkg, "SchedulerConfig", None)
    if scheduler_cls is None or config_cls is None:
        return UnavailableScheduler("no scheduler is installed in this build")
    drivers = _drivers()
    if not drivers:
        return UnavailableScheduler("no instance drivers are installed in this build")
    default = config.driver or next(
        (n for n in ("sandbox", "process") if n in drivers and drivers[n].available()[0]), next(iter(drivers))
    )
    return scheduler_cls(drivers, default_driver=default, config=config_cls(), state_dir=config.state_dir)


def driver_info(scheduler: Any, config: BackendConfig) -> dict[str, Any]:
    """What ``ros fc status`` shows: the driver in use and whether functions are isolated."""
    drivers = getattr(scheduler, "drivers", None) or {}
    name = config.driver or getattr(scheduler, "default_driver", None) or ""
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


def create_app(
    config: BackendConfig | None = None, *, scheduler: Any = None,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    """Build the backend app for ``config`` (default: the ``$ROS_HOME/fc`` state directory)."""
    config = config or BackendConfig.for_state_dir()
    config.state_dir.mkdir(parents=True, exist_ok=True)
    meta = MetadataStore(config.db_path)
    code = CodeStore(config.state_dir, meta)
    recorder = InvocationRecorder(meta, config.logs_dir, config.flush_interval_s)
    if scheduler is None:
        scheduler = default_scheduler(config)
    state = BackendState(config=config, meta=meta, code=code, recorder=recorder, scheduler=scheduler)
    add_listener = getattr(scheduler, "add_listener", None)
    if add_listener is not None:
        add_listener(recorder.record)

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

    app = Starlette(
        routes=all_routes(extra_routes),
        middleware=[Middleware(FcRequestMiddleware, config=config)],
        exception_handlers={FcError: _fc_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.fc = state
    app.state.background_tasks = set()
    app.state.driver_info = driver_info(scheduler, config)
    for name in APP_EXTENSIONS:  # async queue, triggers, OSS, capacity: each wires itself in
        importlib.import_module(name).install(app)
    return app
