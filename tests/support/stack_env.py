"""Fixtures for tests of stacks (engine, `ros stack`, state store): an isolated ROS_HOME, the
file-backed fake cloud, an engine. Each conftest that needs them re-exports them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rosengine.engine import StackEngine
from rosengine.engine.progress import CollectingListener
from rosengine.state import open_store
from tests.support import fake_cloud


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ROS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ROS_TEST_CLOUD", str(tmp_path / "cloud.json"))
    fake_cloud.install()
    yield tmp_path
    for event in fake_cloud.EVENTS.values():
        event.set()  # release any provider thread a test left hanging
    fake_cloud.EVENTS.clear()
    fake_cloud.BARRIERS.clear()


@pytest.fixture
def listener() -> CollectingListener:
    return CollectingListener()


@pytest.fixture
def engine(isolated_home: Path, listener: CollectingListener) -> Iterator[StackEngine]:
    store = open_store()
    yield StackEngine(store, listener=listener)
    store.close()
