"""Triggers: stored and validated per type; :mod:`fcbackend.triggers` fires them (it follows
changes through ``BackendState.on_trigger_change``). ``triggerConfig`` is echoed exactly;
``sourceArn`` is null for http triggers; http triggers get URLs pointing at this backend's
``/proxy/`` path, computed from the address the caller used (so they survive port changes)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend_contract.trigger_config import TRIGGER_TYPES
from backend_contract.trigger_config import validate_trigger_config as trigger_config_errors
from fcbackend.api.errors import FcError, conflict, invalid, not_found
from fcbackend.api.http import (
    backend,
    check_if_match,
    check_name,
    empty_response,
    json_response,
    make_etag,
    now_iso,
    read_json,
    touch,
    typed,
)
from fcbackend.api.pagination import page, with_token
from fcbackend.api.state import LATEST, TRIGGER, BackendState, public

P = "/2016-08-15"


def validate_trigger_config(trigger_type: str, config: Any) -> None:
    """400 unless ``config`` suits ``trigger_type``. The rules live in
    :mod:`backend_contract.trigger_config`, shared with ``ros validate``, so the API and templates
    refuse the same configs; here every problem is named in one message. Unlike templates, the
    API takes the config as an object only (no JSON string), as FC's API does."""
    if trigger_type in TRIGGER_TYPES and not isinstance(config, dict):
        raise invalid(
            f"triggerConfig must be an object for a {trigger_type} trigger, got {type(config).__name__}"
        )
    errors = trigger_config_errors(trigger_type, config)
    if errors:
        raise invalid("; ".join(errors))


def _scope(service: str, function: str) -> str:
    return f"{service}/{function}"


def _check_qualifier(state: BackendState, service: str, qualifier: Any) -> str | None:
    if qualifier is None or qualifier == "":
        return None
    if not isinstance(qualifier, str):
        raise invalid("qualifier must be a string (version id, alias or LATEST)")
    if qualifier != LATEST:
        state.resolve_qualifier(service, qualifier)
    return qualifier


def _view(request: Request, doc: dict[str, Any], service: str, function: str) -> dict[str, Any]:
    out = public(doc)
    if doc["triggerType"] == "http":
        base = f"{request.url.scheme}://{request.url.netloc}"
        svc = f"{service}.{doc['qualifier']}" if doc.get("qualifier") else service
        url = f"{base}{P}/proxy/{svc}/{function}/"
        out["urlInternet"] = url
        out["urlIntranet"] = url
    return out


def _respond(request: Request, doc: dict[str, Any], service: str, function: str) -> Response:
    return json_response(request, _view(request, doc, service, function), etag=doc.get("_etag"))


async def create_trigger(request: Request) -> Response:
    state = backend(request)
    service, function = request.path_params["service"], request.path_params["function"]
    body = await read_json(request)
    name = check_name("triggerName", body.get("triggerName"))
    trigger_type = typed(body, "triggerType", str, "a string")
    if not trigger_type:
        raise invalid("triggerType is required")
    config = body.get("triggerConfig")
    if config is None:
        raise invalid("triggerConfig is required")
    validate_trigger_config(trigger_type, config)
    qualifier = _check_qualifier(state, service, body.get("qualifier"))
    now = now_iso()
    doc: dict[str, Any] = {
        "triggerId": str(uuid.uuid4()),
        "triggerName": name,
        "description": typed(body, "description", str, "a string") or "",
        "triggerType": trigger_type,
        "triggerConfig": config,
        "sourceArn": None if trigger_type in ("http", "timer") else typed(body, "sourceArn", str, "a string"),
        "invocationRole": typed(body, "invocationRole", str, "a string") or "",
        "qualifier": qualifier or "",
        "urlInternet": "",
        "urlIntranet": "",
        "domainName": "",
        "createdTime": now,
        "lastModifiedTime": now,
    }
    if trigger_type == "timer" and body.get("sourceArn"):
        doc["sourceArn"] = body["sourceArn"]
    doc["_etag"] = make_etag(doc)
    with state.meta.transaction():
        state.latest_function_doc(service, function)
        if trigger_type == "http":
            for _, other, data in state.meta.list(TRIGGER, _scope(service, function)):
                if data["triggerType"] == "http" and (data.get("qualifier") or "") == (qualifier or ""):
                    raise conflict(
                        "TriggerAlreadyExists",
                        f"function '{function}' already has an http trigger ('{other}')",
                    )
        if not state.meta.insert(TRIGGER, _scope(service, function), name, doc):
            raise conflict(
                "TriggerAlreadyExists", f"trigger '{name}' already exists on function '{function}'"
            )
    await state.trigger_changed(service, function, name, doc)
    return _respond(request, doc, service, function)


def _load(state: BackendState, service: str, function: str, name: str) -> dict[str, Any]:
    doc = state.meta.get(TRIGGER, _scope(service, function), name)
    if doc is None:
        state.latest_function_doc(service, function)
        raise not_found(
            "TriggerNotFound", f"trigger '{name}' does not exist on function '{service}/{function}'"
        )
    return doc


async def get_trigger(request: Request) -> Response:
    state = backend(request)
    p = request.path_params
    return _respond(
        request, _load(state, p["service"], p["function"], p["trigger"]), p["service"], p["function"]
    )


async def list_triggers(request: Request) -> Response:
    state = backend(request)
    service, function = request.path_params["service"], request.path_params["function"]
    state.latest_function_doc(service, function)
    items, token = page(request, state.meta, TRIGGER, _scope(service, function))
    return json_response(
        request, with_token({"triggers": [_view(request, d, service, function) for d in items]}, token)
    )


async def update_trigger(request: Request) -> Response:
    state = backend(request)
    p = request.path_params
    service, function, name = p["service"], p["function"], p["trigger"]
    body = await read_json(request)
    with state.meta.transaction():
        doc = _load(state, service, function, name)
        check_if_match(request, doc["_etag"])
        if body.get("triggerConfig") is not None:
            validate_trigger_config(doc["triggerType"], body["triggerConfig"])
            doc["triggerConfig"] = body["triggerConfig"]
        for key in ("description", "invocationRole"):
            value = typed(body, key, str, "a string")
            if value is not None:
                doc[key] = value
        if "qualifier" in body:
            doc["qualifier"] = _check_qualifier(state, service, body.get("qualifier")) or ""
        touch(doc)
        state.meta.put(TRIGGER, _scope(service, function), name, doc)
    await state.trigger_changed(service, function, name, doc)
    return _respond(request, doc, service, function)


async def delete_trigger(request: Request) -> Response:
    state = backend(request)
    p = request.path_params
    service, function, name = p["service"], p["function"], p["trigger"]
    with state.meta.transaction():
        doc = _load(state, service, function, name)
        check_if_match(request, doc["_etag"])
        if not state.meta.delete(TRIGGER, _scope(service, function), name):
            raise FcError(409, "ConcurrentUpdateError", "the trigger was deleted concurrently")
    await state.trigger_changed(service, function, name, None)
    return empty_response(request)


_BASE = f"{P}/services/{{service}}/functions/{{function}}/triggers"
ROUTES = [
    Route(_BASE, create_trigger, methods=["POST"]),
    Route(_BASE, list_triggers, methods=["GET"]),
    Route(f"{_BASE}/{{trigger}}", get_trigger, methods=["GET"]),
    Route(f"{_BASE}/{{trigger}}", update_trigger, methods=["PUT"]),
    Route(f"{_BASE}/{{trigger}}", delete_trigger, methods=["DELETE"]),
]
