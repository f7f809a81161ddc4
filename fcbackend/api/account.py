"""Account-level reads of the FC API (account settings, reserved capacities) and the listing of a
function's instances.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.http import backend, function_target, int_param, json_response
from fcbackend.api.state import LATEST

P = "/2016-08-15"


async def account_settings(request: Request) -> Response:
    cfg = backend(request).config
    return json_response(
        request,
        {
            "availableAZs": [f"{cfg.region}-a", f"{cfg.region}-b"],
            "defaultRole": f"acs:ram::{cfg.account_id}:role/aliyunfcdefaultrole",
        },
    )


async def reserved_capacities(request: Request) -> Response:
    return json_response(request, {"reservedCapacities": []})


def scheduler_instances(request: Request) -> list[dict[str, Any]]:
    """Every instance the scheduler holds, as :meth:`Scheduler.instances` describes them."""
    return list(backend(request).scheduler.instances())


async def list_instances(request: Request) -> Response:
    state, service, function, qualifier = function_target(request)
    version = state.resolve_qualifier(service, qualifier) if qualifier and qualifier != LATEST else None
    wanted = set(request.query_params.getlist("instanceIds"))
    limit = int_param(request, "limit", 1000, low=1, high=100000) or 1000
    out = []
    for inst in scheduler_instances(request):
        if inst.get("service") != service or inst.get("function") != function:
            continue
        if version is not None and str(inst.get("version")) != version:
            continue
        if wanted and inst.get("id") not in wanted:
            continue
        out.append({"instanceId": inst.get("id"), "versionId": str(inst.get("version", LATEST))})
    return json_response(request, {"instances": out[:limit]})


ROUTES = [
    Route(f"{P}/account-settings", account_settings, methods=["GET"]),
    Route(f"{P}/reservedCapacities", reserved_capacities, methods=["GET"]),
    Route(f"{P}/services/{{service}}/functions/{{function}}/instances", list_instances, methods=["GET"]),
]
