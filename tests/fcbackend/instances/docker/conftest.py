from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fcbackend.instances.docker.driver import DockerDriver
from fcbackend.models import FunctionSpec
from tests.support.docker_images import build_test_image, make_spec


@pytest.fixture(scope="session")
def docker_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    usable, why = DockerDriver(tmp_path_factory.mktemp("probe")).available()
    if not usable:
        pytest.skip(f"Docker is not usable here: {why}")


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
