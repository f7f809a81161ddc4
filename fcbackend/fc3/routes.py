"""The FC 3.0 API (2023-03-30) route table and its router, mounted at ``/2023-03-30``.

Why a router of its own: FC 3.0 clients percent-encode path parameters (the SDK encodes ``/`` and
``:`` in a layer ARN as ``%2F``/``%3A``), and the signature covers the path as sent. A router that
matches on the decoded path cannot tell ``layers/a%2Fb`` from ``layers/a/b``; this one splits the
*raw* path on ``/`` and decodes each segment afterwards. Every error it or a handler raises is
answered in FC 3.0's shape (``{"Code", "Message", "RequestId"}``), unknown paths included.

Signatures are checked before routing, by the API middleware (``fcbackend.api.auth``), for every
path under the prefix except the HTTP trigger URLs (the trigger's ``authType`` decides there).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fcbackend.api.errors import FcError
from fcbackend.asyncq import fc3_tasks
from fcbackend.fc3 import configs, domains, functions, layers, local, misc, proxy, tags, triggers, versions
from fcbackend.fc3.http import error_response, receive_body
from fcbackend.fc3.invoke import run_invocation

PREFIX = "/2023-03-30"
Handler = Callable[[Request], Awaitable[Response]]


async def invoke(request: Request) -> Response:
    """The routed invoke (the warm path usually answers before routing: fcbackend.app)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    status, raw, body = await run_invocation(
        request.app.state,
        request.scope,
        request.receive,
        request.path_params["function"],
        headers,
        str(request.scope.get("fc.request_id", "")),
    )
    response = Response(body, status_code=status)
    response.raw_headers = [(k, v) for k, v in raw if k != b"content-length"] + [
        (b"content-length", b"%d" % len(body))
    ]
    return response


_F = "functions/{function}"
TABLE: list[tuple[str, str, Handler]] = [
    ("POST", f"{_F}/invocations", invoke),
    ("POST", "functions", functions.create_function),
    ("GET", "functions", functions.list_functions),
    ("GET", _F, functions.get_function),
    ("PUT", _F, functions.update_function),
    ("DELETE", _F, functions.delete_function),
    ("GET", f"{_F}/code", functions.get_function_code),
    ("POST", f"{_F}/invoke/disable", functions.disable_invocation),
    ("POST", f"{_F}/invoke/enable", functions.enable_invocation),
    ("POST", f"{_F}/versions", versions.publish_version),
    ("GET", f"{_F}/versions", versions.list_versions),
    ("DELETE", f"{_F}/versions/{{version}}", versions.delete_version),
    ("POST", f"{_F}/aliases", versions.create_alias),
    ("GET", f"{_F}/aliases", versions.list_aliases),
    ("GET", f"{_F}/aliases/{{alias}}", versions.get_alias),
    ("PUT", f"{_F}/aliases/{{alias}}", versions.update_alias),
    ("DELETE", f"{_F}/aliases/{{alias}}", versions.delete_alias),
    ("POST", f"{_F}/triggers", triggers.create_trigger),
    ("GET", f"{_F}/triggers", triggers.list_triggers),
    ("GET", f"{_F}/triggers/{{trigger}}", triggers.get_trigger),
    ("PUT", f"{_F}/triggers/{{trigger}}", triggers.update_trigger),
    ("DELETE", f"{_F}/triggers/{{trigger}}", triggers.delete_trigger),
    ("PUT", f"{_F}/async-invoke-config", configs.put_async_invoke_config),
    ("GET", f"{_F}/async-invoke-config", configs.get_async_invoke_config),
    ("DELETE", f"{_F}/async-invoke-config", configs.delete_async_invoke_config),
    ("GET", "async-invoke-configs", configs.list_async_invoke_configs),
    ("GET", f"{_F}/async-tasks", fc3_tasks.list_async_tasks),
    ("GET", f"{_F}/async-tasks/{{task_id}}", fc3_tasks.get_async_task),
    ("PUT", f"{_F}/async-tasks/{{task_id}}/stop", fc3_tasks.stop_async_task),
    ("PUT", f"{_F}/concurrency", configs.put_concurrency_config),
    ("GET", f"{_F}/concurrency", configs.get_concurrency_config),
    ("DELETE", f"{_F}/concurrency", configs.delete_concurrency_config),
    ("GET", "concurrency-configs", configs.list_concurrency_configs),
    ("PUT", f"{_F}/provision-config", configs.put_provision_config),
    ("GET", f"{_F}/provision-config", configs.get_provision_config),
    ("DELETE", f"{_F}/provision-config", configs.delete_provision_config),
    ("GET", "provision-configs", configs.list_provision_configs),
    ("POST", f"{_F}/vpc-bindings", misc.create_vpc_binding),
    ("GET", f"{_F}/vpc-bindings", misc.list_vpc_bindings),
    ("DELETE", f"{_F}/vpc-bindings/{{vpc}}", misc.delete_vpc_binding),
    ("GET", f"{_F}/instances", misc.list_instances),
    ("GET", "layers", layers.list_layers),
    ("POST", "layers/{layer}/versions", layers.create_layer_version),
    ("GET", "layers/{layer}/versions", layers.list_layer_versions),
    ("GET", "layers/{layer}/versions/{version}", layers.get_layer_version),
    ("DELETE", "layers/{layer}/versions/{version}", layers.delete_layer_version),
    ("PUT", "layers/{layer}/acl", layers.put_layer_acl),
    ("GET", "layerarn/{arn}", layers.get_layer_version_by_arn),
    ("POST", "custom-domains", domains.create_custom_domain),
    ("GET", "custom-domains", domains.list_custom_domains),
    ("GET", "custom-domains/{domain}", domains.get_custom_domain),
    ("PUT", "custom-domains/{domain}", domains.update_custom_domain),
    ("DELETE", "custom-domains/{domain}", domains.delete_custom_domain),
    ("POST", "tags-v2", tags.tag_resources),
    ("DELETE", "tags-v2", tags.untag_resources),
    ("GET", "tags-v2", tags.list_tag_resources),
    ("GET", "regions", misc.describe_regions),
    ("PUT", "resource-groups", misc.change_resource_group),
    ("GET", "local/functions", local.functions),
    ("GET", "local/triggers", local.triggers),
    ("GET", "local/invocations", local.invocations),
    ("GET", "local/logs/{function}", local.logs),
    ("GET", "local/instances", local.instances),
    ("GET", "local/metrics", local.metrics),
    ("GET", "local/async-tasks", local.async_tasks),
    ("POST", "local/trigger-events/{function}/{trigger}", local.trigger_event),
]
# Operations of the 2023-03-30 API this backend refuses (501), by path: sessions, snapshots,
# scaling configs.
for _method, _path, _op in (
    ("POST", f"{_F}/sessions", "CreateSession"),
    ("GET", f"{_F}/sessions", "ListSessions"),
    ("GET", f"{_F}/sessions/{{session}}", "GetSession"),
    ("PUT", f"{_F}/sessions/{{session}}", "UpdateSession"),
    ("DELETE", f"{_F}/sessions/{{session}}", "DeleteSession"),
    ("PUT", f"{_F}/sessions/{{session}}/pause", "PauseSession"),
    ("PUT", f"{_F}/sessions/{{session}}/resume", "ResumeSession"),
    ("POST", f"{_F}/snapshots", "CreateSnapshot"),
    ("GET", f"{_F}/snapshots/{{snapshot}}", "GetSnapshot"),
    ("DELETE", f"{_F}/snapshots/{{snapshot}}", "DeleteSnapshot"),
    ("GET", "snapshots", "ListSnapshots"),
    ("PUT", f"{_F}/scaling-config", "PutScalingConfig"),
    ("GET", f"{_F}/scaling-config", "GetScalingConfig"),
    ("DELETE", f"{_F}/scaling-config", "DeleteScalingConfig"),
    ("GET", "scaling-configs", "ListScalingConfigs"),
):
    TABLE.append((_method, _path, misc.not_supported(_op)))


@dataclass(frozen=True)
class Fc3Route:
    method: str
    parts: tuple[str, ...]  # literal segments, or "{name}" for a parameter
    handler: Handler

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.parts):
            return None
        params: dict[str, str] = {}
        for part, segment in zip(self.parts, segments, strict=True):
            if part.startswith("{"):
                if not segment:
                    return None
                params[part[1:-1]] = unquote(segment)
            elif part != segment:
                return None
        return params


ROUTES = [Fc3Route(method, tuple(path.split("/")), handler) for method, path, handler in TABLE]


class Fc3Router:
    """ASGI app for everything under ``/2023-03-30`` (see the module doc)."""

    def __init__(self, routes: list[Fc3Route]):
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self._dispatch(scope, receive)
        except FcError as err:
            response = error_response(Request(scope, receive), err)
        await response(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive) -> Response:
        raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        if raw.startswith(proxy.PROXY_PREFIX):
            return await proxy.proxy(Request(scope, receive))
        if not raw.startswith(PREFIX + "/"):
            raise FcError(404, "PathNotSupported", f"no FC 3.0 API operation at {scope['method']} {raw}")
        segments = raw[len(PREFIX) + 1 :].rstrip("/").split("/")
        allowed = []
        for route in self.routes:
            params = route.match(segments)
            if params is None:
                continue
            if route.method != scope["method"]:
                allowed.append(route.method)
                continue
            scope["path_params"] = params
            if route.handler is not invoke:  # size bound and x-acs-content-sha256, for every operation
                receive = await receive_body(scope, receive)
            return await route.handler(Request(scope, receive))
        if allowed:
            raise FcError(
                405,
                "MethodNotAllowed",
                f"{scope['method']} is not supported on {raw} (allowed: {', '.join(allowed)})",
            )
        raise FcError(404, "PathNotSupported", f"no FC 3.0 API operation at {scope['method']} {raw}")
