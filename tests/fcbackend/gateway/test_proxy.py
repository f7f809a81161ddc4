"""The gateway as a user's tools see it after exporting ``HTTP(S)_PROXY``: twins answer for their
hosts (TLS from the local CA), other Alibaba Cloud services answer "not emulated" at once in their
own format, and hosts outside Alibaba Cloud are tunnelled or refused by the listener's policy."""

from __future__ import annotations

import asyncio
import http.server
import socket
import ssl
import threading
from collections.abc import Iterator

import fc2
import httpx
import pytest
import requests

from fcbackend.gateway.routing import Policy
from tests.support.cloud_twins import TwinBackend, through_gateway, twin_backend
from tests.support.fc_api import FakeScheduler


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def backend(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[TwinBackend]:
    """Served on both event loops: the daemon runs on uvloop, whose transports differ."""
    state_dir = tmp_path_factory.mktemp("gateway")
    with twin_backend(state_dir, scheduler=FakeScheduler(), loop=request.param) as running:
        yield running


def _client(backend: TwinBackend, proxy: str | None = None) -> httpx.Client:
    trust = ssl.create_default_context(cafile=backend.ca_bundle)
    return httpx.Client(proxy=proxy or backend.proxy, verify=trust, trust_env=False, timeout=10)


def test_an_unemulated_rpc_service_answers_not_emulated_in_json(backend: TwinBackend) -> None:
    with _client(backend) as http:
        answer = http.get("https://ecs.cn-hangzhou.aliyuncs.com/?Action=DescribeRegions")
    assert answer.status_code == 501
    body = answer.json()
    assert body["Code"] == "NotEmulated" and body["errorCode"] == "NotEmulated"
    assert body["Message"].startswith("not emulated locally: ecs (ecs.cn-hangzhou.aliyuncs.com)")


def test_an_unemulated_xml_service_answers_in_xml(backend: TwinBackend) -> None:
    with _client(backend) as http:
        answer = http.get("https://1234.mns.cn-hangzhou.aliyuncs.com/queues/q")
    assert answer.status_code == 501 and answer.headers["content-type"] == "application/xml"
    assert "<Code>NotEmulated</Code>" in answer.text and "not emulated locally" in answer.text


def test_plain_http_proxying_reaches_the_twins_too(backend: TwinBackend) -> None:
    with _client(backend) as http:
        answer = http.get("http://sts.aliyuncs.com/?Action=GetCallerIdentity&Version=2015-04-01")
    assert answer.status_code == 400 and answer.json()["Code"] == "MissingSignature"  # STS answered


def test_oss_sts_and_ram_hosts_reach_their_twins(backend: TwinBackend) -> None:
    """The OSS twin (XML errors, the bucket from the host) and RAM/STS (RPC errors), unsigned."""
    with _client(backend) as http:
        oss = http.get("https://no-such-bucket.oss-cn-hangzhou-internal.aliyuncs.com/key")
        sts = http.get("https://sts.cn-hangzhou.aliyuncs.com/?Action=GetCallerIdentity&Version=2015-04-01")
        ram = http.get("https://ram.aliyuncs.com/?Action=ListUsers&Version=2015-05-01")
    assert oss.headers["content-type"].startswith("application/xml") and "<Code>" in oss.text
    assert "NotEmulated" not in oss.text
    assert sts.json()["Code"] == "MissingSignature" and ram.json()["Code"] == "MissingSignature"
    assert backend.cloud.info()["twins"]["oss"] == "https://oss-cn-hangzhou.aliyuncs.com"


def test_the_official_fc_sdk_reaches_the_fc_api_by_its_cloud_host(
    backend: TwinBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_gateway(monkeypatch, backend)
    with backend.fc() as fc:
        fc.create_service("through-gateway")
    cfg = backend.config
    client = fc2.Client(
        endpoint=f"https://{cfg.account_id}.{cfg.region}.fc.aliyuncs.com",
        accessKeyID=cfg.access_key_id,
        accessKeySecret=cfg.access_key_secret,
        Timeout=10,
    )
    names = [s["serviceName"] for s in client.list_services().data["services"]]
    assert "through-gateway" in names


def test_requests_sdks_use_the_proxy_and_the_bundle(
    backend: TwinBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_gateway(monkeypatch, backend)
    answer = requests.get("https://cn-hangzhou.log.aliyuncs.com/", timeout=10)
    assert answer.status_code == 401 and answer.json()["errorCode"] == "Unauthorized"
    assert answer.headers["x-log-requestid"]


async def _serve(backend: TwinBackend, policy: Policy) -> tuple[asyncio.Server, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = await backend.cloud.gateway.server.serve(sock, "proxy", policy)
    return server, sock.getsockname()[1]


def _listener(backend: TwinBackend, policy: Policy) -> tuple[asyncio.Server, int]:
    """A proxy listener with ``policy``, served by the backend's own event loop."""
    loop = backend.cloud.gateway.server.loop
    assert loop is not None
    return asyncio.run_coroutine_threadsafe(_serve(backend, policy), loop).result(10)


def test_without_internet_access_other_hosts_are_refused_at_once(backend: TwinBackend) -> None:
    server, port = _listener(backend, Policy(allow_internet=False, who="function svc/fn"))
    proxy = f"http://127.0.0.1:{port}"
    with _client(backend, proxy) as http:
        with pytest.raises(httpx.ProxyError) as caught:
            http.get("https://example.com/")
        assert "no Internet access" in str(caught.value)
        answer = http.get("http://example.com/")
        assert answer.status_code == 403 and answer.json()["Code"] == "InternetAccessDenied"
        assert "function svc/fn" in answer.json()["Message"]
        assert http.get("https://ecs.aliyuncs.com/").status_code == 501  # the twins' hosts still answer
    backend.cloud.gateway.server.forget(server)


def _local_address() -> str | None:
    """An address of this machine that is not loopback (none on an isolated machine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_with_internet_access_other_hosts_are_proxied_but_never_this_machines_loopback(
    backend: TwinBackend,
) -> None:
    with _client(backend) as client:
        with pytest.raises(httpx.ProxyError) as caught:
            client.get("https://127.0.0.1:9/")
        assert "does not tunnel to this machine" in str(caught.value)
        assert client.get("http://localhost:9/").status_code == 403
    address = _local_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to stand in for the Internet")

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"via={self.headers.get('via')}".encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None: ...

    server = http.server.ThreadingHTTPServer((address, 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with _client(backend) as client:
            answer = client.get(f"http://{address}:{server.server_address[1]}/hello")
        assert answer.status_code == 200 and answer.text == "via=1.1 rosengine-gateway"
    finally:
        server.shutdown()
        server.server_close()
