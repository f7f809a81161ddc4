"""The gateway of one backend: its CA, router, listeners and what functions are given to reach it.

Why the proxy socket is bound when the gateway is built (not when it starts): the backend writes
its port into ``backend.json`` and into every function's ``HTTP_PROXY`` before the event loop
serves anything. Like the backend's own port, the gateway's is remembered per state directory
(``gateway-port``) and reused when free, so exported ``HTTPS_PROXY`` settings survive a restart.

Listeners on the host: the proxy on the backend's host (``127.0.0.1`` by default) and, where the
backend may bind privileged ports (root), ports 80 and 443 on :func:`gateway_address`, for the
name-resolution path. Callers of host listeners are the user's own tools and functions that share
the host's network, which reach the Internet anyway: their policy lets non-Alibaba hosts through.
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import Any

from fcbackend.gateway.ca import LocalCa
from fcbackend.gateway.function_network import (
    HTTP_PORT,
    HTTPS_PORT,
    FunctionNetwork,
    bind_host_listener,
    gateway_address,
    known_hosts,
)
from fcbackend.gateway.routing import GatewayRouter, Policy, Twins
from fcbackend.gateway.server import GatewayServer

PORT_FILE = "gateway-port"
DIRECTORY = "gateway"


def _remembered_port(state_dir: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        port = int((state_dir / PORT_FILE).read_text().strip())
        if 0 < port < 65536:
            return port
    return None


def _bind_proxy(host: str, state_dir: Path) -> socket.socket:
    previous = _remembered_port(state_dir)
    sock = bind_host_listener(host, previous) if previous else None
    if sock is None:
        sock = bind_host_listener(host, 0)
    if sock is None:
        raise OSError(f"the gateway cannot listen on {host}")
    with contextlib.suppress(OSError):
        (state_dir / PORT_FILE).write_text(f"{sock.getsockname()[1]}\n")
    return sock


class Gateway:
    def __init__(self, state_dir: Path, *, host: str, twins: Twins, region: str, account_id: str):
        self.state_dir = Path(state_dir)
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else ("::1" if host == "::" else host)
        self.ca = LocalCa(self.state_dir / DIRECTORY)
        self.address = gateway_address(self.state_dir)
        self.router = GatewayRouter(twins, own_hosts=frozenset({self.address}))
        self.server = GatewayServer(self.router, self.ca)
        self._proxy_socket = _bind_proxy(host, self.state_dir)
        self.port: int = self._proxy_socket.getsockname()[1]
        self.network = FunctionNetwork(
            self.server,
            proxy_port=self.port,
            address=self.address,
            directory=self.state_dir / DIRECTORY,
            names=known_hosts(region, account_id),
        )
        # Ports 80 and 443 of the gateway's address for the name-resolution path (root only).
        self._transparent = [
            (sock, kind)
            for port, kind in ((HTTP_PORT, "http"), (HTTPS_PORT, "https"))
            if (sock := bind_host_listener(self.address, port)) is not None
        ]
        if len(self._transparent) < 2:
            for sock, _ in self._transparent:
                sock.close()
            self._transparent = []
        self.name_resolution = bool(self._transparent)

    @property
    def own_url(self) -> str | None:
        """``http://<gateway address>``: the same URL reaches the gateway from this machine, from
        sandboxes with a network of their own and from containers (its port 80 is listened on in
        each); None where the gateway cannot listen there (not root)."""
        return f"http://{self.address}" if self.name_resolution else None

    @property
    def proxy_url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}"

    async def start(self) -> None:
        host_policy = Policy(allow_internet=True, who="a caller on this machine")
        await self.server.serve(self._proxy_socket, "proxy", host_policy)
        for sock, kind in self._transparent:
            await self.server.serve(sock, kind, host_policy)

    async def close(self) -> None:
        await self.server.close()
        for sock in [self._proxy_socket, *(s for s, _ in self._transparent)]:
            with contextlib.suppress(OSError):
                sock.close()

    def info(self) -> dict[str, Any]:
        """What ``backend.json`` and ``ros fc status`` show about the gateway."""
        return {
            "proxy": self.proxy_url,
            "caFile": str(self.ca.cert_path),
            "caBundle": str(self.ca.bundle_path),
            "gatewayAddress": self.address,
            # Whether functions with a network of their own reach the gateway (needs root), and
            # whether names resolve to it (ports 80/443 of gatewayAddress).
            "gatewayInFunctionNamespaces": self.network.can_attach,
            "gatewayNameResolution": self.name_resolution,
        }
