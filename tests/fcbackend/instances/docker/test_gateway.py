"""Docker containers reach the gateway: the proxy variables and the CA bundle from the
container's environment, the names of the twins resolving to the gateway (``ExtraHosts``), and
the gateway's listeners inside the container's own network namespace, with or without a network,
and the ROS callback URLs (WaitCondition handles, custom-resource responses) on its own address."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fcbackend.instances.docker.driver import DockerDriver
from tests.support.cloud_twins import TwinBackend, twin_backend
from tests.support.docker_images import build_test_image

pytestmark = pytest.mark.docker

# A custom container's server (the host's Python, standard library only): on each call it asks
# the SLS twin for its projects through the proxy (urllib reads HTTPS_PROXY; ssl reads
# SSL_CERT_FILE), and once more by name resolution alone (no proxy), as Node's https would.
SERVER = r"""
import http.client, json, os, ssl, urllib.error, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def status_of(call):
    try:
        return call()
    except urllib.error.HTTPError as exc:
        return [exc.code, json.loads(exc.read())["errorCode"]]
    except Exception as exc:
        return repr(exc)

def by_proxy():
    urllib.request.urlopen("https://cn-hangzhou.log.aliyuncs.com/", timeout=10)

def callback():
    # ROS callback URLs live on the gateway's own address (a handle's URL without its signature).
    url = os.environ["CALLBACK_BASE"] + "/waitcondition"
    request = urllib.request.Request(url, data=b"{}", method="POST")
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        return [exc.code, json.loads(exc.read())["Code"]]

def by_name():
    context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    conn = http.client.HTTPSConnection("cn-hangzhou.log.aliyuncs.com", 443, timeout=10, context=context)
    conn.request("GET", "/")
    answer = conn.getresponse()
    return [answer.status, json.loads(answer.read())["errorCode"]]

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"proxy": status_of(by_proxy), "name": status_of(by_name),
                           "callback": status_of(callback), "env": os.environ.get("HTTPS_PROXY")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("FC_SERVER_PORT", "9000"))), Handler).serve_forever()
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinBackend]:
    usable, why = DockerDriver(tmp_path_factory.mktemp("probe")).available()
    if not usable:
        pytest.skip(f"Docker is not usable here: {why}")
    with twin_backend(tmp_path_factory.mktemp("gw-docker"), driver="docker") as running:
        if not running.cloud.gateway.network.can_attach:
            pytest.skip("the backend is not root: it cannot place the gateway in containers")
        yield running


@pytest.mark.parametrize("internet", [False, True], ids=["no-network", "bridge"])
def test_a_container_reaches_the_sls_twin_by_proxy_and_by_name(backend: TwinBackend, internet: bool) -> None:
    image = build_test_image()
    service = f"docker-gw-{'bridge' if internet else 'none'}"
    with backend.fc() as fc:
        fc.create_service(service, internetAccess=internet)
        fc.create_function(
            service,
            "fn",
            None,
            runtime="custom-container",
            handler="not-used",
            timeout=60,
            caPort=9000,
            environmentVariables={"CALLBACK_BASE": backend.cloud.gateway.own_url or ""},
            customContainerConfig={
                "image": image,
                "command": '["/usr/bin/python3", "-S", "-c"]',
                "args": json.dumps([SERVER]),
            },
        )
        result = fc.invoke_function(service, "fn", b"{}")
    assert result.error_type is None, result.body
    answer = json.loads(result.body)
    assert answer["env"] == backend.cloud.gateway.network.proxy_url
    assert answer["proxy"] == [401, "Unauthorized"], answer  # the SLS twin answered, over TLS
    assert answer["name"] == [401, "Unauthorized"], answer
    assert answer["callback"] == [400, "MissingParameter"], answer  # the ROS callbacks service answered
