"""Small request/response helpers shared by every route module.

Why: each route reads a JSON body, answers JSON with an ``X-Fc-Request-Id``, checks ``If-Match``
and paginates the same way; doing it once keeps the shapes and messages identical everywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fcbackend.api.errors import FcError, invalid
from fcbackend.api.state import BackendState, public

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")


def backend(request: Request) -> BackendState:
    return request.app.state.fc


def request_id(request: Request) -> str:
    return str(request.scope.get("fc.request_id", ""))


def is_local_host_name(name: str) -> bool:
    """True for hosts that can never be a custom domain: empty, localhost, IP literals."""
    return not name or name in ("127.0.0.1", "localhost") or name.replace(".", "").isdigit() or name[0] == "["


def custom_domain_host(scope: Any) -> bool:
    """Whether the request's Host could name a custom domain (docs/reference/fc-api.md#custom-domains), i.e.
    is not local."""
    for key, value in scope["headers"]:
        if key == b"host":
            return not is_local_host_name(host_name(value.decode("latin-1")))
    return False


def host_name(host: str) -> str:
    """The name part of a Host header, lower-cased (``[`` for an IPv6 literal)."""
    return "[" if host.startswith("[") else host.split(":", 1)[0].lower()


def now_iso() -> str:
    """FC's timestamp form: ISO-8601 UTC to the second, e.g. ``2020-08-20T02:28:21Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def make_etag(data: dict[str, Any]) -> str:
    return hashlib.md5(json.dumps(data, sort_keys=True).encode(), usedforsecurity=False).hexdigest()


def json_response(
    request: Request,
    data: Any,
    status: int = 200,
    *,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    out = {"x-fc-request-id": request_id(request), "content-type": "application/json"}
    if etag:
        out["etag"] = etag
    if headers:
        out.update(headers)
    body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, headers=out)


def empty_response(request: Request, status: int = 204) -> Response:
    return Response(b"", status_code=status, headers={"x-fc-request-id": request_id(request)})


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty); a clear 400 otherwise."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise invalid(f"the request body must be a JSON object, got {type(data).__name__}")
    return data


def check_name(kind: str, name: Any, *, max_len: int = 128) -> str:
    if not isinstance(name, str) or not name:
        raise invalid(f"{kind} is required and must be a string")
    if len(name) > max_len or not NAME_RE.match(name):
        raise invalid(
            f"{kind} '{name}' is invalid: 1-{max_len} letters, digits, '_' or '-', "
            "starting with a letter or '_'"
        )
    return name


def check_if_match(request: Request, etag: str) -> None:
    wanted = request.headers.get("if-match")
    if wanted and wanted.strip('"') != etag:
        raise FcError(
            412, "PreconditionFailed", f"the If-Match etag '{wanted}' does not match the current etag"
        )


def split_qualified(value: str) -> tuple[str, str | None]:
    """``svc.qualifier`` -> ``("svc", "qualifier")``; names cannot contain dots."""
    name, dot, qualifier = value.partition(".")
    return name, (qualifier if dot else None)


def function_target(request: Request) -> tuple[BackendState, str, str, str | None]:
    """(state, service, function, qualifier) of a ``/services/<svc[.qualifier]>/functions/<fn>``
    path whose function exists unpublished (404 otherwise)."""
    state = backend(request)
    service, qualifier = split_qualified(request.path_params["service"])
    function = request.path_params["function"]
    state.latest_function_doc(service, function)
    return state, service, function, qualifier


def unqualified_service(request: Request, refusal: str) -> str:
    """The path's service name for a write that only the unpublished service takes; a
    ``svc.qualifier`` path is refused with 400 ``refusal``."""
    service, qualifier = split_qualified(request.path_params["service"])
    if qualifier:
        raise invalid(refusal)
    return service


def document_response(request: Request, doc: dict[str, Any], status: int = 200) -> Response:
    """A stored document as JSON: private fields dropped, its etag in the ``ETag`` header."""
    return json_response(request, public(doc), status, etag=doc.get("_etag"))


def touch(doc: dict[str, Any]) -> None:
    """Mark a document as modified now and give it the etag of its new public content."""
    doc["lastModifiedTime"] = now_iso()
    doc.pop("_etag", None)
    doc["_etag"] = make_etag(public(doc))


def int_param(
    request: Request, name: str, default: int | None, *, low: int = 0, high: int = 1000
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"query parameter {name}={raw!r} must be an integer") from None
    if not low <= value <= high:
        raise invalid(f"query parameter {name}={value} must be between {low} and {high}")
    return value


def typed(body: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    """``body[key]`` checked against ``kind`` (None when absent); bools are not ints here."""
    value = body.get(key)
    if value is None:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise invalid(f"{key} must be {what}, got {json.dumps(value)}")
    if not isinstance(value, kinds):
        raise invalid(f"{key} must be {what}, got {json.dumps(value)[:80]}")
    return value
