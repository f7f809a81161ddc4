"""How functions reach the gateway: the :class:`~fcbackend.instances.network.InstanceNetwork` the
instance drivers use.

* Variables: ``HTTP_PROXY``/``HTTPS_PROXY`` (and ``http_proxy``/``https_proxy``) =
  ``http://127.0.0.1:<gateway port>``; ``NO_PROXY``/``no_proxy`` = ``localhost,127.0.0.1,::1``
  (the function's own platform traffic — the backend's endpoint, its CA port — never goes
  through the gateway); the CA bundle in ``REQUESTS_CA_BUNDLE`` (requests: oss2, the SLS SDK),
  ``SSL_CERT_FILE`` (OpenSSL: Python's ``ssl``, curl, Go), ``ALIBABA_CLOUD_CA_BUNDLE``
  (aliyunsdkcore), ``NODE_EXTRA_CA_CERTS`` (Node.js) and ``CURL_CA_BUNDLE``.
* Name resolution, for runtimes that ignore proxy variables (Node's ``https`` module): a hosts
  file mapping the regional ``aliyuncs.com`` names of the backend's region (OSS, SLS, STS, RAM,
  FC — :func:`known_hosts`) to :attr:`FunctionNetwork.address`, a loopback address of this
  backend's own (``127.x.y.z`` from the state directory) where the gateway answers plain HTTP on
  port 80 and TLS on 443. Names that include a bucket or project (virtual-host style) are not in
  the file; they reach the twins through the proxy variables.
* Listeners inside a function's network namespace (:meth:`FunctionNetwork.attach`): the proxy port
  on ``127.0.0.1`` and ports 80/443 on :attr:`~FunctionNetwork.address`, so a function without
  Internet access reaches the gateway — and, through it, nothing but the twins.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from fcbackend.gateway.netns import can_enter_namespaces, listening_sockets_in, namespace_pid
from fcbackend.gateway.routing import Policy
from fcbackend.gateway.server import GatewayServer
from fcbackend.instances.network import CONTAINER_CA_BUNDLE, SANDBOX_CA_BUNDLE

HOSTS_FILE = "hosts"
HTTP_PORT, HTTPS_PORT = 80, 443
_log = logging.getLogger("fcbackend.gateway")


def gateway_address(state_dir: Path) -> str:
    """A loopback address of this backend's own, stable for its state directory: the gateway's
    ports 80 and 443 live there (two backends on one machine get different ones)."""
    digest = hashlib.sha256(str(Path(state_dir).resolve()).encode()).digest()
    return f"127.{digest[0] % 250 + 2}.{digest[1]}.{digest[2] % 254 + 1}"


def known_hosts(region: str, account_id: str) -> list[str]:
    """The ``aliyuncs.com`` names of the backend's region that function code uses without a bucket
    or project in them."""
    return [
        f"oss-{region}.aliyuncs.com",
        f"oss-{region}-internal.aliyuncs.com",
        f"{region}.log.aliyuncs.com",
        f"{region}-intranet.log.aliyuncs.com",
        "sts.aliyuncs.com",
        f"sts.{region}.aliyuncs.com",
        f"sts-vpc.{region}.aliyuncs.com",
        "ram.aliyuncs.com",
        f"{account_id}.{region}.fc.aliyuncs.com",
        f"{account_id}.{region}-internal.fc.aliyuncs.com",
    ]


def hosts_file_text(address: str, names: list[str]) -> str:
    lines = [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        f"{address}\t" + " ".join(names),
    ]
    return "\n".join(lines) + "\n"


@dataclass
class _Attachment:
    policy: Policy
    gateway: GatewayServer
    servers: dict[int, asyncio.Server] = field(default_factory=dict)  # by port

    def set_policy(self, allow_internet: bool, who: str) -> None:
        self.policy.allow_internet = allow_internet
        self.policy.who = who

    def release(self, port: int) -> None:
        server = self.servers.pop(port, None)
        if server is not None:
            self.gateway.forget(server)

    def close(self) -> None:
        for server in self.servers.values():
            self.gateway.forget(server)
        self.servers.clear()


class FunctionNetwork:
    """Implements :class:`~fcbackend.instances.network.InstanceNetwork` for one gateway."""

    def __init__(
        self, gateway: GatewayServer, *, proxy_port: int, address: str, directory: Path, names: list[str]
    ):
        self.gateway = gateway
        self.proxy_port = proxy_port
        self.address = address
        self.names = names
        self.directory = directory
        self.hosts_path = directory / HOSTS_FILE
        text = hosts_file_text(address, names)
        with contextlib.suppress(OSError):
            if self.hosts_path.read_text() == text:
                return
        tmp = self.hosts_path.with_name(f".hosts.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.hosts_path)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def host_ca_bundle(self) -> str:
        return str(self.gateway.ca.bundle_path)

    @property
    def can_attach(self) -> bool:
        return can_enter_namespaces()

    def environment(self, ca_path: str) -> dict[str, str]:
        env: dict[str, str] = {}
        for name in ("HTTP_PROXY", "HTTPS_PROXY"):
            env[name] = env[name.lower()] = self.proxy_url
        env["NO_PROXY"] = env["no_proxy"] = "localhost,127.0.0.1,::1"
        for name in (
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
            "ALIBABA_CLOUD_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
            "CURL_CA_BUNDLE",
        ):
            env[name] = ca_path
        return env

    def sandbox_binds(self) -> list[tuple[str, str]]:
        return [(str(self.hosts_path), "/etc/hosts"), (self.host_ca_bundle, SANDBOX_CA_BUNDLE)]

    def container_binds(self) -> list[str]:
        return [f"{self.host_ca_bundle}:{CONTAINER_CA_BUNDLE}:ro"]

    def extra_hosts(self) -> list[str]:
        return [f"{name}:{self.address}" for name in self.names]

    async def attach(self, pid: int, reserved_ports: frozenset[int]) -> _Attachment | None:
        if not self.can_attach:
            return None
        target = await asyncio.to_thread(namespace_pid, pid)
        if target is None:
            return None
        wanted = [("127.0.0.1", self.proxy_port, "proxy")]
        wanted += [(self.address, port, kind) for port, kind in ((HTTP_PORT, "http"), (HTTPS_PORT, "https"))]
        wanted = [w for w in wanted if w[1] not in reserved_ports]
        try:
            sockets = await asyncio.to_thread(listening_sockets_in, target, [(h, p) for h, p, _ in wanted])
        except OSError as exc:
            _log.warning("cannot place gateway listeners in the namespace of pid %d: %s", pid, exc)
            return None
        attachment = _Attachment(Policy(allow_internet=False, who="this function"), self.gateway)
        for sock, (_, port, kind) in zip(sockets, wanted, strict=True):
            if sock is not None:
                attachment.servers[port] = await self.gateway.serve(sock, kind, attachment.policy)
        return attachment


def bind_host_listener(host: str, port: int) -> socket.socket | None:
    """A listening socket on ``host:port`` of this machine, or None when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        return None
    return sock
