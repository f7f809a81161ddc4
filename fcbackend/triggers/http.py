"""HTTP triggers and custom domains: from an incoming request to an http-invoke and back.

The logic is pure (no Starlette): the backend's routes (``fcbackend.triggers.routes``) call it.

* ``/2016-08-15/proxy/<service>[.<qualifier>]/<function>/<path>`` names the function; the part
  after the function is the path the function sees (``/`` when empty).
* The function's http trigger decides: ``authType`` ``anonymous`` (no check) or ``function``
  (signed as FC signs, docs/reference/fc-api.md#request-signing, with the query in the canonical resource),
  and ``methods``.
* Custom domains route by Host and path: an exact path beats a wildcard (``/login/*``, ``/*``)
  and among wildcards the longer prefix wins (UNCONFIRMED precedence,
  docs/reference/fc-api.md#custom-domains). With no custom domain and no http trigger the request is refused
  (404), as FC does.
* Response: the instance's status, headers and body go back to the client
  (docs/reference/fc-runtime.md#responses-and-errors); headers a function must not set (``x-fc-*`` except
  ``x-fc-status``, hop-by-hop ones, ``content-length``, ``date``, ``server``) are dropped. A function that
  crashes yields 502 with FC's JSON error body and ``X-Fc-Error-Type`` (UNCONFIRMED status; clients see an
  error, never a hang).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from fcbackend.api.errors import FcError
from fcbackend.fc3.names import parse_name
from fcbackend.models import HttpRequestInfo, InvocationResult
from fcbackend.triggers.model import TriggerInfo, lookup
from rosengine.clients import fc_signature

PROXY_PREFIX = "/2016-08-15/proxy/"
FORBIDDEN_RESPONSE_HEADERS = frozenset(
    {"connection", "content-length", "date", "keep-alive", "server", "transfer-encoding"}
)
STRIPPED_REQUEST_HEADERS = frozenset({"connection", "keep-alive", "authorization"})


class HttpTriggerError(FcError):
    """An HTTP-trigger request the backend refuses (auth, method, no such trigger), shown to the
    caller like any other FC API error."""


@dataclass(frozen=True)
class ProxyTarget:
    service: str
    qualifier: str
    function: str
    path: str  # what the function sees


def parse_proxy_path(raw_path: str) -> ProxyTarget:
    """Split ``/2016-08-15/proxy/<svc>[.<q>]/<fn>/<rest>`` (raw, still percent-encoded)."""
    if not raw_path.startswith(PROXY_PREFIX):
        raise HttpTriggerError(404, "PathNotSupported", f"{raw_path!r} is not an http trigger path")
    rest = raw_path[len(PROXY_PREFIX) :]
    parts = rest.split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise HttpTriggerError(
            400,
            "InvalidArgument",
            "http trigger paths look like /2016-08-15/proxy/<service>[.<qualifier>]/"
            f"<function>/<path>; got {raw_path!r}",
        )
    service_part, function = unquote(parts[0]), unquote(parts[1])
    service, _, qualifier = service_part.partition(".")
    path = "/" + (parts[2] if len(parts) == 3 else "")
    return ProxyTarget(service, qualifier or "LATEST", function, unquote(path))


def check_method(trigger: TriggerInfo, method: str) -> None:
    methods = trigger.setting("methods", default=None)
    if methods and method.upper() not in {str(m).upper() for m in methods}:
        raise HttpTriggerError(
            405,
            "MethodNotAllowed",
            f"method {method} is not allowed by http trigger '{trigger.name}' "
            f"(allowed: {', '.join(str(m).upper() for m in methods)})",
        )


def auth_type(trigger: TriggerInfo) -> str:
    return str(trigger.setting("authType", default="anonymous") or "anonymous").lower()


def check_signature(
    trigger: TriggerInfo,
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    secret_for: Mapping[str, str],
) -> None:
    """Verify an ``authType: function`` request (docs/reference/fc-api.md#request-signing; the resource
    includes the query). ``path`` is the URL-decoded request path; ``headers`` have lower-cased names."""
    if auth_type(trigger) == "anonymous":
        return
    given = headers.get("authorization")
    if not given:
        raise HttpTriggerError(
            403,
            "AccessDenied",
            f"http trigger '{trigger.name}' requires a signed request (authType function): "
            "the Authorization header is missing",
        )
    parsed = fc_signature.parse_authorization(given)
    if parsed is None:
        raise HttpTriggerError(403, "AccessDenied", "Authorization must be 'FC <AccessKeyID>:<Signature>'")
    key_id, sig = parsed
    secret = secret_for.get(key_id)
    if secret is None:
        raise HttpTriggerError(403, "InvalidAccessKeyID", f"access key id '{key_id}' is not known here")
    queries = parse_qsl(query, keep_blank_values=True)
    text = fc_signature.string_to_sign(method, path, headers, _query_items(queries))
    if fc_signature.signature(secret, text) != sig:
        raise HttpTriggerError(
            403,
            "SignatureNotMatch",
            "the request signature does not match (http triggers sign the path and the sorted query lines)",
        )


def _query_items(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, Any]]:
    # a key without a value signs as just the key (docs/reference/fc-api.md#request-signing)
    return [(k, v if v != "" else []) for k, v in pairs]


def request_info(
    *,
    method: str,
    function_path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    client_ip: str,
    host: str,
    request_uri: str,
) -> HttpRequestInfo:
    kept = [
        (k, v)
        for k, v in headers
        if k.lower() not in STRIPPED_REQUEST_HEADERS and not k.lower().startswith("x-fc-")
    ]
    return HttpRequestInfo(
        method=method.upper(),
        path=function_path,
        query=query,
        headers=kept,
        body=body,
        client_ip=client_ip,
        host=host,
        request_uri=request_uri,
    )


def response_parts(result: InvocationResult) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body to send back for an http-invoke result.

    Platform errors (throttling, start failures) and crashes/timeouts become FC's JSON error with
    ``X-Fc-Error-Type``; anything the function itself answered — even a 4xx/5xx with
    ``x-fc-status`` — goes back as it was sent (docs/reference/fc-runtime.md#responses-and-errors)."""
    base = [("x-fc-request-id", result.request_id)]
    crashed = result.error_type is not None and result.status in (200, 502)
    if result.error_code or crashed:
        status = result.status if result.error_code and result.status >= 400 else 502
        headers = base + [
            ("content-type", "application/json"),
            ("x-fc-error-type", result.error_type or result.error_code or ""),
        ]
        return status, headers, _error_body(result)
    headers = [
        (k, v)
        for k, v in result.headers.items()
        if k.lower() not in FORBIDDEN_RESPONSE_HEADERS
        and (not k.lower().startswith("x-fc-") or k.lower() == "x-fc-status")
    ]
    return result.status, base + headers, result.body


def _error_body(result: InvocationResult) -> bytes:
    try:
        detail = json.loads(result.body)
    except ValueError:
        detail = None
    message = (detail.get("errorMessage") or detail.get("ErrorMessage")) if isinstance(detail, dict) else None
    message = message or result.body[:2048].decode("utf-8", errors="replace") or "the function failed"
    code = result.error_code or "FunctionUnhandledError"
    return json.dumps(
        {
            "ErrorCode": code,
            "ErrorMessage": message,
            "errorCode": code,
            "errorMessage": message,
            "RequestId": result.request_id,
        }
    ).encode()


# -- custom domains -------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainRoute:
    path: str
    service: str
    function: str
    qualifier: str = "LATEST"
    methods: tuple[str, ...] = ()
    # FC 3.0 rewriteConfig: ("equal" | "wildcard", match, replacement), tried in that order
    rewrites: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class RouteMatch:
    route: DomainRoute
    function_path: str


def routes_of(domain_doc: Mapping[str, Any]) -> list[DomainRoute]:
    """Routes from a stored custom domain (keys case-insensitive)."""
    config = lookup(domain_doc, "routeConfig", default={}) or {}
    routes = []
    for raw in lookup(config, "routes", default=[]) or []:
        if not isinstance(raw, Mapping):
            continue
        function = str(lookup(raw, "functionName", default=""))
        service = str(lookup(raw, "serviceName", default=""))
        if not service:  # an FC 3.0 route names only the function (fcbackend.fc3.names)
            ref = parse_name(function)
            service, function = ref.service, ref.function
        routes.append(
            DomainRoute(
                path=str(lookup(raw, "path", default="/*")),
                service=service,
                function=function,
                qualifier=str(lookup(raw, "qualifier", default="") or "LATEST"),
                methods=tuple(str(m).upper() for m in (lookup(raw, "methods", default=[]) or [])),
                rewrites=_rewrites(lookup(raw, "rewriteConfig", default=None)),
            )
        )
    return routes


def _rewrites(config: Any) -> tuple[tuple[str, str, str], ...]:
    if not isinstance(config, Mapping):
        return ()
    out = []
    for kind, key in (("equal", "equalRules"), ("wildcard", "wildcardRules")):
        for rule in lookup(config, key, default=[]) or []:
            if isinstance(rule, Mapping):
                out.append(
                    (
                        kind,
                        str(lookup(rule, "match", default="")),
                        str(lookup(rule, "replacement", default="")),
                    )
                )
    return tuple(out)


def rewrite_path(route: DomainRoute, path: str) -> str:
    """The path the function sees after FC 3.0's rewrite rules: an equal rule replaces exactly
    its path; a wildcard rule's ``*`` captures the rest, ``$1`` in the replacement puts it back.
    The first matching rule wins; no match keeps the path."""
    for kind, match, replacement in route.rewrites:
        if kind == "equal" and path == match:
            return replacement
        if kind == "wildcard" and "*" in match:
            head, _, tail = match.partition("*")
            if path.startswith(head) and path.endswith(tail) and len(path) >= len(head) + len(tail):
                captured = path[len(head) : len(path) - len(tail)]
                return replacement.replace("$1", captured)
    return path


def match_route(routes: Iterable[DomainRoute], path: str, method: str | None = None) -> RouteMatch | None:
    """The best route for ``path``: exact beats wildcard, longer prefix beats shorter."""
    best: tuple[tuple[int, int], DomainRoute] | None = None
    for route in routes:
        if method and route.methods and method.upper() not in route.methods:
            continue
        rank = _rank(route.path, path)
        if rank is not None and (best is None or rank > best[0]):
            best = (rank, route)
    if best is None:
        return None
    route = best[1]
    return RouteMatch(route, rewrite_path(route, path))


def _rank(pattern: str, path: str) -> tuple[int, int] | None:
    if not pattern.endswith("*"):
        return (1, len(pattern)) if pattern == path else None
    prefix = pattern[:-1]
    # '/login/*' also serves '/login' itself
    if path.startswith(prefix) or (prefix.endswith("/") and path == prefix[:-1]):
        return (0, len(prefix))
    return None


def host_matches(domain_name: str, host: str) -> bool:
    host = host.split(":", 1)[0].lower()
    return host == domain_name.lower()
