"""Control routes of the NAS twin (signed like the FC API) and its wiring into the app (named in
``fcbackend.app.APP_INSTALLERS``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fcbackend.nas.service import NasError, NasService
from fcbackend.store_factory import open_nas_store

CONTROL = "/2016-08-15/local/nas/file-systems"


def _service(request: Request) -> NasService:
    return request.app.state.nas


def _answer(status: int, data: Any = None) -> Response:
    body = b"" if data is None else json.dumps(data).encode()
    return Response(body, status_code=status, headers={"content-type": "application/json"})


def _error(exc: NasError) -> Response:
    return _answer(exc.status, {"Code": exc.code, "Message": exc.message})


async def create(request: Request) -> Response:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        return _answer(400, {"Code": "InvalidJSON", "Message": f"the body is not JSON: {exc}"})
    if not isinstance(data, dict):
        return _answer(400, {"Code": "InvalidJSON", "Message": "the body must be a JSON object"})
    return _answer(200, _service(request).create(data))


async def list_all(request: Request) -> Response:
    return _answer(200, {"FileSystems": _service(request).list()})


async def describe(request: Request) -> Response:
    try:
        return _answer(200, _service(request).describe(request.path_params["id"]))
    except NasError as exc:
        return _error(exc)


async def delete(request: Request) -> Response:
    try:
        _service(request).delete(request.path_params["id"])
    except NasError as exc:
        return _error(exc)
    return _answer(204)


def routes() -> list[BaseRoute]:
    return [
        Route(CONTROL, create, methods=["POST"]),
        Route(CONTROL, list_all, methods=["GET"]),
        Route(f"{CONTROL}/{{id}}", describe, methods=["GET"]),
        Route(f"{CONTROL}/{{id}}", delete, methods=["DELETE"]),
    ]


def install(app: Starlette) -> None:
    fc = app.state.fc
    service = NasService(fc.config.state_dir, open_nas_store(fc.databases))
    app.state.nas = service
    app.router.routes[0:0] = routes()
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(scope_app) as state:
                yield state
        finally:
            service.close()

    app.router.lifespan_context = lifespan
