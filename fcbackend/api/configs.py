"""Per-function configs keyed by qualifier: provisioned instances, on-demand limits and async
invoke settings (docs/reference/fc-api.md#async-invoke-config, #provisioned-and-on-demand-instances). Stored
under scope ``<service>`` and name ``<function>@<qualifier>``.

Provisioning is applied in the background through ``scheduler.set_provisioned`` (starting instances
can take seconds); ``current``/``currentError`` report how that went. Async invoke config keys are
matched case-insensitively on input (the SDK's own tests send PascalCase) and returned camelCase.

Deleting an on-demand or async invoke config that does not exist is a 404 (``OnDemandConfigNotFound``,
``AsyncConfigNotExists``, the codes GET already answers), like deleting a missing trigger or alias.
FC documents no delete error codes for these: the names are our choice, reused from GET
(docs/reference/fc-api.md#async-invoke-config).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.errors import invalid, not_found
from fcbackend.api.http import backend, empty_response, function_target, json_response, now_iso, read_json
from fcbackend.api.pagination import page_of_list, with_token
from fcbackend.api.state import (
    ALIAS,
    ASYNC_CONFIG,
    LATEST,
    ON_DEMAND,
    PROVISION,
    BackendState,
    public,
)

P = "/2016-08-15"
_log = logging.getLogger("fcbackend.api")


def config_key(function: str, qualifier: str) -> str:
    return f"{function}@{qualifier}"


def _alias_or_latest_target(request: Request) -> tuple[BackendState, str, str, str]:
    """``function_target`` for the configs that only an alias or LATEST may carry."""
    state, service, function, qualifier = function_target(request)
    if not qualifier:
        raise invalid("a qualifier is required in the path: /services/<service>.<alias|LATEST>/functions/...")
    if qualifier != LATEST and state.meta.get(ALIAS, service, qualifier) is None:
        raise not_found(
            "AliasNotFound",
            f"alias '{qualifier}' of service '{service}' does not exist "
            "(provisioned and on-demand configs take an alias or LATEST)",
        )
    return state, service, function, qualifier


def _int_field(body: dict[str, Any], key: str, low: int, high: int, required: bool = False) -> int | None:
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{key} must be an integer between {low} and {high}, got {value!r}")
    return value


# -- provision config ------------------------------------------------------------------------------


async def _apply_provision(
    state: BackendState, service: str, function: str, qualifier: str, target: int
) -> None:
    key = config_key(function, qualifier)
    error = ""
    try:
        spec = await state.spec_for(service, function, qualifier)
        await state.scheduler.set_provisioned(spec, target)
    except Exception as exc:  # reported through currentError, as FC does
        error = str(getattr(exc, "message", exc))
        _log.warning("provisioning %s/%s@%s failed: %s", service, function, qualifier, error)
    doc = state.meta.get(PROVISION, service, key)
    if doc is not None and doc.get("target") == target:
        doc["current"] = 0 if error else target
        doc["currentError"] = error
        state.meta.put(PROVISION, service, key, doc)


async def put_provision_config(request: Request) -> Response:
    state, service, function, qualifier = _alias_or_latest_target(request)
    body = await read_json(request)
    target = _int_field(body, "target", 0, 10000, required=True)
    assert target is not None
    key = config_key(function, qualifier)
    old = state.meta.get(PROVISION, service, key) or {}
    doc = {
        "resource": f"{state.config.account_id}#{service}#{qualifier}#{function}",
        "target": target,
        "current": old.get("current", 0),
        "currentError": old.get("currentError", ""),
        "scheduledActions": body.get("scheduledActions") or [],
        "targetTrackingPolicies": body.get("targetTrackingPolicies") or [],
        "alwaysAllocateCPU": bool(body.get("alwaysAllocateCPU", True)),
        "alwaysAllocateGPU": bool(body.get("alwaysAllocateGPU", True)),
        "_service": service,
        "_function": function,
        "_qualifier": qualifier,
    }
    state.meta.put(PROVISION, service, key, doc)
    task = asyncio.create_task(_apply_provision(state, service, function, qualifier, target))
    state_tasks = request.app.state.background_tasks
    state_tasks.add(task)
    task.add_done_callback(state_tasks.discard)
    return json_response(request, public(doc))


async def get_provision_config(request: Request) -> Response:
    state, service, function, qualifier = _alias_or_latest_target(request)
    doc = state.meta.get(PROVISION, service, config_key(function, qualifier))
    if doc is None:
        doc = {
            "resource": f"{state.config.account_id}#{service}#{qualifier}#{function}",
            "target": 0,
            "current": 0,
            "currentError": "",
            "scheduledActions": [],
            "targetTrackingPolicies": [],
            "alwaysAllocateCPU": True,
            "alwaysAllocateGPU": True,
        }
    return json_response(request, public(doc))


async def delete_provision_config(request: Request) -> Response:
    state, service, function, qualifier = _alias_or_latest_target(request)
    if state.meta.delete(PROVISION, service, config_key(function, qualifier)):
        await _apply_provision(state, service, function, qualifier, 0)
    return empty_response(request)


async def list_provision_configs(request: Request) -> Response:
    state = backend(request)
    service = request.query_params.get("serviceName") or None
    qualifier = request.query_params.get("qualifier") or None
    if qualifier and not service:
        raise invalid("qualifier can only be given together with serviceName")
    docs = [
        d
        for _, _, d in state.meta.list(PROVISION, service)
        if not qualifier or d.get("_qualifier") == qualifier
    ]
    items, token = page_of_list(request, docs, "resource")
    return json_response(request, with_token({"provisionConfigs": [public(d) for d in items]}, token))


# -- on-demand config ------------------------------------------------------------------------------


async def put_on_demand_config(request: Request) -> Response:
    state, service, function, qualifier = _alias_or_latest_target(request)
    body = await read_json(request)
    count = _int_field(body, "maximumInstanceCount", 0, 100000, required=True)
    doc = {"resource": f"services/{service}.{qualifier}/functions/{function}", "maximumInstanceCount": count}
    state.meta.put(ON_DEMAND, service, config_key(function, qualifier), doc)
    state.changed()
    return json_response(request, doc)


async def get_on_demand_config(request: Request) -> Response:
    state, service, function, qualifier = _alias_or_latest_target(request)
    doc = state.meta.get(ON_DEMAND, service, config_key(function, qualifier))
    if doc is None:
        raise not_found("OnDemandConfigNotFound", f"no on-demand config for {service}.{qualifier}/{function}")
    return json_response(request, doc)


async def delete_on_demand_config(request: Request) -> Response:
    state, service, function, qualifier = _alias_or_latest_target(request)
    if not state.meta.delete(ON_DEMAND, service, config_key(function, qualifier)):
        raise not_found("OnDemandConfigNotFound", f"no on-demand config for {service}.{qualifier}/{function}")
    state.changed()
    return empty_response(request)


async def list_on_demand_configs(request: Request) -> Response:
    state = backend(request)
    docs = [d for _, _, d in state.meta.list(ON_DEMAND, None)]
    items, token = page_of_list(request, docs, "resource")
    return json_response(request, with_token({"configs": items} if items else {}, token))


# -- async invoke config ---------------------------------------------------------------------------

_ASYNC_KEYS = {
    k.lower(): k
    for k in (
        "destinationConfig",
        "onSuccess",
        "onFailure",
        "destination",
        "maxAsyncEventAgeInSeconds",
        "maxAsyncRetryAttempts",
        "statefulInvocation",
        "asyncTask",
    )
}


def camel_keys(value: Any) -> Any:
    """Known keys to their camelCase spelling whatever case they came in; others lower-first."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            text = str(key)
            name = _ASYNC_KEYS.get(text.lower(), text[:1].lower() + text[1:])
            out[name] = camel_keys(item)
        return out
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _check_async(body: dict[str, Any]) -> dict[str, Any]:
    _int_field(body, "maxAsyncRetryAttempts", 0, 8)
    _int_field(body, "maxAsyncEventAgeInSeconds", 1, 2592000)
    if body.get("statefulInvocation") is not None and not isinstance(body["statefulInvocation"], bool):
        raise invalid("statefulInvocation must be a boolean")
    dest = body.get("destinationConfig")
    if dest is not None:
        if not isinstance(dest, dict):
            raise invalid("destinationConfig must be an object with onSuccess/onFailure")
        for kind in ("onSuccess", "onFailure"):
            item = dest.get(kind)
            if item is not None and not (isinstance(item, dict) and isinstance(item.get("destination"), str)):
                raise invalid(f'destinationConfig.{kind} must be {{"destination": "<ARN>"}}')
    return body


def get_async_config(
    state: BackendState, service: str, function: str, qualifier: str | None
) -> dict[str, Any] | None:
    """The async invoke config for a qualifier (what the async queue retries and routes by)."""
    return state.meta.get(ASYNC_CONFIG, service, config_key(function, qualifier or LATEST))


async def put_async_invoke_config(request: Request) -> Response:
    state, service, function, qualifier = function_target(request)
    qualifier = qualifier or LATEST
    if qualifier != LATEST:
        state.resolve_qualifier(service, qualifier)
    changes = _check_async(camel_keys(await read_json(request)))
    key = config_key(function, qualifier)
    now = now_iso()
    doc = state.meta.get(ASYNC_CONFIG, service, key) or {
        "service": service,
        "function": function,
        "qualifier": qualifier,
        "createdTime": now,
        "destinationConfig": None,
        "maxAsyncEventAgeInSeconds": None,
        "maxAsyncRetryAttempts": None,
        "statefulInvocation": False,
    }
    for name in (
        "destinationConfig",
        "maxAsyncEventAgeInSeconds",
        "maxAsyncRetryAttempts",
        "statefulInvocation",
    ):
        if name in changes:
            doc[name] = changes[name]
    doc["lastModifiedTime"] = now
    state.meta.put(ASYNC_CONFIG, service, key, doc)
    state.changed()
    return json_response(request, doc)


async def get_async_invoke_config(request: Request) -> Response:
    state, service, function, qualifier = function_target(request)
    doc = get_async_config(state, service, function, qualifier)
    if doc is None:
        raise not_found(
            "AsyncConfigNotExists", f"no async invoke config for {service}.{qualifier or LATEST}/{function}"
        )
    return json_response(request, doc)


async def delete_async_invoke_config(request: Request) -> Response:
    state, service, function, qualifier = function_target(request)
    if not state.meta.delete(ASYNC_CONFIG, service, config_key(function, qualifier or LATEST)):
        raise not_found(
            "AsyncConfigNotExists", f"no async invoke config for {service}.{qualifier or LATEST}/{function}"
        )
    state.changed()
    return empty_response(request)


async def list_async_invoke_configs(request: Request) -> Response:
    state, service, function, _ = function_target(request)
    docs = [d for _, name, d in state.meta.list(ASYNC_CONFIG, service) if name.split("@", 1)[0] == function]
    items, token = page_of_list(request, docs, "qualifier")
    return json_response(request, {"configs": items, "nextToken": token or ""})


_FN = f"{P}/services/{{service}}/functions/{{function}}"
ROUTES = [
    Route(f"{_FN}/provision-config", put_provision_config, methods=["PUT"]),
    Route(f"{_FN}/provision-config", get_provision_config, methods=["GET"]),
    Route(f"{_FN}/provision-config", delete_provision_config, methods=["DELETE"]),
    Route(f"{P}/provision-configs", list_provision_configs, methods=["GET"]),
    Route(f"{_FN}/on-demand-config", put_on_demand_config, methods=["PUT"]),
    Route(f"{_FN}/on-demand-config", get_on_demand_config, methods=["GET"]),
    Route(f"{_FN}/on-demand-config", delete_on_demand_config, methods=["DELETE"]),
    Route(f"{P}/on-demand-configs", list_on_demand_configs, methods=["GET"]),
    Route(f"{_FN}/async-invoke-config", put_async_invoke_config, methods=["PUT"]),
    Route(f"{_FN}/async-invoke-config", get_async_invoke_config, methods=["GET"]),
    Route(f"{_FN}/async-invoke-config", delete_async_invoke_config, methods=["DELETE"]),
    Route(f"{_FN}/async-invoke-configs", list_async_invoke_configs, methods=["GET"]),
]
