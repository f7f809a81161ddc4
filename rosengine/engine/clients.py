"""The service-client factory handed to providers (``ProviderContext.clients``).

Why lazy: most stacks never touch FC, and starting the local FC backend costs time, so the
``fc`` client is built only when a provider first asks for it, after making sure a local backend
runs (``ensure_local_backend``), and then shared by every provider call of the operation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from resource_types.base import ProviderError

if TYPE_CHECKING:
    from rosengine.clients.fc import FcClient


class ServiceClient(Protocol):
    """What the factory needs of a client: a way to release its connections."""

    def close(self) -> None: ...


def _build_fc(echo: Callable[[str], None] | None) -> ServiceClient:
    from rosengine.clients import fc as fc_client  # imported only when a provider needs FC

    fc_client.ensure_local_backend(echo=echo)
    return fc_client.FcClient.from_environment()


def _build_apigateway(fc: FcClient) -> ServiceClient:
    from rosengine.clients.apigateway import ApiGatewayClient

    return ApiGatewayClient(fc)


def _build_nas(fc: FcClient) -> ServiceClient:
    from rosengine.clients.nas import NasClient

    return NasClient(fc)


def _build_ros_callbacks(fc: FcClient) -> ServiceClient:
    from rosengine.clients.ros_callbacks import RosCallbacksClient

    return RosCallbacksClient(fc)


def _build_fc3(echo: Callable[[str], None] | None) -> ServiceClient:
    """The FC 3.0 client for the same backend (one backend serves both APIs)."""
    from rosengine.clients import fc as fc_client
    from rosengine.clients.fc3 import Fc3Client

    fc_client.ensure_local_backend(echo=echo)
    return Fc3Client.from_environment()


def _build_oss(echo: Callable[[str], None] | None) -> ServiceClient:
    from rosengine.clients import fc as fc_client
    from rosengine.clients.oss import OssClient  # the backend's one endpoint serves OSS too

    fc_client.ensure_local_backend(echo=echo)
    return OssClient.from_environment()


def _build_ram(echo: Callable[[str], None] | None) -> Any:
    from rosengine.clients import ram as ram_client  # RAM and STS answer on the local backend

    return ram_client.RamClient.from_environment(start=True, echo=echo)


def _build_sls(echo: Callable[[str], None] | None) -> Any:
    from rosengine.clients import sls as sls_client  # SLS answers on the local backend

    return sls_client.SlsClient.from_environment(start=True, echo=echo)


class ClientFactory:
    """``factory("fc")`` / ``"fc3"`` / ``"oss"`` / ``"ram"`` / ``"sls"`` → one cached client per
    operation. Thread-safe: providers run in parallel."""

    def __init__(
        self,
        echo: Callable[[str], None] | None = None,
        builders: dict[str, Callable[[], ServiceClient]] | None = None,
    ):
        self._echo = echo
        self._builders: dict[str, Callable[[], ServiceClient]] = {
            "fc": lambda: _build_fc(self._echo),
            "fc3": lambda: _build_fc3(self._echo),
            "oss": lambda: _build_oss(self._echo),
            "ram": lambda: _build_ram(self._echo),
            "sls": lambda: _build_sls(self._echo),
            "ros-callbacks": lambda: _build_ros_callbacks(self("fc")),
            "apigateway": lambda: _build_apigateway(self("fc")),
            "nas": lambda: _build_nas(self("fc")),
        }
        self._builders.update(builders or {})
        self._cache: dict[str, ServiceClient] = {}
        self._lock = threading.RLock()  # a builder may ask for another client (ros-callbacks -> fc)

    def add_builder(self, service: str, builder: Callable[[], ServiceClient]) -> None:
        """A client only this operation can build (the engine's nested-stack service)."""
        with self._lock:
            self._builders[service] = builder

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service in self._cache:
                return self._cache[service]
            builder = self._builders.get(service)
            if builder is None:
                raise ProviderError(
                    f"no client for service {service!r} (known: {', '.join(sorted(self._builders))})"
                )
            client = builder()
            self._cache[service] = client
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._cache.values():
                try:
                    client.close()
                except Exception:
                    pass  # closing is best effort: the operation's outcome is already recorded
            self._cache.clear()
