"""Wires the ROS callbacks service into the backend app (named in ``fcbackend.app.APP_INSTALLERS``):
its store in the backend's databases, the service on ``app.state.ros_callbacks``, its routes first
in the route table (their paths are its own; nothing else answers them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette

from fcbackend.roscallbacks.routes import routes
from fcbackend.roscallbacks.service import RosCallbacks
from fcbackend.store_factory import open_callback_store


def install(app: Starlette) -> None:
    store = open_callback_store(app.state.fc.databases)
    app.state.ros_callbacks = RosCallbacks(store)
    app.router.routes[0:0] = routes()
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(scope_app) as state:
                yield state
        finally:
            store.close()

    app.router.lifespan_context = lifespan
