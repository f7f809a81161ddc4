"""Starting the local FC backend: the CLI's job, never a client's or the engine's.

Why here: the backend is a separate process (``fcbackend``) that keeps serving after the command
exits; only ``ros`` commands decide to start it. Clients and the engine only find a running one
(``ROS_FC_ENDPOINT`` or ``backend.json``) and otherwise fail with "no FC backend is running".
"""

from __future__ import annotations

import os
from collections.abc import Callable


def ensure_local_backend(*, echo: Callable[[str], None] | None = None) -> str:
    """The endpoint of a backend to use, starting the local daemon when none is running.

    ``ROS_FC_ENDPOINT`` wins. Safe when several processes call it at once: starting is serialised
    by a lock file, and the second caller finds the first one's daemon. A backend that is alive but
    does not answer in time (busy) is reported (``fcbackend.server.BackendNotAnswering``: "the FC
    backend (pid N) is not answering"), never joined by a second backend on the same state dir.
    """
    endpoint = os.environ.get("ROS_FC_ENDPOINT")
    if endpoint:
        return endpoint
    from fcbackend.server import start_daemon  # the backend's code is loaded only to start it

    info, started = start_daemon()  # returns the running backend without starting one
    if started and echo is not None:
        echo(f"Started the local FC backend at {info['endpoint']} (pid {info['pid']}).")
    return str(info["endpoint"])
