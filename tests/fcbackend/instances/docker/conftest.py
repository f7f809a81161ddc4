"""Fixtures of the Docker driver tests: the test image (built once per session) and specs using it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fcbackend.models import FunctionSpec
from tests.support.docker_images import build_test_image, make_spec
from tests.support.machine import docker_usable


@pytest.fixture(scope="session")
def docker_ready() -> None:
    """For tests that need dockerd but not the test image (they carry the ``docker`` marker too)."""
    usable, why = docker_usable()
    if not usable:
        pytest.skip(f"needs a usable Docker engine: {why}")


@pytest.fixture(scope="session")
def test_image(docker_ready: None) -> str:
    return build_test_image()


@pytest.fixture
def spec_for(test_image: str) -> Callable[..., FunctionSpec]:
    return lambda **changes: make_spec(test_image, **changes)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path
