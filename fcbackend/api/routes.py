"""The route table of the FC 2.0 API.

The backend's whole route table (these, then the async queue's and the triggers' routes, so a
catch-all route of custom domains never shadows an API path) is put together by
:func:`fcbackend.composition.backend_routes`.
"""

from __future__ import annotations

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
