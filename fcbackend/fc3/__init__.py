"""Function Compute 3.0: the 2023-03-30 REST API on the same backend, store, scheduler, async
queue, triggers and capacity management as FC 2.0.

How FC 3.0's service-less functions fit the shared store: :mod:`fcbackend.fc3.names`. The API:
:mod:`fcbackend.fc3.routes` (raw-path router), one module per resource. :func:`install` composes
it into the backend app (``fcbackend.app.create_app`` calls it).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Mount


def install(app: Any) -> None:
    """Mount the FC 3.0 API at ``/2023-03-30`` and put its invoke path in front of the app."""
    from fcbackend.fc3.invoke import Fc3Front, InvocationGate
    from fcbackend.fc3.routes import PREFIX, ROUTES, Fc3Router

    # First: one prefix check for FC 2.0 requests, instead of FC 3.0 ones trying every 2.0 route.
    app.router.routes.insert(0, Mount(PREFIX, app=Fc3Router(ROUTES)))
    app.state.fc3_gate = InvocationGate()
    app.fc3_front = Fc3Front(app.state.fc.config)
