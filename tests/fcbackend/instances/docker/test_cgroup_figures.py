"""A container's memory figures come from its cgroup, which exists only once the container started
(after the instance reading it was made): every invocation's ``X-Fc-Max-Memory-Usage`` reads it."""

from __future__ import annotations

import pytest

from fcbackend.instances.docker.driver import DockerDriver
from tests.fcbackend.instances.docker.test_driver import invoke
from tests.support.docker_images import run

pytestmark = pytest.mark.docker
MB = 1024 * 1024


def test_the_memory_peak_of_a_request_is_read_from_the_started_containers_cgroup(spec_for, state_dir) -> None:
    async def body() -> tuple[int, int]:
        driver = DockerDriver(state_dir)
        try:
            instance = await driver.start(spec_for(memory_mb=256), "i-figures")
            instance.reset_peak()
            response = await instance.request(invoke({"action": "alloc", "mb": 64}), 10)
            assert response.status == 200, response.body
            return instance.memory_peak_bytes(), instance.stats().memory_current_bytes
        finally:
            await driver.close()

    peak, current = run(body())
    assert peak >= 64 * MB, peak
    assert current > 0
