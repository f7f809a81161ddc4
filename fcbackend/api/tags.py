"""Tags on services (docs/reference/fc-api.md#rest-api): ``POST /tag``, ``GET /tag?resourceArn=``, ``DELETE
/tag`` (body on DELETE), ``GET /tags``. Existing services can be tagged; at most 20 tags, with FC's key/value
rules (docs/reference/fc-resource-types.md#service).

``resourceArn`` may be the full ARN ``acs:fc:<region>:<account>:services/<name>`` or the partial
``services/<name>`` (the SDK documents both). Both name the same resource, so tags are stored and
reported under the backend's full service ARN (UNCONFIRMED that FC echoes the full form when a
partial one was sent). FC 2.0 tags only services; function ARNs are refused with a clear 400."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fcbackend.api.errors import invalid
from fcbackend.api.http import backend, json_response, read_json, request_id
from fcbackend.api.pagination import page_of_list, with_token
from fcbackend.api.services import service_arn
from fcbackend.api.state import TAGS, BackendState

P = "/2016-08-15"
_SERVICE_ARN = re.compile(r"^(?:acs:fc:[^:]*:[^:]*:)?services/(?P<name>[^/.]+)$")
_EXPECTED = "acs:fc:<region>:<account>:services/<name> or services/<name>"
MAX_TAGS = 20


def _service_arn_of(state: BackendState, arn: Any) -> str:
    """The full ARN of the existing service ``arn`` names (full or partial form)."""
    if not isinstance(arn, str) or not arn:
        raise invalid(f"resourceArn is required, e.g. {_EXPECTED}")
    match = _SERVICE_ARN.match(arn)
    if not match:
        raise invalid(f"resourceArn '{arn}' is not a service ARN ({_EXPECTED})")
    state.service_doc(match["name"])
    return service_arn(state, match["name"])


def _check_tag(key: Any, value: Any) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= 128:
        raise invalid(f"tag key {key!r} must be a string of 1-128 characters")
    if key.startswith(("acs:", "aliyun")) or "http://" in key or "https://" in key:
        raise invalid(f"tag key '{key}' must not start with 'acs:' or 'aliyun' or contain a URL scheme")
    if not isinstance(value, str) or len(value) > 128:
        raise invalid(f"tag '{key}' value must be a string of at most 128 characters")
    if "http://" in value or "https://" in value:
        raise invalid(f"tag '{key}' value must not contain a URL scheme")


async def tag_resource(request: Request) -> Response:
    state = backend(request)
    body = await read_json(request)
    arn = _service_arn_of(state, body.get("resourceArn"))
    tags = body.get("tags")
    if not isinstance(tags, dict) or not tags:
        raise invalid("tags must be a non-empty object of key -> value")
    for key, value in tags.items():
        _check_tag(key, value)
    with state.meta.transaction():
        doc = state.meta.get(TAGS, "", arn) or {"resourceArn": arn, "tags": {}}
        doc["tags"].update(tags)
        if len(doc["tags"]) > MAX_TAGS:
            raise invalid(f"a resource can have at most {MAX_TAGS} tags")
        state.meta.put(TAGS, "", arn, doc)
    return json_response(request, {"requestId": request_id(request)})


async def get_resource_tags(request: Request) -> Response:
    state = backend(request)
    arn = _service_arn_of(state, request.query_params.get("resourceArn"))
    doc = state.meta.get(TAGS, "", arn) or {"resourceArn": arn, "tags": {}}
    return json_response(request, doc)


async def untag_resource(request: Request) -> Response:
    state = backend(request)
    body = await read_json(request)
    arn = _service_arn_of(state, body.get("resourceArn"))
    keys = body.get("tagKeys") or []
    remove_all = bool(body.get("all"))
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise invalid("tagKeys must be a list of tag keys")
    if not keys and not remove_all:
        raise invalid("give tagKeys, or all=true to remove every tag")
    with state.meta.transaction():
        doc = state.meta.get(TAGS, "", arn)
        if doc is not None:
            doc["tags"] = {} if remove_all else {k: v for k, v in doc["tags"].items() if k not in keys}
            state.meta.put(TAGS, "", arn, doc)
    return json_response(request, {"requestId": request_id(request)})


async def list_tagged_resources(request: Request) -> Response:
    state = backend(request)
    docs = [d for _, _, d in state.meta.list(TAGS, "") if d.get("tags")]
    items, token = page_of_list(request, docs, "resourceArn")
    return json_response(request, with_token({"resources": items}, token))


ROUTES = [
    Route(f"{P}/tag", tag_resource, methods=["POST"]),
    Route(f"{P}/tag", get_resource_tags, methods=["GET"]),
    Route(f"{P}/tag", untag_resource, methods=["DELETE"]),
    Route(f"{P}/tags", list_tagged_resources, methods=["GET"]),
]
