"""Starting the local FC backend: the CLI's job, never a client's or the engine's.

Why here: the backend is a separate process (``fcbackend``) that keeps serving after the command
exits; only ``ros`` commands decide to start it. Clients and the engine only find a running one
(``ROS_FC_ENDPOINT`` or ``backend.json``) and otherwise fail with "no FC backend is running".
"""

from __future__ import annotations

import os
from collections.abc import Callable

from backend_contract.backend_info import read_backend_info

_HEALTH_TIMEOUT_S = 3.0  # as long as start_daemon waits for a running backend to answer


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
    running = _answering_backend()
    if running is not None:
        return running
    # Loading the backend's server code (uvicorn, every twin) costs more than most stack commands.
    from fcbackend.server import start_daemon

    info, started = start_daemon()  # returns the running backend without starting one
    if started and echo is not None:
        echo(f"Started the local FC backend at {info['endpoint']} (pid {info['pid']}).")
    return str(info["endpoint"])


def _answering_backend() -> str | None:
    """The endpoint in ``backend.json`` when its process lives and answers its health check: the
    common case, found without the server's code. Anything else (no backend, a stale file, one
    starting or not answering) is left to ``start_daemon``, which sorts it out under its lock."""
    info = read_backend_info()
    if info is None:
        return None
    pid, endpoint = int(info.get("pid") or 0), str(info.get("endpoint") or "")
    if not pid or not endpoint:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user
    import httpx  # only when a backend is recorded: commands that never need one stay light

    from rosengine.clients.fc import API_VERSION
    from rosengine.clients.transport import http_transport

    try:
        with httpx.Client(transport=http_transport(endpoint), timeout=_HEALTH_TIMEOUT_S) as client:
            answered = client.get(f"{endpoint}/{API_VERSION}/local/health")
    except httpx.HTTPError:
        return None
    return endpoint if answered.status_code == 200 else None
