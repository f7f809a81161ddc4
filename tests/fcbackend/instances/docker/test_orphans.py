"""A backend that starts removes the containers a dead backend of the same state directory left
behind (labelled ``rosengine.backend=<hash of the state dir>``): the app's lifespan starts the
scheduler, which calls every driver's ``reap_orphans()``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.instances.docker.driver import LABEL_BACKEND, LABEL_INSTANCE, DockerDriver, backend_label
from tests.support.docker_images import run

pytestmark = pytest.mark.docker


async def _labelled(state: Path) -> list[dict]:
    probe = DockerDriver(state)
    try:
        return await probe.engine.list_containers({LABEL_BACKEND: backend_label(state)})
    finally:
        await probe.close()


async def _leave_orphan(state: Path, image: str) -> str:
    driver = DockerDriver(state)
    config = {
        "Image": image,
        "Labels": {LABEL_BACKEND: backend_label(state), LABEL_INSTANCE: "c-dead"},
        "Entrypoint": ["/usr/bin/python3", "-S", "/app/server.py"],
    }
    try:
        container = await driver.engine.create_container(
            f"rosengine-orphan-{os.getpid()}-{id(state)}", config
        )
        await driver.engine.start_container(container)
        return container
    finally:
        await driver.close()


async def _start_and_stop_backend(state: Path) -> None:
    app = create_app(BackendConfig.for_state_dir(state))
    assert "docker" in app.state.fc.scheduler.drivers, "dockerd answers, so the docker driver is registered"
    async with app.router.lifespan_context(app):
        pass


def test_a_new_backend_removes_orphan_containers(test_image: str, tmp_path: Path) -> None:
    state = (tmp_path / "fc").resolve()
    state.mkdir()
    container = run(_leave_orphan(state, test_image))
    assert [c["Id"] for c in run(_labelled(state))] == [container]
    run(_start_and_stop_backend(state))
    assert run(_labelled(state)) == []
