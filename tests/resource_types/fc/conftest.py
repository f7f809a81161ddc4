"""A real FC backend (real scheduler and instances) served by uvicorn in a thread, over a temporary
state directory, and a ProviderContext whose client factory returns an FcClient for it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.server import ThreadedServer
from resource_types.base import ProviderContext
from rosengine.clients.fc import FcClient


@dataclass
class LiveBackend:
    endpoint: str
    config: BackendConfig
    client: FcClient


@pytest.fixture(scope="package")
def live_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBackend]:
    state_dir: Path = tmp_path_factory.mktemp("fc-providers")
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.02)
    server = ThreadedServer(create_app(config)).start()
    client = FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=30.0)
    try:
        yield LiveBackend(server.endpoint, config, client)
    finally:
        client.close()
        server.stop()


@pytest.fixture
def fc(live_backend: LiveBackend) -> FcClient:
    return live_backend.client


_names = itertools.count(1)


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Names unique within the test session (the backend is shared by every test)."""
    return lambda prefix: f"{prefix}-{next(_names)}"


@pytest.fixture
def make_ctx(fc: FcClient, tmp_path: Path) -> Callable[..., ProviderContext]:
    def build(
        resource_type: str = "ALIYUN::FC::Service", logical_id: str = "Res", template_dir: str | None = None
    ) -> ProviderContext:
        return ProviderContext(
            stack_name="test",
            stack_id="stack-1",
            region="cn-hangzhou",
            account_id="123456789",
            logical_id=logical_id,
            resource_type=resource_type,
            clients=lambda service: fc,
            template_dir=template_dir if template_dir is not None else str(tmp_path),
        )

    return build
