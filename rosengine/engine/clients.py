"""The service-client factory handed to providers (``ProviderContext.clients``).

Why lazy: most stacks never touch FC, and starting the local FC backend costs time, so the
``fc`` client is built only when a provider first asks for it, and then shared by every provider
call of the operation. The engine never starts the backend itself: the CLI hands it
``ensure_backend`` (which starts ``ros fc start``'s daemon when none runs); without one, a client
for a backend that is not running fails with "no FC backend is running: start one with
`ros fc start`".
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


def _build_fc() -> ServiceClient:
    from rosengine.clients import fc as fc_client  # imported only when a provider needs FC

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


def _build_fc3() -> ServiceClient:
    """The FC 3.0 client for the same backend (one backend serves both APIs)."""
    from rosengine.clients.fc3 import Fc3Client

    return Fc3Client.from_environment()


def _build_oss() -> ServiceClient:
    from rosengine.clients.oss import OssClient  # the backend's one endpoint serves OSS too

    return OssClient.from_environment()


def _build_ram() -> ServiceClient:
    from rosengine.clients import ram as ram_client  # RAM and STS answer on the local backend

    return ram_client.RamClient.from_environment()


def _build_sls() -> ServiceClient:
    from rosengine.clients import sls as sls_client  # SLS answers on the local backend

    return sls_client.SlsClient.from_environment()


class ClientFactory:
    """``factory("fc")`` / ``"fc3"`` / ``"oss"`` / ``"ram"`` / ``"sls"`` → one cached client per
    operation. Thread-safe: providers run in parallel."""

    def __init__(
        self,
        ensure_backend: Callable[[], object] | None = None,
        builders: dict[str, Callable[[], ServiceClient]] | None = None,
    ):
        self._ensure_backend = ensure_backend
        on_backend = {
            "fc": _build_fc,
            "fc3": _build_fc3,
            "oss": _build_oss,
            "ram": _build_ram,
            "sls": _build_sls,
        }
        self._builders: dict[str, Callable[[], ServiceClient]] = {
            **{name: self._after_ensuring_backend(build) for name, build in on_backend.items()},
            "ros-callbacks": lambda: _build_ros_callbacks(self("fc")),
            "apigateway": lambda: _build_apigateway(self("fc")),
            "nas": lambda: _build_nas(self("fc")),
        }
        self._builders.update(builders or {})
        self._cache: dict[str, ServiceClient] = {}
        self._lock = threading.RLock()  # a builder may ask for another client (ros-callbacks -> fc)

    def _after_ensuring_backend(self, build: Callable[[], ServiceClient]) -> Callable[[], ServiceClient]:
        def built() -> ServiceClient:
            if self._ensure_backend is not None:
                self._ensure_backend()
            return build()

        return built

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
