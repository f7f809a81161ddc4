"""A backend with its cloud twins and gateway, served in a thread, and clients for it.

Tests of the SLS twin and the gateway talk to it the way users and functions do: the official
SDKs through the gateway (``HTTP(S)_PROXY`` and the CA bundle in ``REQUESTS_CA_BUNDLE``), or the
engine's own clients on the backend's endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from fcbackend.twins import CloudTwins
from rosengine.clients.fc import FcClient
from rosengine.clients.ram import RamClient
from rosengine.clients.sls import SlsClient

REGION = "cn-hangzhou"
LOG_ENDPOINT = f"{REGION}.log.aliyuncs.com"


@dataclass
class TwinBackend:
    endpoint: str
    config: BackendConfig
    app: Any
    scheduler: Any

    @property
    def cloud(self) -> CloudTwins:
        cloud: CloudTwins = self.app.state.cloud_twins
        return cloud

    @property
    def proxy(self) -> str:
        return self.cloud.gateway.proxy_url

    @property
    def ca_bundle(self) -> str:
        return str(self.cloud.gateway.ca.bundle_path)

    def sls(self) -> SlsClient:
        return SlsClient(
            self.endpoint, self.config.access_key_id, self.config.access_key_secret, region=REGION
        )

    def ram(self) -> RamClient:
        return RamClient(self.endpoint, self.config.access_key_id, self.config.access_key_secret)

    def fc(self) -> FcClient:
        return FcClient(self.endpoint, self.config.access_key_id, self.config.access_key_secret, timeout=60)

    def log_client(self, *, key_id: str | None = None, secret: str | None = None, **options: Any) -> Any:
        """The official SLS SDK's client for the twin's regional endpoint (reached through the
        gateway: use it under :func:`through_gateway`)."""
        from aliyun.log import LogClient

        return LogClient(
            LOG_ENDPOINT,
            key_id if key_id is not None else self.config.access_key_id,
            secret if secret is not None else self.config.access_key_secret,
            **options,
        )


class UvloopThreadedServer(ThreadedServer):
    """The server on uvloop, the event loop the daemon runs on (its transports differ)."""

    def _run(self) -> None:
        import uvloop

        try:
            uvloop.run(self._server.serve(sockets=[self.sock]))
        except BaseException as exc:
            self._error = exc
            self._ready.set()


@contextmanager
def twin_backend(
    state_dir: Any, scheduler: Any = None, *, loop: str = "asyncio", **config_changes: Any
) -> Iterator[TwinBackend]:
    """A backend (with its add-ons, the twins and the gateway) over ``state_dir``; ``scheduler``
    replaces the real one (FakeScheduler for API tests); ``loop="uvloop"`` serves it on uvloop."""
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.05, **config_changes)
    app = create_app(config, scheduler=scheduler)
    server = (UvloopThreadedServer if loop == "uvloop" else ThreadedServer)(app).start()
    try:
        yield TwinBackend(server.endpoint, config, app, app.state.fc.scheduler)
    finally:
        server.stop()


def through_gateway(monkeypatch: pytest.MonkeyPatch, backend: TwinBackend) -> None:
    """Point this process's HTTP clients at the gateway, as a user exporting the proxy would."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, backend.proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "localhost,127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", backend.ca_bundle)
