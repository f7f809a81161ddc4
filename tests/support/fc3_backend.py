"""A backend for FC 3.0 tests, and the official FC 3.0 SDK pointed at it.

The backend is the real app (uvicorn in a thread) over a temporary state directory; by default
with the API tests' fake scheduler (``FakeScheduler``: echoes the payload, ``b"fail"`` is a
function error, ``b"busy"`` a throttle), ``scheduler=None`` for real instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alibabacloud_fc20230330 import models as fc
from alibabacloud_fc20230330.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_tea_openapi.models import Config

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcClient
from rosengine.clients.fc3 import Fc3Client
from tests.support.fc_api import FakeScheduler, make_zip, zip_b64

__all__ = [
    "Fc3Backend",
    "FakeScheduler",
    "create_input",
    "fc",
    "fc3_backend",
    "make_zip",
    "sdk_client",
    "sdk_error",
    "zip_b64",
]


@dataclass
class Fc3Backend:
    endpoint: str
    config: BackendConfig
    app: Any
    scheduler: Any
    sdk: Client
    client: Fc3Client
    fc2: FcClient

    @property
    def host(self) -> str:
        return self.endpoint.split("//", 1)[1]


def sdk_client(endpoint: str, config: BackendConfig, *, secret: str | None = None, **extra: Any) -> Client:
    """The official SDK for a local endpoint (host:port without scheme and protocol http)."""
    return Client(
        Config(
            access_key_id=config.access_key_id,
            access_key_secret=secret or config.access_key_secret,
            endpoint=endpoint.split("//", 1)[1],
            protocol="http",
            region_id=config.region,
            read_timeout=60000,
            connect_timeout=5000,
            **extra,
        )
    )


def sdk_error(call: Callable[[], Any]) -> ClientException | ServerException:
    """The SDK exception ``call`` raises (the test fails when it raises none)."""
    try:
        call()
    except (ClientException, ServerException) as exc:
        return exc
    raise AssertionError("the call succeeded; an FC error was expected")


@contextmanager
def fc3_backend(
    state_dir: Path, *, fake: bool = True, addons: bool = True, **config: Any
) -> Iterator[Fc3Backend]:
    cfg = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.02, **config)
    scheduler = FakeScheduler() if fake else None
    app = create_app(cfg, scheduler=scheduler, addons=addons)
    server = ThreadedServer(app).start()
    client = Fc3Client(server.endpoint, cfg.access_key_id, cfg.access_key_secret, timeout=60)
    fc2 = FcClient(server.endpoint, cfg.access_key_id, cfg.access_key_secret, timeout=60)
    try:
        yield Fc3Backend(
            server.endpoint, cfg, app, app.state.fc.scheduler, sdk_client(server.endpoint, cfg), client, fc2
        )
    finally:
        client.close()
        fc2.close()
        server.stop()


def create_input(name: str, **fields: Any) -> Any:
    """A CreateFunctionInput with working defaults (python3.10 echo function)."""
    fields.setdefault("runtime", "python3.10")
    fields.setdefault("handler", "index.handler")
    if fields["runtime"] != "custom-container":
        fields.setdefault("code", fc.InputCodeLocation(zip_file=zip_b64()))
    return fc.CreateFunctionRequest(body=fc.CreateFunctionInput(function_name=name, **fields))
