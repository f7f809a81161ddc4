"""``ros fc serve --cluster ray://HOST:PORT``: an API process that is not on a Ray node joins the
cluster through Ray Client (the head's client server, ``ray[client]``), and is refused with what
to install where grpcio is missing.

The join runs against the session's test cluster (tests.support.ray_cluster), whose head serves
Ray Client on ``CLIENT_PORT``. When the join fails, the backend's start error carries the head's
Ray Client logs (``ClusterBackend.failure_text``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.ray_cluster import CLIENT_ADDRESS, ClusterBackend, RayTestCluster

pytestmark = [pytest.mark.multinode, pytest.mark.timeout(300)]

ECHO = "def handler(event, context):\n    return b'through ray client: ' + event\n"


@pytest.mark.skipif(importlib.util.find_spec("grpc") is None, reason="Ray Client needs grpcio (ray[client])")
def test_an_api_process_joins_through_ray_client_and_runs_its_function_on_a_node(
    ray_cluster: RayTestCluster, tmp_path: Path
) -> None:
    """The API process is a Ray Client driver; its instances still run on the cluster's nodes and
    its invocations go straight to the instance's port on the node."""
    through_client = ClusterBackend(ray_cluster, tmp_path, address=CLIENT_ADDRESS)
    try:
        code = tmp_path / "code"
        code.mkdir()
        (code / "index.py").write_text(ECHO)
        client = through_client.fc2()

        def deploy_and_invoke() -> bytes:
            client.create_service("viaclient")
            client.create_function("viaclient", "echo", "python3", "index.handler", codeDir=str(code))
            return bytes(client.invoke_function("viaclient", "echo", payload=b"hi").data)

        assert ray_cluster.call(deploy_and_invoke) == b"through ray client: hi"
        # The head forked this client's server without gRPC's fork handlers. Where they are on,
        # gRPC logs that it skips them whenever another thread is inside gRPC, and such a fork
        # now and then crashes the child before it execs (tests.support.ray_cluster.HEAD_ENV).
        proxy_log = ray_cluster.ray_logs("ray_client_server.err", tail=10**6)
        assert "skipping fork() handlers" not in proxy_log, proxy_log
        rows = [row for row in through_client.instances() if row["function"] == "echo"]
        assert len(rows) == 1
        assert rows[0]["node"] in (ray_cluster.nodes["cpu"], ray_cluster.nodes["gpu"])
    finally:
        through_client.stop()


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed ('.[cluster]')")
def test_a_ray_client_address_without_grpcio_is_refused_naming_what_to_install(tmp_path: Path) -> None:
    """Ray installed without its ``client`` extra: the start says what to install instead of
    failing inside Ray. grpcio is hidden from the backend's process (the test extra installs it)."""
    without_grpcio = (
        "import runpy, sys\n"
        "sys.modules['grpc'] = None  # import grpc raises ImportError, find_spec answers None\n"
        "runpy.run_module('fcbackend.server', run_name='__main__', alter_sys=True)\n"
    )
    served = subprocess.run(
        [
            sys.executable,
            "-c",
            without_grpcio,
            "--state-dir",
            str(tmp_path),
            "--cluster",
            "ray://127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert served.returncode == 1, served.stderr
    assert "needs grpcio" in served.stderr and "pip install 'ray[client]'" in served.stderr, served.stderr
