"""FC 3.0 triggers: the same trigger store and event sources as FC 2.0 (timers fire, the local
object store sends OSS events, HTTP triggers serve requests; log, MNS, CDN, Tablestore,
EventBridge, Kafka and RDS triggers are records that ``ros fc trigger-event`` can feed a sample
event to).

What differs from 2.0 on the wire: ``triggerConfig`` is a JSON *string* in requests and answers
(stored parsed, so the event sources read one shape); answers carry ``targetArn`` (the function
ARN) and, for HTTP triggers, ``httpTrigger: {urlInternet, urlIntranet}``. Locally both URLs are
this backend's ``/2023-03-30/proxy/<function>/<trigger>/`` (computed from the address the caller
used, so they survive port changes); the function sees the path after that prefix.
Update may change only ``description``, ``invocationRole``, ``qualifier`` and ``triggerConfig``
(UpdateTriggerInput). ``status`` is ``Ready`` (UNCONFIRMED value).
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import FcError, conflict, invalid, not_found
from fcbackend.api.http import now_iso
from fcbackend.api.state import LATEST, TRIGGER, BackendState, public
from fcbackend.fc3.functions import function_arn
from fcbackend.fc3.http import no_content, ok, query, query_int, read_object, state_of, with_token
from fcbackend.fc3.lookup import fc3_ref, latest_doc, resolve
from fcbackend.fc3.names import FunctionRef
from fcbackend.fc3.validation import check_fields, string
from fcbackend.triggers.trigger_config_checks import TRIGGER_TYPES, validate_trigger_config

PROXY_PREFIX = "/2023-03-30/proxy/"
TRIGGER_NAME = r"[A-Za-z_][A-Za-z0-9_-]{0,127}"


def _config(value: Any, trigger_type: str) -> dict[str, Any]:
    """``triggerConfig`` as the API sends it (a JSON string; an object is accepted too), parsed
    and checked for the trigger type."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value) if value.strip() else {}
        except ValueError as exc:
            raise invalid(f"triggerConfig must be a JSON object in a string: {exc}") from exc
    else:
        parsed = value
    if not isinstance(parsed, dict):
        raise invalid(f"triggerConfig must be a JSON object, got {type(parsed).__name__}")
    errors = validate_trigger_config(trigger_type, parsed)
    if errors:
        raise invalid("; ".join(errors))
    return parsed


def _qualifier(state: BackendState, ref: FunctionRef, value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise invalid("qualifier must be a string (a version id, an alias or LATEST)")
    if value != LATEST:
        resolve(state, ref, value)
    return value


def trigger_url(base: str, function: str, trigger: str) -> str:
    return f"{base}{PROXY_PREFIX}{quote(function, safe='')}/{quote(trigger, safe='')}/"


def view(request: Request, state: BackendState, ref: FunctionRef, doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    out["triggerConfig"] = json.dumps(doc.get("triggerConfig") or {}, separators=(",", ":"))
    out["targetArn"] = function_arn(state, ref.name)
    out["status"] = "Ready"
    out.pop("urlInternet", None)
    out.pop("urlIntranet", None)
    out.pop("domainName", None)
    if doc.get("triggerType") == "http":
        url = trigger_url(f"{request.url.scheme}://{request.url.netloc}", ref.name, str(doc["triggerName"]))
        out["httpTrigger"] = {"urlInternet": url, "urlIntranet": url}
    return out


_CREATE_FIELDS = {
    "triggerName": string(min_len=1, max_len=128, pattern=TRIGGER_NAME),
    "triggerType": string(enum=TRIGGER_TYPES),
    "triggerConfig": lambda value, path: value,
    "qualifier": lambda value, path: value,
    "sourceArn": string(max_len=300),
    "invocationRole": string(max_len=300),
    "description": string(max_len=256),
}
_UPDATE_FIELDS = {
    k: _CREATE_FIELDS[k] for k in ("triggerConfig", "qualifier", "invocationRole", "description")
}


def _scope(ref: FunctionRef) -> str:
    return f"{ref.service}/{ref.function}"


async def create_trigger(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    body = check_fields(await read_object(request), _CREATE_FIELDS)
    for key in ("triggerName", "triggerType", "triggerConfig"):
        if key not in body:
            raise invalid(f"{key} is required")
    name, trigger_type = body["triggerName"], body["triggerType"]
    config = _config(body["triggerConfig"], trigger_type)
    now = now_iso()
    with state.meta.transaction():
        latest_doc(state, ref)
        qualifier = _qualifier(state, ref, body.get("qualifier"))
        doc: dict[str, Any] = {
            "triggerId": str(uuid.uuid4()),
            "triggerName": name,
            "description": body.get("description", ""),
            "triggerType": trigger_type,
            "triggerConfig": config,
            "sourceArn": body.get("sourceArn", ""),
            "invocationRole": body.get("invocationRole", ""),
            "qualifier": qualifier,
            "createdTime": now,
            "lastModifiedTime": now,
        }
        if trigger_type == "http":
            for _, other, data in state.meta.list(TRIGGER, _scope(ref)):
                if data["triggerType"] == "http" and (data.get("qualifier") or "") == qualifier:
                    raise conflict(
                        "TriggerAlreadyExists",
                        f"function '{ref.name}' already has an http trigger for "
                        f"{qualifier or 'LATEST'} ('{other}')",
                    )
        if not state.meta.insert(TRIGGER, _scope(ref), name, doc):
            raise conflict(
                "TriggerAlreadyExists", f"trigger '{name}' already exists on function '{ref.name}'"
            )
    await state.trigger_changed(ref.service, ref.function, name, doc)
    return ok(request, view(request, state, ref, doc))


def _load(state: BackendState, ref: FunctionRef, name: str) -> dict[str, Any]:
    doc = state.meta.get(TRIGGER, _scope(ref), name)
    if doc is None:
        latest_doc(state, ref)
        raise not_found("TriggerNotFound", f"trigger '{name}' does not exist on function '{ref.name}'")
    return doc


async def get_trigger(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    return ok(request, view(request, state, ref, _load(state, ref, request.path_params["trigger"])))


async def list_triggers(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    latest_doc(state, ref)
    limit = query_int(request, "limit", 20, 1, 100)
    rows = state.meta.list(
        TRIGGER,
        _scope(ref),
        prefix=query(request, "prefix"),
        start=query(request, "nextToken"),
        limit=limit + 1,
    )
    token = rows[limit][1] if len(rows) > limit else None
    return ok(
        request, with_token({"triggers": [view(request, state, ref, d) for _, _, d in rows[:limit]]}, token)
    )


async def update_trigger(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    name = request.path_params["trigger"]
    raw = await read_object(request)
    for fixed in ("triggerName", "triggerType", "sourceArn"):
        if raw.get(fixed) is not None:
            raise invalid(f"{fixed} cannot be changed by UpdateTrigger; delete and create the trigger")
    body = check_fields(raw, _UPDATE_FIELDS)
    with state.meta.transaction():
        doc = _load(state, ref, name)
        if "triggerConfig" in body:
            doc["triggerConfig"] = _config(body["triggerConfig"], doc["triggerType"])
        if "qualifier" in body:
            doc["qualifier"] = _qualifier(state, ref, body["qualifier"])
        for key in ("invocationRole", "description"):
            if key in body:
                doc[key] = body[key]
        doc["lastModifiedTime"] = now_iso()
        state.meta.put(TRIGGER, _scope(ref), name, doc)
    await state.trigger_changed(ref.service, ref.function, name, doc)
    return ok(request, view(request, state, ref, doc))


async def delete_trigger(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    name = request.path_params["trigger"]
    with state.meta.transaction():
        _load(state, ref, name)
        if not state.meta.delete(TRIGGER, _scope(ref), name):
            raise FcError(409, "ConcurrentUpdateError", "the trigger was deleted concurrently")
    await state.trigger_changed(ref.service, ref.function, name, None)
    return no_content(request)
