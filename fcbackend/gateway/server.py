"""The gateway's listeners and connections, in the backend's own event loop.

Three kinds of listener, all answering through :class:`~fcbackend.gateway.routing.GatewayRouter`:

* **proxy** — an HTTP forward proxy (what ``HTTP_PROXY``/``HTTPS_PROXY`` point at). A request in
  absolute form (``GET http://host/path``) is routed by host. ``CONNECT host:port`` to an Alibaba
  Cloud host is accepted and the tunnel's TLS is terminated with a certificate for that host from
  the local CA (:mod:`fcbackend.gateway.ca`); the requests inside are then routed like any other.
  ``CONNECT`` to any other host becomes a byte-for-byte tunnel when the listener's policy allows the
  Internet, and a ``403`` whose reason phrase says why otherwise;
* **http** and **https** — for callers that reach the gateway by name resolution (a hosts entry
  maps an ``aliyuncs.com`` name to the gateway's address): plain HTTP on port 80, and TLS on 443
  with the certificate chosen by the client's SNI name.

Why uvicorn's HTTP protocol behind our own front: requests inside a tunnel are ordinary HTTP/1.1,
and uvicorn's protocol (the one the backend itself serves with) parses them; only ``CONNECT`` and
the TLS hand-over need code of our own. Each connection's protocol gets the router wrapped with its
:class:`~fcbackend.gateway.routing.ConnectionInfo` (which policy, which CONNECT target).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any, cast

import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from fcbackend.gateway.ca import LocalCa
from fcbackend.gateway.hosts import classify, host_name
from fcbackend.gateway.routing import (
    SCOPE_KEY,
    ConnectionInfo,
    GatewayRouter,
    Policy,
    is_loopback_target,
    resolve,
)
from fcbackend.http_protocol import CoalescingHttpToolsProtocol

MAX_HEAD = 64 * 1024
HEAD_TIMEOUT_S = 30.0  # a connection that sends no complete request head by then is closed
TLS_HANDSHAKE_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 30.0
_log = logging.getLogger("fcbackend.gateway")


class _ConnectionApp:
    """The router, told which connection a request came on."""

    __slots__ = ("router", "info")

    def __init__(self, router: GatewayRouter, info: ConnectionInfo):
        self.router = router
        self.info = info

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SCOPE_KEY] = self.info
        await self.router(scope, receive, send)


class _GatewayHttpProtocol(CoalescingHttpToolsProtocol):
    """uvicorn's HTTP protocol serving one gateway connection's app."""

    def __init__(self, config: uvicorn.Config, state: ServerState, app: _ConnectionApp):
        super().__init__(config=config, server_state=state, app_state={})
        self.app = app


class _Pipe(asyncio.Protocol):
    """One direction of a byte tunnel: what arrives here is written to ``peer``; back-pressure
    on the peer pauses reading here."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: asyncio.Transport | None = None
        self.early: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        if self.peer is None:
            self.early.append(data)
        else:
            self.peer.write(data)

    def eof_received(self) -> bool | None:
        if self.peer is not None and self.peer.can_write_eof():
            self.peer.write_eof()
            return True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None:
            self.peer.close()

    def pause_writing(self) -> None:
        if self.peer is not None:
            self.peer.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None:
            self.peer.resume_reading()


class _Holding(asyncio.Protocol):
    """Keeps what arrives on a fresh TLS connection until its real protocol is attached: a TLS
    1.3 client sends its first request in the same flight as its handshake's end, before the
    coroutine that awaited the handshake runs again."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.eof = False
        self.lost = False

    def data_received(self, data: bytes) -> None:
        self.data.append(data)

    def eof_received(self) -> bool | None:
        self.eof = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True

    def hand_over(self, transport: asyncio.Transport, protocol: asyncio.Protocol) -> None:
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        for chunk in self.data:
            protocol.data_received(chunk)
        if self.eof:
            protocol.eof_received()
        if self.lost:
            protocol.connection_lost(None)


class _ProxyFront(asyncio.Protocol):
    """Reads the first request head of a proxy connection and hands the connection on."""

    def __init__(self, gateway: GatewayServer, policy: Policy):
        self.gateway = gateway
        self.policy = policy
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self.timer = asyncio.get_running_loop().call_later(HEAD_TIMEOUT_S, self.transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._fail(431, "Request Header Fields Too Large")
            return
        if self.timer is not None:
            self.timer.cancel()
        line = bytes(self.buffer[: self.buffer.find(b"\r\n")])
        parts = line.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self._fail(400, "Bad Request")
            return
        if parts[0] == b"CONNECT":
            self.transport.pause_reading()
            rest = bytes(self.buffer[end + 4 :])
            target = parts[1].decode("latin-1")
            self.task = asyncio.get_running_loop().create_task(
                self.gateway.connect(self.transport, target, rest, self.policy)
            )
            self.gateway.track(self.task)
            return
        protocol = self.gateway.http_protocol(ConnectionInfo(self.policy))
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        protocol.data_received(bytes(self.buffer))

    def _fail(self, status: int, reason: str) -> None:
        assert self.transport is not None
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        self.transport.close()


class GatewayServer:
    """Serves gateway listeners on sockets bound elsewhere (the backend's own port, or a socket
    created inside a function's network namespace)."""

    def __init__(self, router: GatewayRouter, ca: LocalCa):
        self.router = router
        self.ca = ca
        self.config = uvicorn.Config(
            router,
            lifespan="off",
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_keep_alive=75,
            http="httptools",
            ws="none",
        )
        self.config.load()
        self.state = ServerState()
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        # The event loop serving the listeners (the backend's), once one is served.
        self.loop: asyncio.AbstractEventLoop | None = None

    def track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def http_protocol(self, info: ConnectionInfo) -> _GatewayHttpProtocol:
        return _GatewayHttpProtocol(self.config, self.state, _ConnectionApp(self.router, info))

    async def serve(self, sock: socket.socket, kind: str, policy: Policy) -> asyncio.Server:
        """Serve ``sock`` (bound and listening) as a ``proxy``, ``http`` or ``https`` listener."""
        loop = self.loop = asyncio.get_running_loop()
        sock.setblocking(False)
        if kind == "proxy":
            server = await loop.create_server(lambda: _ProxyFront(self, policy), sock=sock)
        elif kind == "http":
            server = await loop.create_server(lambda: self.http_protocol(ConnectionInfo(policy)), sock=sock)
        elif kind == "https":
            context = self.ca.sni_context("aliyuncs.com")
            server = await loop.create_server(
                lambda: self.http_protocol(ConnectionInfo(policy)),
                sock=sock,
                ssl=context,
                ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT_S,
            )
        else:
            raise ValueError(f"unknown gateway listener kind {kind!r}")
        self._servers.append(server)
        return server

    def forget(self, server: asyncio.Server) -> None:
        """Stop one listener (its connections finish on their own)."""
        server.close()
        with contextlib.suppress(ValueError):
            self._servers.remove(server)

    async def connect(self, transport: asyncio.Transport, target: str, rest: bytes, policy: Policy) -> None:
        """Answer ``CONNECT target``: terminate TLS for an Alibaba Cloud host, tunnel (or refuse)
        any other."""
        host = host_name(target)
        port_text = target.rsplit(":", 1)[1] if ":" in target and not target.endswith("]") else "443"
        port = int(port_text) if port_text.isdigit() else 443
        destination = classify(host)
        try:
            if destination.is_aliyun:
                await self._terminate(transport, host, port, rest, policy)
            else:
                await self._tunnel(transport, host, port, rest, policy)
        except Exception as exc:  # a broken client: close its connection, keep serving others
            _log.debug("gateway CONNECT %s failed: %s", target, exc)
            transport.close()

    async def _terminate(
        self, transport: asyncio.Transport, host: str, port: int, rest: bytes, policy: Policy
    ) -> None:
        loop = asyncio.get_running_loop()
        protocol = self.http_protocol(ConnectionInfo(policy, connect_host=host))
        transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if port == 80:  # plain HTTP inside the tunnel
            transport.set_protocol(protocol)
            protocol.connection_made(transport)
            if rest:
                protocol.data_received(rest)
            transport.resume_reading()
            return
        if rest:  # the client did not wait for our answer before starting TLS: not a real client
            transport.close()
            return
        context = self.ca.context_for(host)
        holding = _Holding()
        tls = await loop.start_tls(
            transport, holding, context, server_side=True, ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT_S
        )
        if tls is None:
            return
        holding.hand_over(tls, protocol)

    async def _tunnel(
        self, transport: asyncio.Transport, host: str, port: int, rest: bytes, policy: Policy
    ) -> None:
        loop = asyncio.get_running_loop()
        if not policy.allow_internet:
            self._refuse(
                transport, f"{host} is not an Alibaba Cloud service and {policy.who} has no Internet access"
            )
            return
        try:
            addresses = await resolve(host, port)
        except OSError:
            self._refuse(transport, f"cannot resolve {host}", status=502)
            return
        if is_loopback_target(host, addresses):
            self._refuse(transport, f"the gateway does not tunnel to this machine ({host})")
            return
        try:
            upstream, pipe_up = await asyncio.wait_for(
                loop.create_connection(_Pipe, addresses[0], port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            self._refuse(transport, f"cannot connect to {host}:{port} ({exc})", status=502)
            return
        pipe_down = _Pipe()
        pipe_down.connection_made(transport)
        pipe_down.peer = upstream
        transport.set_protocol(pipe_down)
        transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        for chunk in pipe_up.early:  # a server that spoke first
            transport.write(chunk)
        pipe_up.peer = transport
        if rest:
            upstream.write(rest)
        transport.resume_reading()

    @staticmethod
    def _refuse(transport: asyncio.Transport, why: str, status: int = 403) -> None:
        reason = why.replace("\r", " ").replace("\n", " ")
        body = (why + "\n").encode()
        transport.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode("latin-1", "replace")
            + body
        )
        transport.close()

    async def close(self) -> None:
        for server in list(self._servers):
            server.close()
        self._servers.clear()
        for connection in list(self.state.connections):
            connection.shutdown()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.router.close()
