"""A real backend (real scheduler, instances and twins) in a thread, and stack engines whose
providers reach it: for tests of resource types that need the backend's services (ROS callbacks,
NAS, API Gateway routes, OSS) end to end through the engine.

One backend per test package (``live_stack`` is package-scoped); each test gets its own state
store (``stack_engine``), so stack names only need to be unique within a test.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.server import ThreadedServer
from rosengine.clients.fc import FcClient
from rosengine.clients.fc3 import Fc3Client
from rosengine.clients.oss import OssClient
from rosengine.clients.ram import RamClient
from rosengine.clients.sls import SlsClient
from rosengine.engine import StackEngine
from rosengine.engine.progress import CollectingListener
from rosengine.state.sqlite import SqliteStateStore


@dataclass
class LiveStack:
    endpoint: str
    config: BackendConfig
    fc: FcClient

    def builders(self) -> dict[str, Any]:
        return client_builders(self.endpoint, self.config)

    def engine(self, state_db: Path, listener: CollectingListener | None = None) -> StackEngine:
        return StackEngine(SqliteStateStore(state_db), listener=listener, client_builders=self.builders())


def client_builders(endpoint: str, cfg: BackendConfig) -> dict[str, Any]:
    """The engine's clients, every one for the backend at ``endpoint``: RAM/STS and SLS too, since
    the functions it runs reach its twins, so a stack's roles, keys and logstores must be made there."""
    return {
        "fc": lambda: FcClient(endpoint, cfg.access_key_id, cfg.access_key_secret, timeout=60.0),
        "fc3": lambda: Fc3Client(endpoint, cfg.access_key_id, cfg.access_key_secret, timeout=60.0),
        "oss": lambda: OssClient(endpoint, cfg.access_key_id, cfg.access_key_secret),
        "ram": lambda: RamClient(endpoint, cfg.access_key_id, cfg.access_key_secret),
        "sls": lambda: SlsClient(endpoint, cfg.access_key_id, cfg.access_key_secret, region=cfg.region),
    }


@pytest.fixture(scope="package")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    state_dir = tmp_path_factory.mktemp("live-stack-backend")
    config = BackendConfig.for_state_dir(state_dir, flush_interval_s=0.02)
    server = ThreadedServer(create_app(config)).start()
    fc = FcClient(server.endpoint, config.access_key_id, config.access_key_secret, timeout=60.0)
    try:
        yield LiveStack(server.endpoint, config, fc)
    finally:
        fc.close()
        server.stop()


@pytest.fixture
def events() -> CollectingListener:
    return CollectingListener()


@pytest.fixture
def stack_engine(
    live_stack: LiveStack, tmp_path: Path, events: CollectingListener, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StackEngine]:
    monkeypatch.setenv("ROS_HOME", str(tmp_path / "home"))
    engine = live_stack.engine(tmp_path / "state.db", events)
    try:
        yield engine
    finally:
        engine.store.close()


_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A name unique within the test session (the backend is shared by a package's tests)."""
    return f"{prefix}-{next(_names)}"


def template(resources: dict[str, Any], **sections: Any) -> str:
    body: dict[str, Any] = {"ROSTemplateFormatVersion": "2015-09-01", "Resources": resources}
    body.update(sections)
    return json.dumps(body)


def resource(engine: StackEngine, stack: str, logical_id: str) -> Any:
    return next(r for r in engine.resources(stack) if r.logical_id == logical_id)


def outputs(engine: StackEngine, stack: str) -> dict[str, Any]:
    record = engine.get_stack(stack)
    return {o.key: o.value for o in engine.store.get_outputs(record.id)}
