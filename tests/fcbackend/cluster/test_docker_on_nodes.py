"""Docker instances on the nodes of a real Ray cluster (``ros fc serve --cluster --driver docker``).

Containers run in the node's Docker engine, started by the node's agent: custom containers with
Internet access on Docker's bridge and without it in ``NetworkMode: none``, the built-in python3
runtime in its image, a run-to-completion job. The test cluster's nodes live in a network namespace
with only loopback (tests.support.ray_cluster), from which Docker's bridge has no route; the agent
reaches such a container's CA port inside the container's own network namespace instead
(fcbackend.instances.docker.netns), as it does a container without network.

Checked from outside the backend: the instance's node as ``ros fc instances`` lists it, the
container in Docker with that node's agent's label, the answer through the API process with its
memory peak, the container reaching the twins through the API process's gateway (by proxy and by
name), the container removed when the function is deleted, an OOM kill reported as one. The last
two tests need no Ray: the agent on its own.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fcbackend.cluster.agent import STATE_DIR_VARIABLE, AgentSettings, NodeAgent, NodeIdentity, StartReply
from fcbackend.cluster.demand import Capacity
from fcbackend.instances.docker.container_config import LABEL_BACKEND, LABEL_INSTANCE, backend_label
from tests.support.docker_images import build_test_image, labelled_containers
from tests.support.instances import make_spec, run
from tests.support.ray_cluster import ClusterBackend, RayTestCluster
from tests.support.waiting import until

# Unmodified function code (the image's Python, standard library only). Each call asks the SLS twin
# for its projects twice: through the proxy its variables name (urllib reads HTTPS_PROXY, ssl the
# CA bundle in SSL_CERT_FILE), and by name alone (ExtraHosts, no proxy). Both reach the API
# process's gateway only through what the node's agent placed in the container.
CHECKS = r"""
import http.client, json, os, ssl, urllib.error, urllib.request

SLS = "cn-hangzhou.log.aliyuncs.com"

def outcome(call):
    try:
        return call()
    except urllib.error.HTTPError as exc:
        return [exc.code, json.loads(exc.read())["errorCode"]]
    except Exception as exc:
        return repr(exc)

def through_proxy():
    urllib.request.urlopen("https://" + SLS + "/", timeout=10)

def by_name():
    trusted = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    connection = http.client.HTTPSConnection(SLS, 443, timeout=10, context=trusted)
    connection.request("GET", "/")
    answer = connection.getresponse()
    return [answer.status, json.loads(answer.read())["errorCode"]]

def report():
    return json.dumps({
        "function": os.environ.get("FC_FUNCTION_NAME"), "proxy": os.environ.get("HTTPS_PROXY"),
        "through_proxy": outcome(through_proxy), "by_name": outcome(by_name),
    }).encode()
"""
# A custom container's server around the checks.
SERVER = (
    CHECKS
    + r"""
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = report()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(("0.0.0.0", int(os.environ["FC_SERVER_PORT"])), Handler).serve_forever()
"""
)
# The built-in python3 runtime's handler around the same checks.
HANDLER = CHECKS + "\n\ndef handler(event, context):\n    return report()\n"
PYTHON = ["/usr/bin/python3", "-S", "-c"]
JOB = ["/usr/bin/python3", "-S", "/app/job.py"]  # in the test image: doubles the event's "n"
# (service, its internetAccess, function, runtime, the container's NetworkMode): custom containers
# on Docker's bridge and without network; the built-in python3 runtime in its image (the backend
# runs with --driver docker), reached through its socket directory, without network.
CASES = (
    ("dk-open", True, "open-web", "custom-container", "default"),
    ("dk-closed", False, "closed-web", "custom-container", "none"),
    ("dk-closed", False, "closed-python", "python3", "none"),
)


def _containers(instance_id: str) -> list[dict[str, Any]]:
    return labelled_containers(LABEL_INSTANCE, instance_id)


def _agent_label(node_id: str) -> str:
    """The ``rosengine.backend`` label of the containers of node ``node_id``'s agent (its state
    directory: fcbackend.cluster.agent)."""
    return backend_label(Path(tempfile.gettempdir()) / f"rosengine-node-{node_id[:12]}")


@pytest.fixture(scope="module")
def docker_backend(
    ray_cluster: RayTestCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ClusterBackend, str]]:
    from fcbackend.images import RECIPES, build_host_runtime_image

    image = build_test_image()
    build_host_runtime_image(RECIPES["python3"], log=lambda _line: None)  # python3 in Docker, offline
    home = tmp_path_factory.mktemp("docker-on-nodes")
    code = home / "code"
    code.mkdir()
    (code / "index.py").write_text(HANDLER)
    started = ClusterBackend(ray_cluster, home, "--driver", "docker")

    def create() -> None:
        client = started.fc2()
        for service, internet in {(case[0], case[1]) for case in CASES}:
            client.create_service(service, internetAccess=internet)
        for service, _, function, runtime, _ in CASES:
            if runtime == "python3":
                client.create_function(
                    service, function, runtime, "index.handler", codeDir=str(code), timeout=30
                )
                continue
            container = {"image": image, "command": json.dumps(PYTHON), "args": json.dumps([SERVER])}
            client.create_function(
                service, function, runtime, "not-used", timeout=30, memorySize=256, caPort=9000,
                customContainerConfig=container,
            )  # fmt: skip
        # a run-to-completion job: a container per invocation, no server
        job = {"image": image, "command": json.dumps(JOB), "webServerMode": False}
        client.create_function(
            "dk-open", "job", "custom-container", "not-used", timeout=30, memorySize=128,
            customContainerConfig=job,
        )  # fmt: skip
        # the test image's own server, which allocates what it is told to
        client.create_function(
            "dk-open", "hungry", "custom-container", "not-used", timeout=30, memorySize=128, caPort=9000,
            customContainerConfig={"image": image},
        )  # fmt: skip

    ray_cluster.call(create)
    try:
        yield started, image
    finally:
        started.stop()


@pytest.mark.multinode
@pytest.mark.docker
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("service", "internet_access", "function", "runtime", "network_mode"), CASES, ids=[c[2] for c in CASES]
)
def test_a_docker_instance_runs_on_a_node_answers_through_the_api_process_and_goes_with_its_function(
    ray_cluster: RayTestCluster,
    docker_backend: tuple[ClusterBackend, str],
    service: str,
    internet_access: bool,
    function: str,
    runtime: str,
    network_mode: str,
) -> None:
    backend, image = docker_backend
    response = ray_cluster.call(lambda: backend.fc2().invoke_function(service, function, payload=b"{}"))
    answer = json.loads(response.data)
    assert answer["function"] == function, answer
    # the node's relay to the API process's gateway, on the container's own 127.0.0.1
    assert (answer["proxy"] or "").startswith("http://127.0.0.1:"), answer
    # the SLS twin behind the API process's gateway answered, over TLS with the gateway's CA
    assert answer["through_proxy"] == [401, "Unauthorized"], answer
    assert answer["by_name"] == [401, "Unauthorized"], answer
    # the request's memory peak, read from the container's cgroup on its node
    assert float(response.headers["x-fc-max-memory-usage"]) > 0, response.headers

    (row,) = [r for r in backend.instances() if r["function"] == function]
    assert row["node"] in (ray_cluster.nodes["cpu"], ray_cluster.nodes["gpu"])
    # the container runs in Docker, started by the agent of the node the backend names
    (container,) = _containers(row["id"])
    assert container["State"] == "running", container
    assert container["Labels"][LABEL_BACKEND] == _agent_label(row["node"])
    assert container["HostConfig"]["NetworkMode"] == network_mode
    if runtime == "custom-container":
        assert container["Image"] == image
    else:
        assert container["Image"].startswith("rosengine/runtime-python3"), container["Image"]

    # warm: the same container again
    again = ray_cluster.call(lambda: backend.fc2().invoke_function(service, function, payload=b"{}"))
    assert json.loads(again.data) == answer
    assert [r["id"] for r in backend.instances() if r["function"] == function] == [row["id"]]

    ray_cluster.call(lambda: backend.fc2().delete_function(service, function))
    until(lambda: not _containers(row["id"]), 30, "the container to be removed")
    assert not [r for r in backend.instances() if r["function"] == function]


@pytest.mark.multinode
@pytest.mark.docker
@pytest.mark.timeout(300)
def test_a_container_killed_for_its_memory_on_a_node_is_reported_as_out_of_memory(
    ray_cluster: RayTestCluster, docker_backend: tuple[ClusterBackend, str]
) -> None:
    from fc2.fc_exceptions import FcError

    backend, _ = docker_backend
    event = json.dumps({"action": "alloc", "mb": 400}).encode()
    with pytest.raises(FcError) as failure:
        ray_cluster.call(lambda: backend.fc2().invoke_function("dk-open", "hungry", payload=event))
    # what the node's Docker engine says of the container, as for a container on this machine
    assert "ran out of memory (limit 128 MB)" in str(failure.value), failure.value
    assert not [r for r in backend.instances() if r["function"] == "hungry"]  # forgotten with its crash


@pytest.mark.multinode
@pytest.mark.docker
@pytest.mark.timeout(300)
def test_a_run_to_completion_container_runs_on_a_node_once_per_invocation(
    ray_cluster: RayTestCluster, docker_backend: tuple[ClusterBackend, str]
) -> None:
    """Such an instance has no socket: its node's agent runs its containers (one per call) and
    answers the API process over its control port."""
    backend, _ = docker_backend
    with backend.fc_client() as fc:
        result = ray_cluster.call(lambda: fc.invoke_function("dk-open", "job", b'{"n": 21}', log_type="Tail"))
        assert result.error_type is None, result.body
        answer = json.loads(result.body)
        assert answer["doubled"] == 42 and answer["request"] == result.request_id, answer
        # the container's stderr is the invocation's log
        assert f"job log line for {result.request_id}" in result.log
        failed = ray_cluster.call(lambda: fc.invoke_function("dk-open", "job", b'{"exit": 3}'))
        assert failed.error_type is not None and failed.status == 200, (failed.status, failed.body)
    (row,) = [r for r in backend.instances() if r["function"] == "job"]
    assert row["node"] in (ray_cluster.nodes["cpu"], ray_cluster.nodes["gpu"])
    assert not _containers(f"{row['id']}"), "each run's container is removed after it"


@pytest.mark.docker
def test_a_start_a_node_cannot_make_names_the_node(tmp_path: Path) -> None:
    """What a node lacks for a Docker instance (here: any image for the runtime) is that node's to
    fix, so the error says which node (no Ray: the agent on its own)."""
    node = NodeIdentity("d" * 56, "127.0.0.1", Capacity(cpu=2, memory_mb=1024))

    async def start() -> tuple[StartReply, StartReply, Capacity]:
        agent = NodeAgent(node, AgentSettings(pool_size=0, prewarm_runtimes=(), state_root=str(tmp_path)))
        try:
            spec = make_spec(None, runtime="java11")
            no_image = await agent.start_instance(spec, "i-1", "docker", "api-a")
            no_driver = await agent.start_instance(spec, "i-2", "podman", "api-a")
            return no_image, no_driver, agent.free()
        finally:
            await agent.close()

    no_image, no_driver, free = run(start)
    assert "runtime 'java11' has no Docker image" in no_image.error, no_image
    assert no_driver.error.startswith("the node has no 'podman' driver"), no_driver
    for reply in (no_image, no_driver):
        assert reply.error.endswith(f"(on node {'d' * 12} at 127.0.0.1)"), reply
    assert free == node.total  # nothing held


def test_a_node_keeps_its_agents_state_where_its_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node whose Docker engine binds paths of the host (a pod given the host's socket) names a
    directory mounted at the same path there; the node's word wins over the API process's."""
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(tmp_path / "host-mounted"))
    node = NodeIdentity("e" * 56, "127.0.0.1", Capacity(cpu=2, memory_mb=1024))

    async def state_dir() -> Path:
        settings = AgentSettings(pool_size=0, prewarm_runtimes=(), state_root=str(tmp_path / "from-api"))
        agent = NodeAgent(node, settings)
        await agent.close()
        return agent.state_dir

    assert run(state_dir) == tmp_path / "host-mounted" / f"rosengine-node-{'e' * 12}"
