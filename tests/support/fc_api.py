"""Shared fixtures of the FC API tests: a real uvicorn server on a free port, in a thread, over
a temporary state directory, with a fake scheduler (real instances are tested elsewhere)."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fc2
import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.models import FunctionSpec, InvocationRequest, InvocationResult
from fcbackend.scheduler.warm_instances import ManagedInstance
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcClient
from tests.support.waiting import until


@dataclass
class FakeScheduler:
    """Echoes the payload; payload b"fail" -> UnhandledInvocationError; b"busy" -> 429. Offers the
    whole of :class:`~fcbackend.scheduler.port.SchedulerPort`; it starts no instance."""

    listeners: list[Any] = field(default_factory=list)
    invoked: list[tuple[FunctionSpec, InvocationRequest]] = field(default_factory=list)
    evicted: list[tuple[str, str | None]] = field(default_factory=list)
    provisioned: list[tuple[str, int]] = field(default_factory=list)
    drivers: dict[str, Any] = field(default_factory=dict)
    default_driver: str = ""
    caps: dict[tuple[str, str], int | None] = field(default_factory=dict)

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def invoke(self, spec: FunctionSpec, req: InvocationRequest) -> InvocationResult:
        self.invoked.append((spec, req))
        log = (
            f"FC Invoke Start RequestId: {req.request_id}\nhello from {spec.function}\n"
            f"FC Invoke End RequestId: {req.request_id}\n".encode()
        )
        if req.payload == b"busy":
            result = InvocationResult(
                req.request_id,
                429,
                b'{"ErrorMessage": "too many"}',
                error_code="ResourceExhausted",
                version_id=spec.version_id,
            )
        elif req.payload == b"fail":
            result = InvocationResult(
                req.request_id,
                200,
                b'{"errorMessage": "boom"}',
                error_type="UnhandledInvocationError",
                version_id=spec.version_id,
                instance_id="i-1",
                log=log,
            )
        else:
            result = InvocationResult(
                req.request_id,
                200,
                req.payload,
                version_id=spec.version_id,
                instance_id="i-1",
                cold=len(self.invoked) == 1,
                duration_ms=1.5,
                memory_peak_mb=9.25,
                log=log,
            )
        for listener in self.listeners:
            listener(spec, result)
        return result

    async def evict(self, service: str, function: str | None = None) -> None:
        self.evicted.append((service, function))

    def instances(self) -> list[dict[str, Any]]:
        return [
            {
                "id": "i-1",
                "service": s.service,
                "function": s.function,
                "version": s.version_id,
                "driver": "fake",
                "state": "idle",
            }
            for s, _ in self.invoked[-1:]
        ]

    def add_listener(self, fn: Any) -> None:
        self.listeners.append(fn)

    def add_log_listener(self, fn: Any) -> None: ...

    async def set_provisioned(self, spec: FunctionSpec, target: int) -> None:
        self.provisioned.append((spec.function, target))

    def set_max_instances(self, service: str, function: str, maximum: int | None) -> None:
        self.caps[(service, function)] = maximum

    async def kill_request(self, request_id: str) -> bool | None:
        return None  # answers at once: nothing to stop (the async queue cancels the attempt)

    def running_instance(self, instance_id: str) -> ManagedInstance | None:
        return None

    def now(self) -> float:
        return time.monotonic()


@dataclass
class Backend:
    endpoint: str
    config: BackendConfig
    scheduler: FakeScheduler
    app: Any


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zip_b64(files: dict[str, str | bytes] | None = None) -> str:
    return base64.b64encode(make_zip(files or {"index.py": "def handler(e, c):\n    return e\n"})).decode()


@contextmanager
def real_backend(state_dir: Path, **config_changes: Any) -> Iterator[tuple[str, BackendConfig]]:
    """A real backend (real scheduler and instances) served in a thread: (endpoint, config)."""
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.05, **config_changes)
    server = ThreadedServer(create_app(config)).start()
    try:
        yield server.endpoint, config
    finally:
        server.stop()


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    state_dir: Path = tmp_path_factory.mktemp("fc-state")
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.05)
    scheduler = FakeScheduler()
    app = create_app(config, scheduler=scheduler, addons=False)
    server = ThreadedServer(app).start()
    try:
        yield Backend(server.endpoint, config, scheduler, app)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sdk(backend: Backend) -> Any:
    return fc2.Client(
        endpoint=backend.endpoint,
        accessKeyID=backend.config.access_key_id,
        accessKeySecret=backend.config.access_key_secret,
        Timeout=10,
    )


@pytest.fixture(scope="module")
def client(backend: Backend) -> Iterator[FcClient]:
    """rosengine's own FC client for ``backend``."""
    with FcClient(backend.endpoint, backend.config.access_key_id, backend.config.access_key_secret) as c:
        yield c


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or ``timeout`` passes:
    tests wait on a condition with a deadline, never on a bare sleep."""
    return until(predicate, timeout, "the condition", interval)
