"""FC 3.0 function versions and aliases.

A version is an immutable snapshot of the function's code and configuration (not its triggers or
async/provision configs); ids are ``"1"``, ``"2"``... from a per-function counter, never reused
(https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/manage-versions). They
are stored exactly as FC 2.0 service versions of the function's storage service, so qualifier
resolution, alias weights and the version-pinned specs of the invoke path are shared.

Choices (UNCONFIRMED): publishing when nothing changed since the newest version is refused (400
``InvalidArgument``, as the 2.0 API here does); deleting a version an alias uses is 412
``VersionReferencedByAlias``; LATEST can neither be published nor deleted.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import FcError, conflict, invalid, not_found
from fcbackend.api.http import make_etag, now_iso
from fcbackend.api.state import ALIAS, LATEST, VERSION, BackendState, public, version_sort_key
from fcbackend.fc3.http import no_content, ok, query, query_int, read_object, state_of, with_token
from fcbackend.fc3.lookup import fc3_ref, latest_doc, storage_doc
from fcbackend.fc3.names import FunctionRef
from fcbackend.fc3.validation import check_fields, number, string

_VOLATILE = ("createdTime", "lastModifiedTime", "_etag", "invocationRestriction")
ALIAS_NAME = r"[A-Za-z_][A-Za-z0-9_-]{0,127}"


def _digest(doc: dict[str, Any]) -> str:
    return make_etag({k: v for k, v in doc.items() if k not in _VOLATILE})


def _version_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("versionId", "description", "createdTime", "lastModifiedTime")}


async def publish_version(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    body = check_fields(await read_object(request), {"description": string(max_len=256)})
    with state.meta.transaction():
        fn = latest_doc(state, ref)
        svc = storage_doc(state, ref)
        digest = _digest(fn)
        newest = state.meta.list(VERSION, ref.service, limit=1, descending=True)
        if newest and newest[0][2].get("_digest") == digest:
            raise invalid(
                f"nothing changed in function '{ref.name}' since version {newest[0][2]['versionId']}; "
                "update the function before publishing"
            )
        version_id = str(state.meta.next_id(f"version:{ref.service}"))
        now = now_iso()
        doc = {
            "versionId": version_id,
            "description": body.get("description", ""),
            "createdTime": now,
            "lastModifiedTime": now,
            "_digest": digest,
            "_snapshot": {"service": svc, "functions": {ref.function: fn}},
        }
        state.meta.put(VERSION, ref.service, version_id, doc, sort_key=version_sort_key(version_id))
    state.changed()
    return ok(request, _version_view(doc))


async def list_versions(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    latest_doc(state, ref)
    direction = (query(request, "direction") or "BACKWARD").upper()
    if direction not in ("BACKWARD", "FORWARD"):
        raise invalid(f"direction must be BACKWARD (newest first) or FORWARD, got '{direction}'")
    limit = query_int(request, "limit", 20, 1, 100)
    token = query(request, "nextToken")
    if token is not None and not token.isdigit():
        raise invalid(f"nextToken {token!r} is not a version id")
    rows = state.meta.list(
        VERSION,
        ref.service,
        start=version_sort_key(token) if token else None,
        limit=limit + 1,
        descending=direction == "BACKWARD",
    )
    next_token = rows[limit][1] if len(rows) > limit else None
    body = with_token({"versions": [_version_view(d) for _, _, d in rows[:limit]]}, next_token)
    body["direction"] = direction
    return ok(request, body)


async def delete_version(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    version_id = request.path_params["version"]
    with state.meta.transaction():
        latest_doc(state, ref)
        if state.meta.get(VERSION, ref.service, version_id) is None:
            raise not_found(
                "VersionNotFound", f"version '{version_id}' of function '{ref.name}' does not exist"
            )
        for _, name, alias in state.meta.list(ALIAS, ref.service):
            if alias.get("versionId") == version_id or version_id in (
                alias.get("additionalVersionWeight") or {}
            ):
                raise FcError(
                    412,
                    "VersionReferencedByAlias",
                    f"version {version_id} is used by alias '{name}'; change or delete the alias first",
                )
        state.meta.delete(VERSION, ref.service, version_id)
    await state.evict(ref.service)
    return no_content(request)


# -- aliases -----------------------------------------------------------------------------------------


def _check_version(state: BackendState, ref: FunctionRef, version_id: Any, what: str) -> str:
    if isinstance(version_id, int) and not isinstance(version_id, bool):
        version_id = str(version_id)
    if not isinstance(version_id, str) or not version_id:
        raise invalid(f"{what} is required and must be a version id")
    if version_id != LATEST and state.meta.get(VERSION, ref.service, version_id) is None:
        raise not_found(
            "VersionNotFound", f"{what}: version '{version_id}' of function '{ref.name}' does not exist"
        )
    return version_id


def _weights(state: BackendState, ref: FunctionRef, value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise invalid("additionalVersionWeight must be an object of version id -> weight (0 to 1)")
    out: dict[str, float] = {}
    for version, weight in value.items():
        _check_version(state, ref, str(version), "additionalVersionWeight key")
        out[str(version)] = number(0, 1)(weight, f"additionalVersionWeight['{version}']")
    if sum(out.values()) > 1 + 1e-9:
        raise invalid("the weights in additionalVersionWeight add up to more than 1")
    return out


_ALIAS_FIELDS = {
    "aliasName": string(min_len=1, max_len=128, pattern=ALIAS_NAME),
    "versionId": lambda value, path: value,
    "description": string(max_len=256),
    "additionalVersionWeight": lambda value, path: value,
}


def _alias(state: BackendState, ref: FunctionRef, name: str) -> dict[str, Any]:
    doc = state.meta.get(ALIAS, ref.service, name)
    if doc is None:
        latest_doc(state, ref)
        raise not_found("AliasNotFound", f"alias '{name}' of function '{ref.name}' does not exist")
    return doc


async def create_alias(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    body = check_fields(
        await read_object(request), _ALIAS_FIELDS, ignored=("createdTime", "lastModifiedTime")
    )
    name = body.get("aliasName")
    if not name:
        raise invalid("aliasName is required")
    if name == LATEST:
        raise invalid("aliasName 'LATEST' is reserved")
    now = now_iso()
    with state.meta.transaction():
        latest_doc(state, ref)
        doc = {
            "aliasName": name,
            "versionId": _check_version(state, ref, body.get("versionId"), "versionId"),
            "description": body.get("description", ""),
            "additionalVersionWeight": _weights(state, ref, body.get("additionalVersionWeight") or {}),
            "createdTime": now,
            "lastModifiedTime": now,
        }
        if not state.meta.insert(ALIAS, ref.service, name, doc):
            raise conflict("AliasAlreadyExists", f"alias '{name}' already exists on function '{ref.name}'")
    state.changed()
    return ok(request, doc)


async def get_alias(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    return ok(request, public(_alias(state, ref, request.path_params["alias"])))


async def list_aliases(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    latest_doc(state, ref)
    limit = query_int(request, "limit", 20, 1, 100)
    token = query(request, "nextToken")
    rows = state.meta.list(ALIAS, ref.service, prefix=query(request, "prefix"), start=token, limit=limit + 1)
    next_token = rows[limit][1] if len(rows) > limit else None
    return ok(request, with_token({"aliases": [public(d) for _, _, d in rows[:limit]]}, next_token))


async def update_alias(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    name = request.path_params["alias"]
    body = check_fields(
        await read_object(request), _ALIAS_FIELDS, ignored=("aliasName", "createdTime", "lastModifiedTime")
    )
    with state.meta.transaction():
        doc = _alias(state, ref, name)
        if "versionId" in body:
            doc["versionId"] = _check_version(state, ref, body["versionId"], "versionId")
        if "additionalVersionWeight" in body:
            doc["additionalVersionWeight"] = _weights(state, ref, body["additionalVersionWeight"])
        if "description" in body:
            doc["description"] = body["description"]
        doc["lastModifiedTime"] = now_iso()
        state.meta.put(ALIAS, ref.service, name, doc)
    state.changed()
    return ok(request, public(doc))


async def delete_alias(request: Request) -> Response:
    state = state_of(request)
    ref = fc3_ref(request.path_params["function"])
    name = request.path_params["alias"]
    with state.meta.transaction():
        _alias(state, ref, name)
        state.meta.delete(ALIAS, ref.service, name)
    state.changed()
    return no_content(request)
