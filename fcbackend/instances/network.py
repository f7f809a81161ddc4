"""What the instance drivers need from the backend's network plumbing (the ``*.aliyuncs.com``
gateway), as a Protocol: the drivers give functions these files, variables and listeners without
knowing the gateway.

How each driver uses it (docs/gateway.md tells users the same):

* every driver lays :meth:`InstanceNetwork.environment` under the function's own variables
  (``HTTP_PROXY``/``HTTPS_PROXY`` and lower-case forms, ``NO_PROXY``, the CA bundle in
  ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``ALIBABA_CLOUD_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``,
  ``CURL_CA_BUNDLE``): variables the function sets itself win;
* **sandbox**: the CA bundle and a hosts file (``aliyuncs.com`` names → the gateway's address)
  are bound read-only at :data:`SANDBOX_CA_BUNDLE` and ``/etc/hosts``
  (:meth:`InstanceNetwork.sandbox_binds`); a sandbox with a network namespace of its own gets
  gateway listeners created inside that namespace (:meth:`InstanceNetwork.attach`);
* **process**: the variables only, the CA bundle at its host path (a plain process sees the
  host's files and ``/etc/hosts``: name resolution cannot be changed for it);
* **docker**: the bundle bound at :data:`CONTAINER_CA_BUNDLE`, ``ExtraHosts`` for the names, and
  listeners inside the container's namespace (bridge or none alike).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from fcbackend.models import FunctionSpec

SANDBOX_CA_BUNDLE = "/run/rosengine/ca-bundle.pem"
CONTAINER_CA_BUNDLE = "/run/rosengine/ca-bundle.pem"


class NetworkAttachment(Protocol):
    """The gateway listeners inside one instance's network namespace."""

    def set_policy(self, allow_internet: bool, who: str) -> None:
        """Whom the listeners serve: whether non-Alibaba hosts are reachable through them."""
        ...

    def release(self, port: int) -> None:
        """Stop listening on ``port`` (the function's own server needs it)."""
        ...

    def close(self) -> None: ...


class InstanceNetwork(Protocol):
    @property
    def host_ca_bundle(self) -> str:
        """The CA bundle's path on the host (what a plain process is given)."""
        ...

    @property
    def can_attach(self) -> bool:
        """Whether listeners can be placed in instances' namespaces (the backend is root)."""
        ...

    def environment(self, ca_path: str) -> dict[str, str]:
        """The proxy and trust-store variables for a function that sees the CA bundle at
        ``ca_path``."""
        ...

    def sandbox_binds(self) -> list[tuple[str, str]]:
        """(host file, path inside the sandbox) to bind read-only into every sandbox."""
        ...

    def container_binds(self) -> list[str]:
        """Docker ``Binds`` entries for a container."""
        ...

    def extra_hosts(self) -> list[str]:
        """Docker ``ExtraHosts`` entries (``name:address``)."""
        ...

    async def attach(self, pid: int, reserved_ports: frozenset[int]) -> NetworkAttachment | None:
        """Listeners in the network namespace of ``pid`` (or of its first descendant in another
        namespace), never on ``reserved_ports`` (the function's own CAPort); None when that is
        not possible here."""
        ...


def with_network_environment(spec: FunctionSpec, environment: dict[str, str]) -> FunctionSpec:
    """``spec`` whose variables include ``environment`` under its own (the function's win)."""
    own = dict(spec.environment)
    merged = {**environment, **own}
    if merged == own:
        return spec
    return replace(spec, environment=tuple(sorted(merged.items())))
