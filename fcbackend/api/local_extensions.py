"""rosengine's own ``/local/`` extensions of the FC API, used by ``ros fc`` (health, status, every
instance, invocation records, logs).

The ``/local/`` paths are not part of FC; they live under the API prefix so one endpoint and one
signing scheme serve both (``/local/health`` answers unsigned so liveness checks need no secret).
"""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.account import scheduler_instances
from fcbackend.api.http import backend, int_param, json_response, request_id
from fcbackend.twins import cloud_info

P = "/2016-08-15"


async def health(request: Request) -> Response:
    return json_response(request, {"status": "ok", "pid": os.getpid()})


async def status(request: Request) -> Response:
    state = backend(request)
    info = dict(getattr(request.app.state, "driver_info", {}) or {})
    return json_response(
        request,
        {
            "pid": os.getpid(),
            "stateDir": str(state.config.state_dir),
            "auth": state.config.auth,
            "region": state.config.region,
            "accountId": state.config.account_id,
            **info,
            **cloud_info(request.app),
        },
    )


async def local_instances(request: Request) -> Response:
    return json_response(request, {"instances": scheduler_instances(request)})


async def local_invocations(request: Request) -> Response:
    state = backend(request)
    limit = int_param(request, "limit", 100, low=1, high=10000) or 100
    records = state.recorder.query(
        request.query_params.get("serviceName") or None,
        request.query_params.get("functionName") or None,
        limit,
    )
    return json_response(request, {"invocations": records})


async def local_logs(request: Request) -> Response:
    state = backend(request)
    offset = int_param(request, "offset", 0, low=-(1 << 40), high=1 << 50) or 0
    data, next_offset = state.recorder.read_log(
        request.path_params["service"], request.path_params["function"], offset
    )
    return Response(
        data,
        headers={
            "content-type": "text/plain; charset=utf-8",
            "x-fc-request-id": request_id(request),
            "x-rosengine-log-offset": str(next_offset),
        },
    )


ROUTES = [
    Route(f"{P}/local/health", health, methods=["GET"]),
    Route(f"{P}/local/status", status, methods=["GET"]),
    Route(f"{P}/local/instances", local_instances, methods=["GET"]),
    Route(f"{P}/local/invocations", local_invocations, methods=["GET"]),
    Route(f"{P}/local/logs/{{service}}/{{function}}", local_logs, methods=["GET"]),
]
