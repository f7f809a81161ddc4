"""Suite-wide fixtures and the hardware markers.

``tests.support.fc_api`` is loaded as a plugin so that its ``backend`` and ``sdk`` fixtures (a real
FC API server over a fake scheduler, one per test module) reach every test that asks for them.

A test marked ``docker``, ``bwrap``, ``gpu``, ``node`` or ``multinode`` (a real PostgreSQL server
shared by several processes, ``tests.support.postgres``) needs that part of the machine; where it is missing
the test is skipped with the probe's reason (``tests.support.machine``), never failed. A test that uses
the ``ray_cluster`` fixture (a Ray head and two nodes in a network namespace, ``tests.support.ray_cluster``)
is skipped likewise where Ray or ``ip netns`` is missing. ``-m docker``
selects exactly those tests.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.machine import (
    bwrap_usable,
    docker_usable,
    gpu_usable,
    node_usable,
    postgres_usable,
    ray_netns_usable,
)

pytest_plugins = ["tests.support.fc_api", "tests.support.postgres", "tests.support.ray_cluster"]

NEEDS: dict[str, tuple[str, Callable[[], tuple[bool, str]]]] = {
    "docker": ("a usable Docker engine", docker_usable),
    "bwrap": ("bubblewrap that can create namespaces", bwrap_usable),
    "gpu": ("an NVIDIA GPU", gpu_usable),
    "node": ("Node.js", node_usable),
    "multinode": ("PostgreSQL (server binaries) and psycopg", postgres_usable),
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, (what, probe) in NEEDS.items():
        if item.get_closest_marker(marker) is not None:
            usable, why = probe()
            if not usable:
                pytest.skip(f"needs {what}: {why}")
    # The Ray test cluster (tests.support.ray_cluster) of the multinode tests needs Ray and a
    # network namespace with only loopback.
    if "ray_cluster" in getattr(item, "fixturenames", ()):
        usable, why = ray_netns_usable()
        if not usable:
            pytest.skip(f"needs a Ray test cluster: {why}")
