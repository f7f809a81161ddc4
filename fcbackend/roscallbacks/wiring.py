"""Wires the ROS callbacks service into the backend app (named in ``fcbackend.app.APP_INSTALLERS``):
its store in the backend's databases, the service on ``app.state.ros_callbacks``, its routes first
in the route table (their paths are its own; nothing else answers them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette

from fcbackend.roscallbacks.routes import routes
from fcbackend.roscallbacks.service import HANDLE_PATH, RESPONSE_PATH, RosCallbacks
from fcbackend.store_factory import open_callback_store


def install(app: Starlette) -> None:
    store = open_callback_store(app.state.fc.databases)
    callbacks = RosCallbacks(store)
    app.state.ros_callbacks = callbacks
    app.router.routes[0:0] = routes()
    _reach_through_gateway(app, callbacks)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(scope_app) as state:
                yield state
        finally:
            store.close()

    app.router.lifespan_context = lifespan


def _reach_through_gateway(app: Starlette, callbacks: RosCallbacks) -> None:
    """Handle and response URLs on the gateway's own address when it listens there: the backend's
    endpoint is on this machine's loopback, which a function with a network of its own
    (internetAccess false) or in a container cannot reach, while the gateway's address answers in
    every one of those networks and on this machine too. Without the gateway's listeners (not
    root), the URLs stay on the endpoint they were asked at."""
    cloud = getattr(app.state, "cloud_twins", None)  # None: an app built without the twins
    if cloud is None or cloud.gateway.own_url is None:
        return
    for prefix in (HANDLE_PATH, RESPONSE_PATH):
        cloud.twins.add_local_path(prefix, app)
    callbacks.set_public_base(cloud.gateway.own_url)
