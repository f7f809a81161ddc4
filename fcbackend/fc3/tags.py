"""FC 3.0 tags (``/tags-v2``): tags on function ARNs, in the same tag store as FC 2.0's service
tags (keyed by ARN, so the two never meet).

``TagResources`` ``{ResourceId: [arn], ResourceType, Tag: [{Key, Value}]}``; ``UntagResources``
``?ResourceId=[json]&TagKey=[json]&All=bool``; ``ListTagResources``
``?ResourceId=[json]&Tag=[json]&ResourceType=&Limit=&NextToken=``. Resource type names seen in
clients (``function``, ``FUNCTION``, ``ALIYUN::FC::FUNCTION``) are accepted in any case; answers
say ``ALIYUN::FC::FUNCTION``. Rules: at most 20 tags per resource, keys 1-128 characters not
starting with ``acs:``/``aliyun`` and without ``http(s)://``, values at most 128.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import invalid
from fcbackend.api.state import TAGS, BackendState
from fcbackend.fc3.http import ok, query, query_bool, query_int, query_json_list, read_object, state_of
from fcbackend.fc3.lookup import latest_doc, ref_of
from fcbackend.fc3.validation import array, check_fields, obj, string

RESOURCE_TYPE = "ALIYUN::FC::FUNCTION"
_TYPES = ("function", "alias", "aliyun::fc::function")
_ARN = re.compile(r"^acs:fc:[^:]*:[^:]*:functions/(?P<name>[^/]+)$")
MAX_TAGS = 20


def _check_type(value: Any) -> None:
    if value is not None and str(value).lower() not in _TYPES:
        raise invalid(f"ResourceType must be function (ALIYUN::FC::FUNCTION), got {value!r}")


def _function_arn(state: BackendState, arn: Any) -> str:
    """An existing function's ARN (404 when the function does not exist)."""
    match = _ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise invalid(
            f"ResourceId {arn!r} is not a function ARN (acs:fc:<region>:<account>:functions/<name>)"
        )
    latest_doc(state, ref_of(match["name"]))
    return f"acs:fc:{state.config.region}:{state.config.account_id}:functions/{match['name']}"


def _check_tag(key: str, value: str) -> None:
    if key.startswith(("acs:", "aliyun")) or "http://" in key or "https://" in key:
        raise invalid(f"tag key '{key}' must not start with 'acs:' or 'aliyun' or contain http(s)://")
    if "http://" in value or "https://" in value:
        raise invalid(f"tag '{key}' value must not contain http(s)://")


_TAG_FIELDS = {
    "ResourceId": array(string(min_len=1), max_items=50),
    "ResourceType": string(),
    "Tag": array(
        obj({"Key": string(min_len=1, max_len=128), "Value": string(max_len=128)}, required=("Key",))
    ),
}


async def tag_resources(request: Request) -> Response:
    state = state_of(request)
    body = check_fields(await read_object(request), _TAG_FIELDS)
    _check_type(body.get("ResourceType"))
    arns = [_function_arn(state, arn) for arn in body.get("ResourceId") or []]
    tags = {t["Key"]: t.get("Value", "") for t in body.get("Tag") or []}
    if not arns or not tags:
        raise invalid("ResourceId and Tag are required and must not be empty")
    for key, value in tags.items():
        _check_tag(key, value)
    with state.meta.transaction():
        for arn in arns:
            doc = state.meta.get(TAGS, "", arn) or {"resourceArn": arn, "tags": {}}
            doc["tags"].update(tags)
            if len(doc["tags"]) > MAX_TAGS:
                raise invalid(f"a resource can have at most {MAX_TAGS} tags ({arn})")
            state.meta.put(TAGS, "", arn, doc)
    return ok(request, {})


async def untag_resources(request: Request) -> Response:
    state = state_of(request)
    _check_type(query(request, "ResourceType"))
    arns = [_function_arn(state, arn) for arn in query_json_list(request, "ResourceId") or []]
    keys = query_json_list(request, "TagKey") or []
    remove_all = query_bool(request, "All", False)
    if not arns:
        raise invalid(
            'ResourceId is required: a JSON array of function ARNs, e.g. ["acs:fc:...:functions/f"]'
        )
    if not all(isinstance(k, str) for k in keys):
        raise invalid("TagKey must be a JSON array of tag keys")
    if not keys and not remove_all:
        raise invalid("give TagKey, or All=true to remove every tag")
    with state.meta.transaction():
        for arn in arns:
            doc = state.meta.get(TAGS, "", arn)
            if doc is not None:
                doc["tags"] = {} if remove_all else {k: v for k, v in doc["tags"].items() if k not in keys}
                state.meta.put(TAGS, "", arn, doc)
    return ok(request, {})


async def list_tag_resources(request: Request) -> Response:
    state = state_of(request)
    _check_type(query(request, "ResourceType"))
    wanted_arns = query_json_list(request, "ResourceId")
    filters = query_json_list(request, "Tag") or []
    if not all(isinstance(t, dict) and isinstance(t.get("Key"), str) for t in filters):
        raise invalid('Tag must be a JSON array of {"Key": ..., "Value": ...}')
    arns = None if wanted_arns is None else {_function_arn(state, arn) for arn in wanted_arns}
    rows = []
    for _, arn, doc in state.meta.list(TAGS, ""):
        if not _ARN.match(arn) or (arns is not None and arn not in arns):
            continue
        tags = doc.get("tags") or {}
        if not all(t["Key"] in tags and ("Value" not in t or tags[t["Key"]] == t["Value"]) for t in filters):
            continue
        rows += [
            {"ResourceId": arn, "ResourceType": RESOURCE_TYPE, "TagKey": k, "TagValue": v}
            for k, v in tags.items()
        ]
    limit = query_int(request, "Limit", 50, 1, 1000)
    start = int(query(request, "NextToken") or 0) if (query(request, "NextToken") or "0").isdigit() else 0
    chosen = rows[start : start + limit]
    body: dict[str, Any] = {"TagResources": chosen, "RequestId": request.scope.get("fc.request_id", "")}
    if start + limit < len(rows):
        body["NextToken"] = str(start + limit)
    return ok(request, body)
