"""Control routes (signed like the FC API) the API Gateway record providers publish through, and
the wiring of the package into the app (named in ``fcbackend.app.APP_INSTALLERS``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fcbackend.apigateway.front import ApiGatewayFront
from fcbackend.apigateway.store import Api, ApiGatewayStore, Group
from fcbackend.store_factory import open_apigateway_store

CONTROL = "/2016-08-15/local/apigateway"


def _store(request: Request) -> ApiGatewayStore:
    return request.app.state.apigateway_store


def _answer(status: int, data: Any = None) -> Response:
    body = b"" if data is None else json.dumps(data).encode()
    return Response(body, status_code=status, headers={"content-type": "application/json"})


async def _fields(request: Request, *names: str) -> dict[str, str] | Response:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        return _answer(400, {"Code": "InvalidJSON", "Message": f"the body is not JSON: {exc}"})
    missing = [n for n in names if not isinstance(data.get(n), str) or not data.get(n)]
    if not isinstance(data, dict) or missing:
        return _answer(
            400, {"Code": "MissingParameter", "Message": f"required: {', '.join(missing or names)}"}
        )
    return {n: str(data[n]) for n in names}


async def put_group(request: Request) -> Response:
    found = await _fields(request, "GroupName", "SubDomain")
    if isinstance(found, Response):
        return found
    _store(request).put_group(Group(request.path_params["id"], found["GroupName"], found["SubDomain"]))
    return _answer(204)


async def delete_group(request: Request) -> Response:
    _store(request).delete_group(request.path_params["id"])
    return _answer(204)


async def put_api(request: Request) -> Response:
    found = await _fields(request, "GroupId", "ApiName", "Method", "Path", "ServiceName", "FunctionName")
    if isinstance(found, Response):
        return found
    data = json.loads(await request.body())
    _store(request).put_api(
        Api(
            request.path_params["id"],
            found["GroupId"],
            found["ApiName"],
            found["Method"].upper(),
            found["Path"],
            found["ServiceName"],
            found["FunctionName"],
            str(data.get("Qualifier") or ""),
        )
    )
    return _answer(204)


async def delete_api(request: Request) -> Response:
    _store(request).delete_api(request.path_params["id"])
    return _answer(204)


async def put_deployment(request: Request) -> Response:
    p = request.path_params
    _store(request).deploy(p["group"], p["stage"].upper(), p["api"])
    return _answer(204)


async def delete_deployment(request: Request) -> Response:
    p = request.path_params
    _store(request).undeploy(p["group"], p["stage"].upper(), p["api"])
    return _answer(204)


def routes() -> list[BaseRoute]:
    deployment = f"{CONTROL}/deployments/{{group}}/{{stage}}/{{api}}"
    return [
        Route(f"{CONTROL}/groups/{{id}}", put_group, methods=["PUT"]),
        Route(f"{CONTROL}/groups/{{id}}", delete_group, methods=["DELETE"]),
        Route(f"{CONTROL}/apis/{{id}}", put_api, methods=["PUT"]),
        Route(f"{CONTROL}/apis/{{id}}", delete_api, methods=["DELETE"]),
        Route(deployment, put_deployment, methods=["PUT"]),
        Route(deployment, delete_deployment, methods=["DELETE"]),
    ]


def install(app: Starlette) -> None:
    store = open_apigateway_store(app.state.fc.databases)
    app.state.apigateway_store = store
    app.router.routes[0:0] = routes()
    app.add_middleware(ApiGatewayFront, store=lambda: app.state.apigateway_store, state=lambda: app.state.fc)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(scope_app) as state:
                yield state
        finally:
            store.close()

    app.router.lifespan_context = lifespan
