"""What the gateway does with one HTTP request, once it has one (after CONNECT and TLS, or as a
plain proxy request): an ASGI application deciding by host.

* a host of a service that has a twin (:class:`Twins`): the twin's ASGI application answers, with
  the request exactly as the caller sent it (``Host`` included: twins take buckets and projects
  from it, and signatures cover it);
* any other ``*.aliyuncs.com`` host: at once, ``501`` with ``NotEmulated`` and the message
  ``not emulated locally: <service> (<host>)``, as XML for OSS-style services and as JSON for the
  others (the JSON carries the key spellings of RPC, ROA, FC and SLS errors, so each SDK finds its
  own) — never a hang, never the real cloud;
* any other host: forwarded as a plain HTTP proxy would when the connection's policy allows the
  Internet (:class:`ConnectionInfo`), refused with ``403`` naming why otherwise. The gateway
  never forwards to this machine's own addresses (loopback), nor a request it forwarded itself
  (``Via: 1.1 rosengine-gateway``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from starlette.types import ASGIApp, Receive, Scope, Send

from fcbackend.gateway.hosts import Destination, classify, host_name

SCOPE_KEY = "rosengine.gateway"
VIA = "1.1 rosengine-gateway"
MAX_FORWARDED_BODY = 64 * 1024 * 1024
FORWARD_TIMEOUT_S = 300.0
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass
class Policy:
    """What a listener lets its callers reach besides the twins; the sandbox listeners' policy
    changes when their worker is specialised for a function."""

    allow_internet: bool
    who: str = "this caller"


@dataclass(frozen=True)
class ConnectionInfo:
    policy: Policy
    connect_host: str = ""  # the CONNECT target, when the request came through a tunnel


@dataclass
class Twins:
    """The ASGI application serving each emulated service (``oss``, ``sls``, ``sts``, ``ram``,
    ``fc``); a service missing here answers "not emulated"."""

    apps: dict[str, ASGIApp] = field(default_factory=dict)
    # Paths of the backend's own that the gateway serves on its own address, whatever the network
    # of the caller (ROS callbacks: WaitCondition handles and custom-resource responses), by prefix.
    local_paths: dict[str, ASGIApp] = field(default_factory=dict)

    def add(self, service: str, app: ASGIApp) -> None:
        self.apps[service] = app

    def add_local_path(self, prefix: str, app: ASGIApp) -> None:
        """Serve requests for ``prefix`` (and below) addressed to the gateway itself with ``app``."""
        self.local_paths[prefix] = app

    def local_app(self, path: str) -> ASGIApp | None:
        for prefix, app in self.local_paths.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app
        return None

    def __contains__(self, service: object) -> bool:
        return service in self.apps


def request_id() -> str:
    return secrets.token_hex(12).upper()


def not_emulated_body(destination: Destination, rid: str) -> tuple[bytes, str]:
    service = destination.service or "aliyuncs"
    message = (
        f"not emulated locally: {service} ({destination.host}) — rosengine has no local twin for this "
        "Alibaba Cloud service, and the request was not sent to the cloud"
    )
    if destination.speaks_xml:
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotEmulated</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{rid}</RequestId>"
            f"<HostId>{escape(destination.host)}</HostId></Error>"
        )
        return xml.encode(), "application/xml"
    document = {
        "Code": "NotEmulated",
        "Message": message,
        "RequestId": rid,
        "HostId": destination.host,
        "ErrorCode": "NotEmulated",
        "ErrorMessage": message,
        "errorCode": "NotEmulated",
        "errorMessage": message,
        "code": "NotEmulated",
        "message": message,
    }
    return json.dumps(document, ensure_ascii=False).encode(), "application/json"


async def answer(
    send: Send, status: int, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def is_loopback_target(host: str, addresses: list[str]) -> bool:
    """Whether ``host`` or any address it resolves to is this machine (loopback or unspecified)."""
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            continue
        if ip.is_loopback or ip.is_unspecified:
            return True
    return False


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` (an IP literal resolves to itself)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GatewayRouter:
    """The ASGI application behind every gateway connection (see the module docstring)."""

    def __init__(self, twins: Twins, own_hosts: frozenset[str] = frozenset()):
        self.twins = twins
        # The gateway's own addresses: a request for one of them is for the gateway itself.
        self.own_hosts = own_hosts
        self._client: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        info: ConnectionInfo = scope[SCOPE_KEY]
        host = ""
        via = ""
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
            elif key == b"via":
                via = value.decode("latin-1")
        destination = classify(host or info.connect_host)
        if destination.host in self.own_hosts:
            local = self.twins.local_app(scope.get("path", ""))
            if local is not None:
                await local(scope, receive, send)
                return
            await self._refuse(
                send, 404, "NotFound", f"the gateway itself serves nothing at {scope.get('path')}"
            )
            return
        if destination.is_aliyun:
            app = self.twins.apps.get(destination.service or "")
            if app is not None:
                await app(scope, receive, send)
                return
            rid = request_id()
            body, content_type = not_emulated_body(destination, rid)
            await answer(
                send, 501, body, content_type, {"x-rosengine-not-emulated": destination.service or ""}
            )
            return
        if VIA in via:
            await self._refuse(
                send, 508, "LoopDetected", "the request came back to the gateway that forwarded it"
            )
            return
        if not info.policy.allow_internet:
            await self._refuse(
                send,
                403,
                "InternetAccessDenied",
                f"{destination.host} is not an Alibaba Cloud service, and {info.policy.who} has no Internet "
                "access (internetAccess is false): the gateway only reaches the local twins",
            )
            return
        await self._forward(scope, receive, send, destination)

    async def _refuse(self, send: Send, status: int, code: str, message: str) -> None:
        body = json.dumps({"Code": code, "Message": message, "RequestId": request_id()}).encode()
        await answer(send, status, body, "application/json")

    async def _forward(self, scope: Scope, receive: Receive, send: Send, destination: Destination) -> None:
        """Plain HTTP proxying to the Internet: the request as received, hop-by-hop headers
        dropped, the response streamed back."""
        import httpx

        scheme = "http"
        port = 80
        host_header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), destination.host
        )
        if ":" in host_header and not host_header.endswith("]"):
            with_port = host_header.rsplit(":", 1)[1]
            port = int(with_port) if with_port.isdigit() else 80
        try:
            addresses = await resolve(destination.host, port)
        except OSError as exc:
            await self._refuse(send, 502, "NameResolutionFailed", f"cannot resolve {destination.host}: {exc}")
            return
        if is_loopback_target(destination.host, addresses):
            await self._refuse(
                send,
                403,
                "LoopbackRefused",
                f"the gateway does not forward to this machine ({destination.host})",
            )
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_FORWARDED_BODY:
                await self._refuse(send, 413, "RequestTooLarge", "the gateway forwards bodies up to 64 MiB")
                return
            more = message.get("more_body", False)
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in _HOP_BY_HOP
        ]
        headers.append(("via", VIA))
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = f"{scheme}://{host_name(host_header)}:{port}{path.decode('latin-1')}"
        if query:
            url += "?" + query.decode("latin-1")
        if self._client is None:
            self._client = httpx.AsyncClient(
                trust_env=False, timeout=FORWARD_TIMEOUT_S, follow_redirects=False
            )
        try:
            request = self._client.build_request(scope["method"], url, headers=headers, content=bytes(body))
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await self._refuse(send, 502, "BadGateway", f"forwarding to {destination.host} failed: {exc}")
            return
        try:
            out_headers = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in response.headers.multi_items()
                if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
            ]
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": out_headers}
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
