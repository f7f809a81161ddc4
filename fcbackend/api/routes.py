"""The route table of the FC API and the registry other parts of the backend extend it through.

Why a registry: the async queue, HTTP triggers and custom domains are built separately. Each such
module exposes ``ROUTES`` (a list of Starlette routes) and is named in
:data:`EXTRA_ROUTE_MODULES`; :func:`all_routes` appends them after the core FC routes, so a
catch-all route (custom domains) never shadows an API path. ``create_app(extra_routes=...)`` adds
more for a single app (tests).
"""

from __future__ import annotations

import importlib
import logging

from starlette.routing import BaseRoute

from fcbackend.api import (
    account,
    configs,
    domains,
    functions,
    instance_exec,
    invoke,
    layers,
    local_extensions,
    services,
    tags,
    triggers,
    versions,
)

# Modules (dotted names) exposing ROUTES; missing modules are skipped until they exist.
EXTRA_ROUTE_MODULES: list[str] = [
    "fcbackend.asyncq.routes",
    "fcbackend.triggers.routes",
]
_log = logging.getLogger("fcbackend.api")


def core_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    # invoke first: it is the hot path and the router tries routes in order.
    for module in (
        invoke,
        services,
        functions,
        triggers,
        versions,
        layers,
        configs,
        domains,
        tags,
        account,
        local_extensions,
        instance_exec,
    ):
        routes.extend(module.ROUTES)
    return routes


def extra_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in EXTRA_ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name or (exc.name and name.startswith(exc.name + ".")):
                continue
            raise
        routes.extend(getattr(module, "ROUTES", []))
    return routes


def all_routes(extra: list[BaseRoute] | None = None) -> list[BaseRoute]:
    return core_routes() + extra_routes() + list(extra or [])
