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
  process that offered last (or, where it has gone, the newest that still answers). The proxy
  variables are per API process: the agent puts them into the function's variables before the
  driver adds the rest (:meth:`NodeNetwork.proxy_environment`).

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
from fcbackend.gateway.netns import can_enter_namespaces, listening_sockets_in, namespace_pid
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
    """Where an API process's gateway answers functions on other nodes: its proxy for functions
    with Internet access (``proxy``) and without (``closed_proxy``: Alibaba Cloud hosts only), its
    plain-HTTP and TLS listeners for names resolved to it."""

    proxy: tuple[str, int]
    closed_proxy: tuple[str, int]
    http: tuple[str, int]
    https: tuple[str, int]
    ca_pem: bytes
    names: tuple[str, ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256(pickle.dumps(self, protocol=4)).hexdigest()[:16]


async def advertise_gateway(network: FunctionNetwork, host: str) -> tuple[GatewayOffer, list[asyncio.Server]]:
    """Listen for functions on other nodes on ``host`` (free ports) with the gateway behind
    ``network``; the offer the nodes get and the listeners (closed with the gateway). The open
    proxy serves functions on nodes as callers on this machine are served (hosts outside Alibaba
    Cloud pass); the closed one serves functions without ``internetAccess``."""
    listeners = (
        ("proxy", Policy(allow_internet=True, who="a function on a cluster node")),
        ("proxy", Policy(allow_internet=False, who="a function without Internet access on a cluster node")),
        ("http", Policy(allow_internet=False, who="a function on a cluster node")),
        ("https", Policy(allow_internet=False, who="a function on a cluster node")),
    )
    servers: list[asyncio.Server] = []
    addresses: list[tuple[str, int]] = []
    for kind, policy in listeners:
        sock = bind_host_listener(host, 0)
        if sock is None:
            for server in servers:
                network.gateway.forget(server)
            raise OSError(f"the gateway cannot listen on {host} for the cluster's nodes")
        addresses.append((host, int(sock.getsockname()[1])))
        servers.append(await network.gateway.serve(sock, kind, policy))
    ca_pem = network.gateway.ca.cert_path.read_bytes()
    proxy, closed_proxy, http, https = addresses
    offer = GatewayOffer(proxy, closed_proxy, http, https, ca_pem, tuple(network.names))
    return offer, servers


# Where a relay carries a connection: the candidates in order (the first that accepts it wins).
Upstream = Callable[[], "list[tuple[str, int]]"]


class _Attachment:
    """Relays inside one instance's network namespace (a sandbox of its own network, a
    container): the proxy ports of every API process on ``127.0.0.1``, ports 80 and 443 on the
    node's gateway address."""

    def __init__(self, network: NodeNetwork, pid: int, reserved: frozenset[int]):
        self.network = network
        self.pid = pid
        self.reserved = reserved
        self.allow_internet = False
        self.servers: dict[int, asyncio.Server] = {}

    def set_policy(self, allow_internet: bool, who: str) -> None:
        self.allow_internet = allow_internet

    def release(self, port: int) -> None:
        server = self.servers.pop(port, None)
        if server is not None:
            server.close()

    def close(self) -> None:
        for server in self.servers.values():
            server.close()
        self.servers.clear()
        self.network._attachments.discard(self)


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
        self._digests: dict[str, str] = {}  # by owner: what a start names
        self._ports: dict[str, int] = {}  # owner -> its proxy relay's port on 127.0.0.1
        self._roots = system_roots()
        self._servers: list[asyncio.Server] = []
        self._attachments: set[_Attachment] = set()
        self._connections: set[asyncio.Task[None]] = set()
        self._write()

    # ------------------------------------------------------------- offers

    def knows(self, owner: str, digest: str) -> bool:
        return self._digests.get(owner) == digest

    async def offer(self, owner: str, offer: GatewayOffer) -> None:
        """Take ``owner``'s gateway: its proxy relay on this node's ``127.0.0.1`` (and inside every
        instance namespace already attached), its CA and names in the shared files."""
        self._offers.pop(owner, None)
        self._offers[owner] = offer  # the newest offer last: names go to it first
        self._digests[owner] = offer.digest
        self._write()
        if owner in self._ports:
            return
        server = await asyncio.start_server(
            self._relay(self._proxy_of(owner, None)), host="127.0.0.1", port=0
        )
        self._servers.append(server)
        port = self._ports[owner] = int(server.sockets[0].getsockname()[1])
        for attachment in list(self._attachments):
            await self._listen_in(attachment, [("127.0.0.1", port, self._proxy_of(owner, attachment))])

    def proxy_environment(self, owner: str) -> dict[str, str]:
        port = self._ports.get(owner)
        if port is None:
            return {}
        url = f"http://127.0.0.1:{port}"
        return {"HTTP_PROXY": url, "http_proxy": url, "HTTPS_PROXY": url, "https_proxy": url}

    def _proxy_of(self, owner: str, attachment: _Attachment | None) -> Upstream:
        """The owner's proxy: the closed one for an instance of its own network namespace whose
        function has no Internet access (as the gateway's listeners in local namespaces serve)."""

        def upstream() -> list[tuple[str, int]]:
            offer = self._offers.get(owner)
            if offer is None:
                return []
            return [offer.proxy if attachment is None or attachment.allow_internet else offer.closed_proxy]

        return upstream

    def _named(self, kind: str) -> Upstream:
        """A connection to a regional name cannot say which API process's function made it: the
        newest offer's gateway takes it, or, where that process has gone (a stopped API process
        refuses the connection), the next newest."""

        def upstream() -> list[tuple[str, int]]:
            offers = reversed(list(self._offers.values()))
            return [offer.http if kind == "http" else offer.https for offer in offers]

        return upstream

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

    # ------------------------------------------------------------- relays

    async def start(self) -> None:
        """Listen on ports 80 and 443 of :attr:`address` (both or neither; needs root)."""
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
            self._servers.append(await asyncio.start_server(self._relay(self._named(kind)), sock=sock))

    def _relay(
        self, upstream: Upstream
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connected = await _first_answering(upstream())
            if connected is None:
                writer.close()
                return
            upstream_reader, upstream_writer = connected
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

    async def _listen_in(self, attachment: _Attachment, wanted: list[tuple[str, int, Upstream]]) -> None:
        wanted = [w for w in wanted if w[1] not in attachment.reserved]
        try:
            sockets = await asyncio.to_thread(
                listening_sockets_in, attachment.pid, [(host, port) for host, port, _ in wanted]
            )
        except OSError as exc:
            log.warning("cannot relay the gateway into the namespace of pid %d: %s", attachment.pid, exc)
            return
        for sock, (_, port, upstream) in zip(sockets, wanted, strict=True):
            if sock is not None:
                sock.setblocking(False)
                attachment.servers[port] = await asyncio.start_server(self._relay(upstream), sock=sock)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        self._servers.clear()
        for attachment in list(self._attachments):
            attachment.close()
        for task in list(self._connections):
            task.cancel()

    # ------------------------------------------------------------- InstanceNetwork

    @property
    def host_ca_bundle(self) -> str:
        return str(self.bundle_path)

    @property
    def can_attach(self) -> bool:
        return can_enter_namespaces()

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
        names = [n for offer in self._offers.values() for n in offer.names]
        return [f"{name}:{self.address}" for name in dict.fromkeys(names)]

    async def attach(self, pid: int, reserved_ports: frozenset[int]) -> NetworkAttachment | None:
        """Relays inside the namespace of ``pid``'s instance: every API process's proxy port and
        the names' ports 80/443, so a function with a network of its own reaches its gateway."""
        if not self.can_attach:
            return None
        target = await asyncio.to_thread(namespace_pid, pid)
        if target is None:
            return None
        attachment = _Attachment(self, target, reserved_ports)
        wanted: list[tuple[str, int, Upstream]] = [
            ("127.0.0.1", port, self._proxy_of(owner, attachment)) for owner, port in self._ports.items()
        ]
        wanted += [
            (self.address, HTTP_PORT, self._named("http")),
            (self.address, HTTPS_PORT, self._named("https")),
        ]
        await self._listen_in(attachment, wanted)
        self._attachments.add(attachment)
        return attachment


async def _first_answering(
    targets: list[tuple[str, int]],
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """A connection to the first of ``targets`` that accepts one (None: none does)."""
    for host, port in targets:
        try:
            return await asyncio.open_connection(host, port)
        except OSError as exc:
            log.warning("the gateway at %s:%d does not answer: %s", host, port, exc)
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
