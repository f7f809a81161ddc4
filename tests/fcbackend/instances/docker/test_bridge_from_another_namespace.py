"""A Docker driver whose network namespace has no route to Docker's bridge (a cluster node's agent
in a namespace of its own, tests/fcbackend/cluster/test_docker_on_nodes.py) still reaches a
container on the bridge: inside the container's own namespace, on its loopback.

The driver runs on a thread that moved into a fresh network namespace (only a loopback, down):
dockerd is still reached through its Unix socket, the container's bridge address is not.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from fcbackend.instances.docker.driver import DockerDriver
from fcbackend.instances.docker.netns import routable
from tests.fcbackend.instances.docker.test_driver import invoke
from tests.support.docker_images import run

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: a network namespace, entering a container's"),
]
T = TypeVar("T")
CLONE_NEWNET = 0x40000000


def in_a_new_network_namespace(work: Callable[[], T]) -> T:
    """``work()`` on a thread of its own network namespace (a namespace belongs to a thread)."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
            outcome.append((True, work()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name="no-route-to-the-bridge")
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def test_a_container_on_the_bridge_is_reached_inside_its_namespace_without_a_route_to_it(
    spec_for, state_dir
) -> None:
    async def body() -> tuple[str, bool, str, int, bool]:
        # a short start-up deadline: the driver this replaced waited it out on an unreachable address
        driver = DockerDriver(state_dir, startup_timeout_s=10)
        try:
            instance = await driver.start(spec_for(), "i-no-route")
            details = await driver.engine.inspect_container(instance.container_id)
            response = await instance.request(invoke({"action": "echo"}), 10)
            return (
                details["HostConfig"]["NetworkMode"],
                routable(instance.address[0]),
                response.body.decode(),
                response.status,
                instance.netns_fd is not None,
            )
        finally:
            await driver.close()

    network_mode, bridge_routable, answer, status, through_namespace = in_a_new_network_namespace(
        lambda: run(body())
    )
    assert network_mode == "default"  # on Docker's bridge, with Internet access
    assert not bridge_routable and through_namespace
    assert status == 200 and '"calls": 1' in answer, answer
