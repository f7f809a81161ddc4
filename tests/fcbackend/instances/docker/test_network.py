"""``internetAccess: false`` on the Docker driver, against the real dockerd.

The "outside" a function must not reach is a TCP listener in this test process on the host's
address on the default bridge (``tests.support.docker_bridge``) — the host itself, which a container
on the bridge reaches and which an internal Docker network would *not* have cut off. Each kind of
instance (web server in both address modes, run-to-completion job, built-in runtime) tries to
connect there: refused/unreachable without internet access, connected with it, and is invoked
normally either way.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from fcbackend.instances.docker.container_config import container_config
from fcbackend.instances.docker.driver import LABEL_BACKEND, DockerDriver
from fcbackend.models import HealthCheck, InstanceRequest, InstanceStartError
from tests.support.docker_bridge import bridge_host_address
from tests.support.docker_images import make_spec, run

pytestmark = pytest.mark.docker

# Runs inside the containers (the test image's /usr/bin/python3): one connection attempt.
REACH = r"""
import socket
def reach(host, port):
    try:
        with socket.create_connection((host, port), timeout=3):
            return "connected"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
"""

WEB_SERVER = (
    REACH
    + r"""
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # the health check
        self.answer({"healthy": True})

    def do_POST(self):
        target = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.answer({"outside": reach(target["host"], target["port"])})

    def answer(self, payload):
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

HTTPServer(("0.0.0.0", int(os.environ["FC_SERVER_PORT"])), Handler).serve_forever()
"""
)

JOB = (
    REACH
    + r"""
import json, os
target = json.load(open(os.environ["FC_EVENT_PATH"]))
print(json.dumps({"outside": reach(target["host"], target["port"])}))
"""
)

HANDLER = (
    REACH
    + r"""
import json
def handler(event, context):
    target = json.loads(event)
    return json.dumps({"outside": reach(target["host"], target["port"])})
"""
)


@pytest.fixture
def outside(docker_ready: None, tmp_path: Path) -> Iterator[dict]:
    """A listener in this process on the host's address on the default bridge: ``{"host", "port"}``."""

    async def default_bridge() -> dict:
        driver = DockerDriver(tmp_path)
        try:
            return await driver.engine.call("GET", "/networks/bridge")
        finally:
            await driver.close()

    host = bridge_host_address(run(default_bridge()))
    with socket.create_server((host, 0), backlog=32) as listener:
        yield {"host": host, "port": listener.getsockname()[1]}


def invoke(event: dict) -> InstanceRequest:
    return InstanceRequest(
        "POST",
        "/invoke",
        headers={"x-fc-request-id": "req-net"},
        body=json.dumps(event).encode(),
        control_path="/invoke",
    )


def test_the_listener_is_reachable_from_this_host(outside):
    with socket.create_connection((outside["host"], outside["port"]), timeout=3):
        pass


@pytest.mark.parametrize("internet_access", [False, True], ids=["no-internet", "internet"])
@pytest.mark.parametrize("address_mode", ["bridge", "published"])
def test_web_server_container_reaches_outside_only_with_internet_access(
    spec_for, state_dir, outside, address_mode, internet_access
):
    check = HealthCheck(
        http_get_url="/health",
        initial_delay_s=0,
        period_s=0.05,
        timeout_s=1,
        failure_threshold=2,
        success_threshold=1,
    )
    spec = spec_for(
        internet_access=internet_access,
        health_check=check,
        custom_command=("/usr/bin/python3", "-S", "-c", WEB_SERVER),
    )

    async def body():
        driver = DockerDriver(state_dir, address_mode=address_mode)
        try:
            instance = await driver.start(spec, "i-net")
            network_mode = (await driver.engine.inspect_container(instance.container_id))["HostConfig"][
                "NetworkMode"
            ]
            response = await instance.request(invoke(outside), 10)
            again = await instance.request(invoke(outside), 10)  # the kept-alive connection
            return network_mode, response, again, instance.healthy
        finally:
            await driver.close()

    network_mode, response, again, healthy = run(body())
    assert response.status == 200 and again.status == 200 and healthy
    outcome = json.loads(response.body)["outside"]
    if internet_access:
        assert network_mode != "none" and outcome == "connected"
    else:
        assert network_mode == "none"
        assert outcome != "connected" and "unreachable" in outcome.lower(), outcome


@pytest.mark.parametrize("internet_access", [False, True], ids=["no-internet", "internet"])
def test_run_to_completion_container_reaches_outside_only_with_internet_access(
    spec_for, state_dir, outside, internet_access
):
    spec = spec_for(
        internet_access=internet_access,
        web_server_mode=False,
        custom_command=("/usr/bin/python3", "-S", "-c", JOB),
    )

    async def body():
        driver = DockerDriver(state_dir)
        try:
            instance = await driver.start(spec, "i-job")
            return await instance.request(invoke(outside), 20)
        finally:
            await driver.close()

    response = run(body())
    assert response.status == 200, response.body
    outcome = json.loads(response.body)["outside"]
    assert (outcome == "connected") == internet_access, outcome


def test_builtin_runtime_without_internet_access_has_no_network(docker_ready, state_dir, tmp_path, outside):
    from fcbackend.images import RECIPES, build_host_runtime_image

    build_host_runtime_image(RECIPES["python3"], log=lambda _line: None)
    code = tmp_path / "code"
    code.mkdir()
    (code / "index.py").write_text(HANDLER)
    spec = make_spec(None, runtime="python3", handler="index.handler", code_dir=code, internet_access=False)

    async def body():
        driver = DockerDriver(state_dir)
        try:
            instance = await driver.start(spec, "i-builtin")
            network_mode = (await driver.engine.inspect_container(instance.container_id))["HostConfig"][
                "NetworkMode"
            ]
            return network_mode, await instance.request(invoke(outside), 10)
        finally:
            await driver.close()

    network_mode, response = run(body())
    assert response.status == 200, response.body
    assert network_mode == "none"
    assert json.loads(response.body)["outside"] != "connected", response.body


def test_a_backend_that_cannot_enter_the_namespace_fails_the_start_clearly(spec_for, state_dir, monkeypatch):
    import fcbackend.instances.docker.driver as docker_driver

    def refuse(pid: int) -> int:
        raise PermissionError(1, "Operation not permitted", f"/proc/{pid}/ns/net")

    monkeypatch.setattr(docker_driver, "open_container_netns", refuse)

    async def body():
        driver = DockerDriver(state_dir)
        try:
            with pytest.raises(InstanceStartError) as failed:
                await driver.start(spec_for(internet_access=False), "i-refused")
            left = await driver.engine.list_containers({LABEL_BACKEND: driver.backend})
            return str(failed.value), left
        finally:
            await driver.close()

    message, left = run(body())
    assert "internetAccess=false" in message and "svc/fn" in message and "Operation not permitted" in message
    assert left == []


def test_no_network_means_nothing_published_in_either_address_mode(test_image):
    spec = make_spec(test_image, internet_access=False)
    for mode in ("bridge", "published"):
        host_config = container_config(spec, "i-cfg", test_image, [], [], backend="b", address_mode=mode)[
            "HostConfig"
        ]
        assert host_config["NetworkMode"] == "none" and "PortBindings" not in host_config
    published = container_config(
        make_spec(test_image), "i-cfg", test_image, [], [], backend="b", address_mode="published"
    )["HostConfig"]
    assert "NetworkMode" not in published and published["PortBindings"]
