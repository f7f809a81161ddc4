"""FC 3.0 per-function configs: async invocation, reserved concurrency, provisioned instances.

All three live where the shared machinery reads them, so they act, not only echo:

* async invoke config (``?qualifier=``, default LATEST) is FC 2.0's document of the storage
  service, key ``<fn>@<qualifier>``, with FC 3.0's ``asyncTask`` for 2.0's
  ``statefulInvocation``: the async queue applies its retries, event age, destinations and task
  mode (:class:`fcbackend.asyncq.async_invoke_config.AsyncInvokeConfig` reads either name);
* provision config (``?qualifier=`` an alias or LATEST) is FC 2.0's provision document with FC
  3.0's ``defaultTarget``: the capacity manager keeps that many instances warm and applies
  ``scheduledActions`` and ``targetTrackingPolicies``; ``target`` (deprecated, but required by
  the SDK's model) and ``defaultTarget`` stand in for each other when only one is given;
* reserved concurrency caps the function's concurrent requests: the scheduler may run
  ``ceil(reservedConcurrency / instanceConcurrency)`` instances (0 stops every invocation, as FC
  documents for reserved concurrency 0; throttled calls get 429 ``ResourceExhausted``).

Missing configs: GET/DELETE answer 404 ``AsyncConfigNotExists``, ``ConcurrencyConfigNotFound``
and ``ProvisionConfigNotFound`` (the last two names UNCONFIRMED).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import invalid, not_found
from fcbackend.api.fc3_names import FunctionRef, parse_name, public_name
from fcbackend.api.http import now_iso
from fcbackend.api.state import ALIAS, ASYNC_CONFIG, LATEST, PROVISION, BackendState
from fcbackend.fc3.functions import CONCURRENCY, function_arn
from fcbackend.fc3.http import no_content, ok, page, query, query_int, read_object, state_of, with_token
from fcbackend.fc3.lookup import fc3_ref, latest_doc, resolve
from fcbackend.fc3.validation import (
    array,
    boolean,
    check_fields,
    integer,
    number,
    obj,
    string,
)

_log = logging.getLogger("fcbackend.fc3")
_DESTINATION = obj({"destination": string(min_len=1, max_len=512)}, required=("destination",))
_ASYNC_FIELDS = {
    "maxAsyncEventAgeInSeconds": integer(1, 604800),
    "maxAsyncRetryAttempts": integer(0, 8),
    "asyncTask": boolean(),
    "destinationConfig": obj({"onSuccess": _DESTINATION, "onFailure": _DESTINATION}),
}
_ASYNC_OUTPUT = ("createdTime", "lastModifiedTime", "functionArn", "qualifier")
METRIC_TYPES = ("ProvisionedConcurrencyUtilization", "CPUUtilization", "GPUMemUtilization")
_PROVISION_FIELDS = {
    "target": integer(0, 10000),
    "defaultTarget": integer(0, 10000),
    "alwaysAllocateCPU": boolean(),
    "alwaysAllocateGPU": boolean(),
    "scheduledActions": array(
        obj(
            {
                "name": string(min_len=1, max_len=128),
                "scheduleExpression": string(min_len=1, max_len=128),
                "target": integer(0, 10000),
                "startTime": string(max_len=64),
                "endTime": string(max_len=64),
                "timeZone": string(max_len=64),
            },
            required=("name", "scheduleExpression", "target"),
        ),
        max_items=100,
    ),
    "targetTrackingPolicies": array(
        obj(
            {
                "name": string(min_len=1, max_len=128),
                "metricType": string(enum=METRIC_TYPES),
                "metricTarget": number(0, 100),
                "minCapacity": integer(0, 10000),
                "maxCapacity": integer(0, 10000),
                "startTime": string(max_len=64),
                "endTime": string(max_len=64),
                "timeZone": string(max_len=64),
            },
            required=("name", "metricType", "metricTarget", "minCapacity", "maxCapacity"),
        ),
        max_items=100,
    ),
}
_PROVISION_OUTPUT = ("current", "currentError", "functionArn", "functionName", "qualifier")


def _key(function: str, qualifier: str) -> str:
    return f"{function}@{qualifier}"


# -- async invoke config ------------------------------------------------------------------------


def _async_view(state: BackendState, ref: FunctionRef, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "functionArn": function_arn(state, ref.name),
        "qualifier": doc.get("qualifier", LATEST),
        "asyncTask": bool(doc.get("statefulInvocation", False)),
        "maxAsyncEventAgeInSeconds": doc.get("maxAsyncEventAgeInSeconds"),
        "maxAsyncRetryAttempts": doc.get("maxAsyncRetryAttempts"),
        "destinationConfig": doc.get("destinationConfig") or {},
        "createdTime": doc.get("createdTime", ""),
        "lastModifiedTime": doc.get("lastModifiedTime", ""),
    }


def _qualifier(state: BackendState, ref: FunctionRef, request: Request) -> str:
    qualifier = query(request, "qualifier") or LATEST
    latest_doc(state, ref)
    if qualifier != LATEST:
        resolve(state, ref, qualifier)
    return qualifier


async def put_async_invoke_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    qualifier = _qualifier(state, ref, request)
    body = check_fields(await read_object(request), _ASYNC_FIELDS, ignored=_ASYNC_OUTPUT)
    now = now_iso()
    key = _key(ref.function, qualifier)
    with state.meta.transaction():
        old = state.meta.get(ASYNC_CONFIG, ref.service, key) or {}
        doc = {
            "service": ref.service,
            "function": ref.function,
            "qualifier": qualifier,
            "createdTime": old.get("createdTime", now),
            "lastModifiedTime": now,
            "destinationConfig": body.get("destinationConfig"),
            "maxAsyncEventAgeInSeconds": body.get("maxAsyncEventAgeInSeconds", 86400),
            "maxAsyncRetryAttempts": body.get("maxAsyncRetryAttempts", 3),
            "statefulInvocation": body.get("asyncTask", False),
        }
        state.meta.put(ASYNC_CONFIG, ref.service, key, doc)
    state.changed()
    return ok(request, _async_view(state, ref, doc))


async def get_async_invoke_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    qualifier = _qualifier(state, ref, request)
    doc = state.meta.get(ASYNC_CONFIG, ref.service, _key(ref.function, qualifier))
    if doc is None:
        raise not_found(
            "AsyncConfigNotExists", f"function '{ref.name}' has no async invoke config for {qualifier}"
        )
    return ok(request, _async_view(state, ref, doc))


async def delete_async_invoke_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    qualifier = _qualifier(state, ref, request)
    if not state.meta.delete(ASYNC_CONFIG, ref.service, _key(ref.function, qualifier)):
        raise not_found(
            "AsyncConfigNotExists", f"function '{ref.name}' has no async invoke config for {qualifier}"
        )
    state.changed()
    return no_content(request)


def _fc3_configs(
    state: BackendState, kind: str, function: str | None
) -> list[tuple[FunctionRef, dict[str, Any]]]:
    """Configs of ``kind`` of FC 3.0 functions (one function when ``function`` is given)."""
    if function is not None:
        ref = fc3_ref(function)
        latest_doc(state, ref)
        return [(ref, d) for _, _, d in state.meta.list(kind, ref.service)]
    found = []
    for service, key, doc in state.meta.list(kind, None):
        name = key.partition("@")[0]
        ref = parse_name(public_name(service, name))
        if not ref.fc2:
            found.append((ref, doc))
    return found


async def list_async_invoke_configs(request: Request) -> Response:
    state = state_of(request)
    rows = [
        {**_async_view(state, ref, doc), "_sort": f"{ref.name}@{doc.get('qualifier', LATEST)}"}
        for ref, doc in _fc3_configs(state, ASYNC_CONFIG, query(request, "functionName"))
    ]
    limit = query_int(request, "limit", 20, 1, 100)
    items, token = page(rows, "_sort", limit=limit, token=query(request, "nextToken"))
    return ok(
        request, with_token({"configs": [{k: v for k, v in i.items() if k != "_sort"} for i in items]}, token)
    )


# -- concurrency -----------------------------------------------------------------------------------


async def put_concurrency_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    body = check_fields(
        await read_object(request), {"reservedConcurrency": integer(0, 100000)}, ignored=("functionArn",)
    )
    if "reservedConcurrency" not in body:
        raise invalid("reservedConcurrency is required (0 or more)")
    with state.meta.transaction():
        latest_doc(state, ref)
        doc = {"reservedConcurrency": body["reservedConcurrency"], "lastModifiedTime": now_iso()}
        state.meta.put(CONCURRENCY, ref.service, ref.function, doc)
    await _apply_cap(state, ref)
    return ok(
        request,
        {"functionArn": function_arn(state, ref.name), "reservedConcurrency": doc["reservedConcurrency"]},
    )


def _concurrency(state: BackendState, ref: FunctionRef) -> dict[str, Any]:
    latest_doc(state, ref)
    doc = state.meta.get(CONCURRENCY, ref.service, ref.function)
    if doc is None:
        raise not_found("ConcurrencyConfigNotFound", f"function '{ref.name}' has no concurrency config")
    return doc


async def get_concurrency_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    doc = _concurrency(state, ref)
    return ok(
        request,
        {"functionArn": function_arn(state, ref.name), "reservedConcurrency": doc["reservedConcurrency"]},
    )


async def delete_concurrency_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    _concurrency(state, ref)
    state.meta.delete(CONCURRENCY, ref.service, ref.function)
    await _apply_cap(state, ref)
    return no_content(request)


async def list_concurrency_configs(request: Request) -> Response:
    state = state_of(request)
    rows = [
        {
            "functionArn": function_arn(state, ref.name),
            "reservedConcurrency": doc["reservedConcurrency"],
            "_n": ref.name,
        }
        for ref, doc in _fc3_configs(state, CONCURRENCY, query(request, "functionName"))
    ]
    limit = query_int(request, "limit", 20, 1, 100)
    items, token = page(rows, "_n", limit=limit, token=query(request, "nextToken"))
    return ok(
        request, with_token({"configs": [{k: v for k, v in i.items() if k != "_n"} for i in items]}, token)
    )


async def _apply_cap(state: BackendState, ref: FunctionRef) -> None:
    """Take a new reserved concurrency into effect now (the capacity loop re-applies it after a
    restart): cap the scheduler, and stop running instances so none serves beyond the cap."""
    state.scheduler.set_max_instances(
        ref.service, ref.function, instance_caps(state).get((ref.service, ref.function))
    )
    await state.evict(ref.service, ref.function)


def instance_caps(state: BackendState) -> dict[tuple[str, str], int]:
    """(storage service, function) -> most instances its reserved concurrency allows."""
    caps = {}
    for service, function, doc in state.meta.list(CONCURRENCY, None):
        fn = state.meta.get("function", service, function) or {}
        per_instance = max(1, int(fn.get("instanceConcurrency") or 1))
        reserved = int(doc.get("reservedConcurrency") or 0)
        caps[(service, function)] = -(-reserved // per_instance)
    return caps


# -- provision config ------------------------------------------------------------------------------


def _provision_qualifier(state: BackendState, ref: FunctionRef, request: Request) -> str:
    qualifier = query(request, "qualifier") or LATEST
    latest_doc(state, ref)
    if qualifier != LATEST and state.meta.get(ALIAS, ref.service, qualifier) is None:
        raise not_found(
            "AliasNotFound",
            f"alias '{qualifier}' of function '{ref.name}' does not exist "
            "(provision configs take an alias or LATEST)",
        )
    return qualifier


def _provision_view(state: BackendState, ref: FunctionRef, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "functionArn": function_arn(state, ref.name),
        "qualifier": doc.get("_qualifier", LATEST),
        "target": doc.get("target", 0),
        "defaultTarget": doc.get("defaultTarget", doc.get("target", 0)),
        "current": doc.get("current", 0),
        "currentError": doc.get("currentError", ""),
        "alwaysAllocateCPU": doc.get("alwaysAllocateCPU", True),
        "alwaysAllocateGPU": doc.get("alwaysAllocateGPU", True),
        "scheduledActions": doc.get("scheduledActions") or [],
        "targetTrackingPolicies": doc.get("targetTrackingPolicies") or [],
    }


async def _apply(state: BackendState, ref: FunctionRef, qualifier: str, target: int) -> None:
    """Start (or stop) provisioned instances now; the capacity manager keeps them there and
    applies the schedules. ``current``/``currentError`` report how the start went."""
    key = _key(ref.function, qualifier)
    error = ""
    try:
        await state.scheduler.set_provisioned(
            await state.spec_for(ref.service, ref.function, qualifier), target
        )
    except Exception as exc:  # reported through currentError, as FC does
        error = str(getattr(exc, "message", exc))
        _log.warning("provisioning %s@%s failed: %s", ref.name, qualifier, error)
    doc = state.meta.get(PROVISION, ref.service, key)
    if doc is not None and doc.get("target") == target:
        doc["current"] = 0 if error else target
        doc["currentError"] = error
        state.meta.put(PROVISION, ref.service, key, doc)


async def put_provision_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    qualifier = _provision_qualifier(state, ref, request)
    body = check_fields(await read_object(request), _PROVISION_FIELDS, ignored=_PROVISION_OUTPUT)
    if "target" not in body and "defaultTarget" not in body:
        raise invalid("defaultTarget (or the older target) is required: the number of instances to keep")
    target = body.get("defaultTarget", body.get("target", 0))
    key = _key(ref.function, qualifier)
    old = state.meta.get(PROVISION, ref.service, key) or {}
    doc = {
        "resource": f"{state.config.account_id}#{ref.service}#{qualifier}#{ref.function}",
        "target": target,
        "defaultTarget": target,
        "current": old.get("current", 0),
        "currentError": old.get("currentError", ""),
        "scheduledActions": body.get("scheduledActions") or [],
        "targetTrackingPolicies": body.get("targetTrackingPolicies") or [],
        "alwaysAllocateCPU": body.get("alwaysAllocateCPU", True),
        "alwaysAllocateGPU": body.get("alwaysAllocateGPU", True),
        "_service": ref.service,
        "_function": ref.function,
        "_qualifier": qualifier,
    }
    state.meta.put(PROVISION, ref.service, key, doc)
    task = asyncio.create_task(_apply(state, ref, qualifier, target))
    tasks = request.app.state.background_tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return ok(request, _provision_view(state, ref, doc))


async def get_provision_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    qualifier = _provision_qualifier(state, ref, request)
    doc = state.meta.get(PROVISION, ref.service, _key(ref.function, qualifier))
    if doc is None:
        raise not_found(
            "ProvisionConfigNotFound", f"function '{ref.name}' has no provision config for {qualifier}"
        )
    return ok(request, _provision_view(state, ref, doc))


async def delete_provision_config(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    qualifier = _provision_qualifier(state, ref, request)
    if not state.meta.delete(PROVISION, ref.service, _key(ref.function, qualifier)):
        raise not_found(
            "ProvisionConfigNotFound", f"function '{ref.name}' has no provision config for {qualifier}"
        )
    await _apply(state, ref, qualifier, 0)
    return no_content(request)


async def list_provision_configs(request: Request) -> Response:
    state = state_of(request)
    rows = [
        {**_provision_view(state, ref, doc), "_sort": f"{ref.name}@{doc.get('_qualifier', LATEST)}"}
        for ref, doc in _fc3_configs(state, PROVISION, query(request, "functionName"))
    ]
    limit = query_int(request, "limit", 20, 1, 100)
    items, token = page(rows, "_sort", limit=limit, token=query(request, "nextToken"))
    return ok(
        request,
        with_token(
            {"provisionConfigs": [{k: v for k, v in i.items() if k != "_sort"} for i in items]}, token
        ),
    )
