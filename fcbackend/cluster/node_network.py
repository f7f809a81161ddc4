"""How functions on a cluster node reach the ``*.aliyuncs.com`` gateway of the API process that
started them.

Why: the gateway (the twins' front: OSS, STS, SLS, RAM, FC, ROS callbacks) lives in each API
process, so an instance on another node must be given what a local one is given — proxy
variables, the gateway's CA in its trust stores, names resolved to the gateway for runtimes that
ignore proxies — pointing at an address of that API process the node can reach.

* The API process **advertises** its gateway (:func:`advertise_gateway`): three extra listeners of
  the same gateway (proxy, plain HTTP, TLS) on the address the nodes reach it at (its Ray node
  address, or ``--advertise-address``), and a :class:`GatewayOffer` with those addresses, its CA
  certificate and the names the hosts file maps. The node agent keeps one offer per API process.
* On the node, :class:`NodeNetwork` is the drivers'
  :class:`~fcbackend.instances.network.InstanceNetwork`: one CA bundle (every API process's CA and
  the node's public roots) and one hosts file (the regional names → a loopback address of the
  node's own), both bound into every sandbox as locally; where the agent may bind ports 80 and 443
  (root) it listens there and carries the bytes to the plain-HTTP and TLS listeners of the API
  process that offered last. The proxy variables are per API process: the agent puts them into
  the function's variables before the driver adds the rest (:meth:`NodeNetwork.proxy_environment`).

Files bound into pre-started sandboxes are rewritten in place (same inode), so a sandbox started
before an offer arrived sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import pickle
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fcbackend.cluster.relay import pipe
from fcbackend.gateway.ca import system_roots
from fcbackend.gateway.function_network import (
    HTTP_PORT,
    HTTPS_PORT,
    FunctionNetwork,
    bind_host_listener,
    gateway_address,
    hosts_file_text,
)
from fcbackend.gateway.routing import Policy
from fcbackend.instances.network import CONTAINER_CA_BUNDLE, SANDBOX_CA_BUNDLE, NetworkAttachment

log = logging.getLogger(__name__)
_CA_VARIABLES = (
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "ALIBABA_CLOUD_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "CURL_CA_BUNDLE",
)
_PEM_END = b"-----END CERTIFICATE-----"


@dataclass(frozen=True)
class GatewayOffer:
    """Where an API process's gateway answers functions on other nodes."""

    proxy: tuple[str, int]
    http: tuple[str, int]
    https: tuple[str, int]
    ca_pem: bytes
    names: tuple[str, ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256(pickle.dumps(self, protocol=4)).hexdigest()[:16]

    @property
    def proxy_url(self) -> str:
        host, port = self.proxy
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"


async def advertise_gateway(network: FunctionNetwork, host: str) -> tuple[GatewayOffer, list[asyncio.Server]]:
    """Listen for functions on other nodes on ``host`` (proxy, HTTP, TLS; free ports) with the
    gateway behind ``network``; the offer the nodes get and the listeners (closed with the
    gateway). Functions on nodes are served as callers on the API process's machine are: hosts
    outside Alibaba Cloud pass, as they would from the node itself."""
    policy = Policy(allow_internet=True, who="a function on a cluster node")
    servers: list[asyncio.Server] = []
    addresses: list[tuple[str, int]] = []
    for kind in ("proxy", "http", "https"):
        sock = bind_host_listener(host, 0)
        if sock is None:
            for server in servers:
                network.gateway.forget(server)
            raise OSError(f"the gateway cannot listen on {host} for the cluster's nodes")
        addresses.append((host, int(sock.getsockname()[1])))
        servers.append(await network.gateway.serve(sock, kind, policy))
    ca_pem = network.gateway.ca.cert_path.read_bytes()
    offer = GatewayOffer(addresses[0], addresses[1], addresses[2], ca_pem, tuple(network.names))
    return offer, servers


class NodeNetwork:
    """Implements :class:`~fcbackend.instances.network.InstanceNetwork` on a node, for the
    gateways of every API process that offered one."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.address = gateway_address(directory)
        self.bundle_path = directory / "ca-bundle.pem"
        self.hosts_path = directory / "hosts"
        self._offers: dict[str, GatewayOffer] = {}  # by owner
        self._latest: GatewayOffer | None = None
        self._roots = system_roots()
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()
        self._write()

    # ------------------------------------------------------------- offers

    def knows(self, owner: str, digest: str) -> bool:
        offer = self._offers.get(owner)
        return offer is not None and offer.digest == digest

    def offer(self, owner: str, offer: GatewayOffer) -> None:
        self._offers[owner] = offer
        self._latest = offer
        self._write()

    def proxy_environment(self, owner: str) -> dict[str, str]:
        offer = self._offers.get(owner)
        if offer is None:
            return {}
        url = offer.proxy_url
        return {"HTTP_PROXY": url, "http_proxy": url, "HTTPS_PROXY": url, "https_proxy": url}

    def _write(self) -> None:
        certificates: list[bytes] = []
        names: list[str] = []
        for offer in self._offers.values():
            for pem in _certificates(offer.ca_pem):
                if pem not in certificates:
                    certificates.append(pem)
            names += [n for n in offer.names if n not in names]
        bundle = b"\n".join(certificates) + b"\n" + self._roots
        _write_in_place(self.bundle_path, bundle)
        _write_in_place(self.hosts_path, hosts_file_text(self.address, names).encode())

    # ------------------------------------------------------------- ports 80 and 443

    async def start(self) -> None:
        """Listen on ports 80 and 443 of :attr:`address` (both or neither; needs root)."""
        if self._servers:
            return
        sockets = [bind_host_listener(self.address, port) for port in (HTTP_PORT, HTTPS_PORT)]
        if any(sock is None for sock in sockets):
            for sock in sockets:
                if sock is not None:
                    sock.close()
            log.info("no name resolution for functions on this node: ports 80/443 of %s", self.address)
            return
        for sock, kind in zip(sockets, ("http", "https"), strict=True):
            assert sock is not None
            sock.setblocking(False)
            self._servers.append(await asyncio.start_server(self._relay_to(kind), sock=sock))

    def _relay_to(self, kind: str) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            offer = self._latest
            if offer is None:
                writer.close()
                return
            host, port = offer.http if kind == "http" else offer.https
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
            except OSError as exc:
                log.warning("the gateway at %s:%d does not answer: %s", host, port, exc)
                writer.close()
                return
            up = asyncio.ensure_future(pipe(reader, upstream_writer))
            down = asyncio.ensure_future(pipe(upstream_reader, writer))
            for task in (up, down):
                self._connections.add(task)
                task.add_done_callback(self._connections.discard)
            await asyncio.gather(up, down, return_exceptions=True)
            for closing in (writer, upstream_writer):
                with contextlib.suppress(Exception):
                    closing.close()

        return serve

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        self._servers.clear()
        for task in list(self._connections):
            task.cancel()

    # ------------------------------------------------------------- InstanceNetwork

    @property
    def host_ca_bundle(self) -> str:
        return str(self.bundle_path)

    @property
    def can_attach(self) -> bool:
        return False

    def environment(self, ca_path: str) -> dict[str, str]:
        """The trust stores and NO_PROXY; the proxy itself depends on which API process started
        the instance (:meth:`proxy_environment`)."""
        env = {"NO_PROXY": "localhost,127.0.0.1,::1", "no_proxy": "localhost,127.0.0.1,::1"}
        env.update(dict.fromkeys(_CA_VARIABLES, ca_path))
        return env

    def sandbox_binds(self) -> list[tuple[str, str]]:
        return [(str(self.hosts_path), "/etc/hosts"), (str(self.bundle_path), SANDBOX_CA_BUNDLE)]

    def container_binds(self) -> list[str]:
        return [f"{self.bundle_path}:{CONTAINER_CA_BUNDLE}:ro"]

    def extra_hosts(self) -> list[str]:
        return []

    async def attach(self, pid: int, reserved_ports: frozenset[int]) -> NetworkAttachment | None:
        return None


def _certificates(pem: bytes) -> list[bytes]:
    return [part.strip() + b"\n" + _PEM_END for part in pem.split(_PEM_END) if part.strip()]


def _write_in_place(path: Path, data: bytes) -> None:
    """Rewrite ``path`` keeping its inode: sandboxes have it bound, a new file would not show."""
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:
            return
    with open(path, "wb") as fh:
        fh.write(data)
    path.chmod(0o644)
