"""Instances placed on a real Ray cluster (``ros fc serve --cluster``): a head and two nodes in a
network namespace with only loopback (tests.support.ray_cluster), one of them with two fake GPUs.

One backend for the module, driven the way users drive it: the official FC 2.0 SDK and the
``ros`` CLI, from inside the namespace. The node-loss test kills a node, so it runs last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fc2.fc_exceptions import FcError

from tests.support.paths import REPO
from tests.support.ray_cluster import ClusterBackend, RayTestCluster
from tests.support.waiting import until

pytestmark = [pytest.mark.multinode, pytest.mark.timeout(300)]

SLEEPER = (
    "import time\n\n"
    "def handler(event, context):\n"
    "    time.sleep(float(event or b'0'))\n"
    "    return b'slept ' + (event or b'0')\n\n"
    "def pre_stop(context):\n"
    "    print('preStop ran for', context.request_id)\n"
)
# Unmodified function code of the kind FC runs: oss2 with its role's STS keys on the region's
# internal endpoint (through the proxy variables), and a plain HTTPS request that ignores proxies
# (name resolution and the CA in the trust store).
OSS_WRITER = """
import importlib.util
import json
import os
import urllib.error
import urllib.request

import oss2


def handler(event, context):
    creds = context.credentials
    auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
    endpoint = "https://oss-%s-internal.aliyuncs.com" % context.region
    oss2.Bucket(auth, endpoint, os.environ["BUCKET"]).put_object("from-node.txt", event)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        direct.open("https://oss-%s-internal.aliyuncs.com/%s/x" % (context.region, os.environ["BUCKET"]))
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    return json.dumps({"written": True, "direct": status})
"""
# Memory taken in an invocation, and a line written after its response (outside any invocation).
NOISY = """
import threading


def handler(event, context):
    block = b"x" * (48 * 1024 * 1024)
    threading.Timer(0.05, lambda: print("written after the response", flush=True)).start()
    return str(len(block)).encode()
"""
GPU_PROBE = (
    "import os\n\n"
    "def handler(event, context):\n"
    "    return os.environ.get('CUDA_VISIBLE_DEVICES', '').encode()\n"
)


@pytest.fixture(scope="module")
def backend(
    ray_cluster: RayTestCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ClusterBackend]:
    home = tmp_path_factory.mktemp("cluster-backend")
    started = ClusterBackend(ray_cluster, home)
    code = home / "code"
    code.mkdir()
    (code / "index.py").write_text(SLEEPER)
    gpu_code = home / "gpu-code"
    gpu_code.mkdir()
    (gpu_code / "index.py").write_text(GPU_PROBE)
    for name, text in (("oss-code", OSS_WRITER), ("noisy-code", NOISY)):
        (home / name).mkdir()
        (home / name / "index.py").write_text(text)

    def create() -> None:
        client = started.fc2()
        client.create_service("svc")
        client.create_function("svc", "echo", "python3", "index.handler", codeDir=str(code), timeout=30)
        client.create_function(
            "svc", "gpu", "python3", "index.handler", codeDir=str(gpu_code), timeout=30,
            instanceType="fc.gpu.tesla.1", memorySize=1024,
        )  # fmt: skip
        # 4 GB of the 6 GB each node offers: one such instance per node at a time
        for name in ("big", "big2", "big3"):
            client.create_function(
                "svc", name, "python3", "index.handler", codeDir=str(code), timeout=60, memorySize=4096
            )
        client.create_function(
            "svc", "slow", "python3", "index.handler", codeDir=str(code), timeout=60, instanceConcurrency=2
        )
        client.create_function(
            "svc", "noisy", "python3", "index.handler", codeDir=str(home / "noisy-code"), memorySize=256
        )
        with started.fc_client() as fc:  # the SDK cannot set lifecycle hooks
            fc.update_function(
                "svc",
                "big",
                instanceLifecycleConfig={"preStop": {"handler": "index.pre_stop", "timeout": 10}},
            )

    ray_cluster.call(create)
    try:
        yield started
    finally:
        started.stop()


def _instances_of(backend: ClusterBackend, function: str) -> list[dict[str, Any]]:
    return [row for row in backend.instances() if row["function"] == function]


def test_an_invocation_runs_on_a_cluster_node_end_to_end(
    ray_cluster: RayTestCluster, backend: ClusterBackend
) -> None:
    result = backend.ros("fc", "invoke", "svc/echo", "--event", "0")
    assert result.returncode == 0, result.stderr + backend.log_text()[-2000:]
    assert "slept 0" in result.stdout
    rows = _instances_of(backend, "echo")
    assert len(rows) == 1
    # a CPU function may land on any node with CPUs: never on the head, which offers none
    assert rows[0]["node"] in (ray_cluster.nodes["cpu"], ray_cluster.nodes["gpu"])
    shown = backend.ros("fc", "instances")
    assert shown.returncode == 0 and "Node" in shown.stdout and rows[0]["node"][:12] in shown.stdout
    # warm: the same instance again, straight to its node
    again = ray_cluster.call(lambda: backend.fc2().invoke_function("svc", "echo", payload=b"0"))
    assert again.data == b"slept 0"
    assert [r["id"] for r in _instances_of(backend, "echo")] == [rows[0]["id"]]


def test_a_gpu_function_lands_on_the_gpu_node(ray_cluster: RayTestCluster, backend: ClusterBackend) -> None:
    response = ray_cluster.call(lambda: backend.fc2().invoke_function("svc", "gpu", payload=b""))
    # the node's agent gave the instance one of its (declared) cards
    assert response.data.startswith(b"GPU-declared-"), response.data
    (row,) = _instances_of(backend, "gpu")
    assert row["node"] == ray_cluster.nodes["gpu"]


def test_a_function_on_a_node_reaches_the_twins_through_its_api_process_gateway(
    ray_cluster: RayTestCluster, backend: ClusterBackend
) -> None:
    import oss2

    from rosengine.clients.ram import RamClient
    from tests.support.ram import allow, function_role

    info = backend.info
    root = oss2.Auth(info["accessKeyId"], info["accessKeySecret"])

    def prepare() -> None:
        oss2.Bucket(root, backend.endpoint, "node-writes").create_bucket()
        with RamClient(backend.endpoint, info["accessKeyId"], info["accessKeySecret"]) as ram:
            arn = function_role(ram, "node-writer", allow("oss:PutObject", "acs:oss:*:*:node-writes/*"))
        client = backend.fc2()
        # with the host's network, and in a sandbox with a network of its own (no Internet access)
        for service, internet in (("roles", True), ("closed", False)):
            client.create_service(service, role=arn, internetAccess=internet)
            client.create_function(
                service, "write", "python3", "index.handler", codeDir=str(backend.home / "oss-code"),
                timeout=30, environmentVariables={"BUCKET": "node-writes"},
            )  # fmt: skip

    ray_cluster.call(prepare)
    for service in ("roles", "closed"):
        payload = f"from a node ({service})".encode()
        response = ray_cluster.call(backend.fc2().invoke_function, service, "write", payload)
        # written with the role's keys through the proxy; read anonymously without a proxy, the
        # twin itself refuses (403): the name resolved to the gateway and its certificate was trusted
        assert json.loads(response.data) == {"written": True, "direct": 403}, response.data
        stored = ray_cluster.call(
            lambda: oss2.Bucket(root, backend.endpoint, "node-writes").get_object("from-node.txt").read()
        )
        assert stored == payload
    rows = [r for r in backend.instances() if r["function"] == "write"]
    assert len(rows) == 2 and {r["node"] for r in rows} <= {
        ray_cluster.nodes["cpu"],
        ray_cluster.nodes["gpu"],
    }


def test_node_instances_report_their_memory_peak_and_output_written_between_invocations(
    ray_cluster: RayTestCluster, backend: ClusterBackend
) -> None:
    with backend.fc_client() as fc:
        first = ray_cluster.call(lambda: fc.invoke_function("svc", "noisy", b"", log_type="Tail"))
        assert first.body == str(48 * 1024 * 1024).encode()
        # the 48 MB the call took, measured in the instance's cgroup on its node
        assert float(first.headers["x-fc-max-memory-usage"]) >= 48, first.headers

        # the line printed after the first response comes with the next invocation's log
        def next_log() -> str:
            return ray_cluster.call(lambda: fc.invoke_function("svc", "noisy", b"", log_type="Tail")).log

        until(lambda: "written after the response" in next_log(), 30, "the late line in a log")
    logs = backend.ros("fc", "logs", "svc/noisy")
    assert "written after the response" in logs.stdout, logs.stderr


def test_an_instance_waits_pending_while_no_node_has_room_and_starts_when_one_frees(
    ray_cluster: RayTestCluster, backend: ClusterBackend
) -> None:
    client = backend.fc2()
    # two long calls of "big": one instance on each node, most of each node's memory taken
    busy = [ray_cluster.submit(client.invoke_function, "svc", "big", b"6") for _ in range(2)]
    until(lambda: sum(r["in_flight"] for r in _instances_of(backend, "big")) == 2, 60, "big on both nodes")
    assert {r["node"] for r in _instances_of(backend, "big")} == {
        ray_cluster.nodes["cpu"],
        ray_cluster.nodes["gpu"],
    }
    # "big2" finds no room (the idle small instances would not make enough): pending, its call waits
    waiting = ray_cluster.submit(client.invoke_function, "svc", "big2", b"0")
    until(
        lambda: [r["state"] for r in _instances_of(backend, "big2")] == ["starting"], 30, "big2 to be pending"
    )
    assert not waiting.done()
    # once the calls of "big" end, an idle "big" instance is stopped to make room for "big2"
    assert all(future.result(60).data == b"slept 6" for future in busy)
    assert waiting.result(60).data == b"slept 0"
    assert [r["state"] for r in _instances_of(backend, "big2")] == ["ready"]
    # the stopped one ran its preStop hook, as an idle local instance does; its output is in the log
    assert len(_instances_of(backend, "big")) == 1
    logs = backend.ros("fc", "logs", "svc/big").stdout
    assert "preStop ran for" in logs, logs


def test_a_pending_instance_gives_up_after_the_function_timeout_with_a_clear_error(
    ray_cluster: RayTestCluster, backend: ClusterBackend
) -> None:
    client = backend.fc2()
    ray_cluster.call(lambda: client.update_function("svc", "big3", timeout=1))
    # both nodes busy with a 4 GB instance each: nothing idle can be stopped to make room
    busy = [ray_cluster.submit(client.invoke_function, "svc", name, b"5") for name in ("big", "big2")]
    until(
        lambda: sum(r["in_flight"] for r in backend.instances() if r["function"] in ("big", "big2")) == 2,
        60,
        "big and big2 to run",
    )
    with pytest.raises(FcError) as failure:
        ray_cluster.call(lambda: client.invoke_function("svc", "big3", payload=b"0"))
    assert failure.value.status_code == 429
    message = str(failure.value)
    assert "ResourceExhausted" in message and "pending" in message and "4096 MB" in message
    assert [future.result(60).data for future in busy] == [b"slept 5", b"slept 5"]


def test_a_lost_node_fails_its_sync_calls_clearly_retries_async_ones_and_is_replaced(
    ray_cluster: RayTestCluster, backend: ClusterBackend
) -> None:
    client = backend.fc2()
    sync_call = ray_cluster.submit(client.invoke_function, "svc", "slow", b"20")
    until(lambda: sum(r["in_flight"] for r in _instances_of(backend, "slow")) == 1, 60, "slow to run")
    async_id = ray_cluster.call(
        lambda: client.invoke_function(
            "svc", "slow", payload=b"5", headers={"x-fc-invocation-type": "Async"}
        ).headers["x-fc-request-id"]
    )
    # both calls on the one instance (instanceConcurrency 2)
    (row,) = until(
        lambda: [r for r in _instances_of(backend, "slow") if r["in_flight"] == 2], 60, "both calls to run"
    )
    lost_node = row["node"]
    role = next(r for r, node in ray_cluster.nodes.items() if node == lost_node)
    ray_cluster.kill_node(role)

    with pytest.raises(FcError) as failure:
        sync_call.result(60)
    message = str(failure.value)
    assert failure.value.status_code == 503
    assert "InstanceLost" in message and lost_node[:12] in message

    def async_succeeded() -> bool:
        result = backend.ros("fc", "invocations", "svc/slow", "-o", "json")
        rows = [r for r in json.loads(result.stdout) if r["requestId"] == async_id]
        return any(not r["error"] and r["status"] == 200 for r in rows)

    until(async_succeeded, 90, "the async invocation to be retried on the other node")
    # new calls get an instance on the surviving node
    assert ray_cluster.call(lambda: client.invoke_function("svc", "slow", payload=b"0")).data == b"slept 0"
    survivors = {r["node"] for r in _instances_of(backend, "slow") if r["state"] == "ready"}
    assert survivors and lost_node not in survivors


def test_a_restarted_api_process_finds_the_agents_and_stops_what_its_last_run_left(
    ray_cluster: RayTestCluster, backend: ClusterBackend
) -> None:
    """Runs after the node loss: one node (6 GB) is left. The killed backend's 4 GB instances
    would leave no room for big3 if nobody stopped them."""
    client = backend.fc2()
    ray_cluster.call(lambda: client.update_function("svc", "big3", timeout=3))
    ray_cluster.call(lambda: client.invoke_function("svc", "big", payload=b"0"))
    backend.kill()
    again = ClusterBackend(ray_cluster, backend.home)
    try:
        response = ray_cluster.call(lambda: again.fc2().invoke_function("svc", "big3", payload=b"0"))
        assert response.data == b"slept 0"
        assert [r["function"] for r in again.instances()] == ["big3"]
    finally:
        again.stop()


def test_a_wrong_cluster_address_is_refused_at_start_with_the_reason(tmp_path: Path) -> None:
    served = subprocess.run(
        [
            sys.executable,
            "-m",
            "fcbackend.server",
            "--state-dir",
            str(tmp_path / "a"),
            "--cluster",
            "127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert served.returncode == 1
    assert "no Ray cluster answers at 127.0.0.1:1" in served.stderr
    started = subprocess.run(
        [str(Path(sys.executable).parent / "ros"), "fc", "start", "--state-dir", str(tmp_path / "b")],
        env={**os.environ, "ROS_CLUSTER": "127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert started.returncode == 1
    assert "no Ray cluster answers at 127.0.0.1:1" in started.stderr
