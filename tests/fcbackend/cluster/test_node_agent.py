"""The node agent on its own (no Ray): it admits instances against its node's resources, runs them
with this machine's drivers, reaches them through a relay port, and takes a function's code from
the API process when its node does not share the API process's file system."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fcbackend.cluster.agent import AgentSettings, NodeAgent, NodeIdentity, pack_directory
from fcbackend.cluster.demand import Capacity
from fcbackend.cluster.node_network import GatewayOffer
from fcbackend.instances.ca_client import CaClient
from fcbackend.models import InvocationRequest
from fcbackend.scheduler import protocol
from tests.support.instances import make_spec, run, write_code

HANDLER = "def handler(event, context):\n    return b'node says ' + event\n"


def _agent(tmp_path: Path) -> NodeAgent:
    node = NodeIdentity("n" * 56, "127.0.0.1", Capacity(cpu=2, memory_mb=1024))
    settings = AgentSettings(pool_size=0, prewarm_runtimes=(), state_root=str(tmp_path))
    return NodeAgent(node, settings)


def test_the_agent_takes_code_it_lacks_admits_by_memory_and_serves_through_its_relay(tmp_path: Path) -> None:
    code = write_code(tmp_path, {"index.py": HANDLER})
    # the API process's path for the code: not on this "node"
    elsewhere = "/nonexistent/api-host/unpacked/0123abcd"

    async def scenario() -> tuple[tuple[str, ...], bytes, bool, bool]:
        agent = _agent(tmp_path / "node")
        try:
            spec = make_spec(Path(elsewhere), memory_mb=768)
            missing = (await agent.start_instance(spec, "i-1", "process", "api-a")).missing_code
            await agent.put_code(elsewhere, pack_directory(code))
            reply = await agent.start_instance(spec, "i-1", "process", "api-a")
            assert not reply.error and reply.port, reply
            client = CaClient.tcp(reply.host, reply.port)
            request = protocol.invocation_request(spec, InvocationRequest("r-1", payload=b"hi"), "i-1")
            response = await client.request(request, timeout=30)
            await client.close()
            # 768 of 1024 MB taken: a second such instance does not fit until the first stops
            full = await agent.start_instance(make_spec(code, memory_mb=768), "i-2", "process", "api-a")
            stopped = await agent.release_owner("api-a")
            fits_again = await agent.start_instance(make_spec(code, memory_mb=768), "i-3", "process", "api-b")
            return missing, response.body, full.no_capacity and stopped == 1, bool(fits_again.port)
        finally:
            await agent.close()

    missing, body, full_then_released, fits_again = run(scenario)
    assert missing == (elsewhere,)
    assert body == b"node says hi"
    assert full_then_released and fits_again


PROXY_PROBE = (
    "import os\n\ndef handler(event, context):\n    return os.environ.get('HTTPS_PROXY', '').encode()\n"
)
CA_PEM = b"-----BEGIN CERTIFICATE-----\nTUFERS1VUA==\n-----END CERTIFICATE-----\n"


def test_a_node_asks_for_a_gateway_it_lacks_then_relays_its_functions_proxy_to_it(tmp_path: Path) -> None:
    """The API process's gateway offer reaches the node once; its functions get a proxy on the
    node's loopback that carries their bytes to that gateway, its CA in the bundle and its names in
    the hosts file."""
    code = write_code(tmp_path, {"index.py": PROXY_PROBE})

    async def gateway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"gateway got " + await reader.readexactly(5))
        await writer.drain()
        writer.close()

    async def scenario() -> tuple[bool, bytes, bytes, str, str]:
        upstream = await asyncio.start_server(gateway, "127.0.0.1", 0)
        port = upstream.sockets[0].getsockname()[1]
        offer = GatewayOffer(
            ("127.0.0.1", port), ("127.0.0.1", port), ("127.0.0.1", port), ("127.0.0.1", port),
            CA_PEM, ("oss-cn-hangzhou.aliyuncs.com",),
        )  # fmt: skip
        agent = _agent(tmp_path / "node")
        try:
            spec = make_spec(code)
            first = await agent.start_instance(spec, "i-1", "process", "api-a", offer.digest)
            lacking = first.missing_gateway
            await agent.put_gateway("api-a", offer)
            reply = await agent.start_instance(spec, "i-1", "process", "api-a", offer.digest)
            client = CaClient.tcp(reply.host, reply.port)
            request = protocol.invocation_request(spec, InvocationRequest("r-1", payload=b""), "i-1")
            proxy = (await client.request(request, timeout=30)).body
            await client.close()
            relay_host, relay_port = proxy.decode().removeprefix("http://").split(":")
            reader, writer = await asyncio.open_connection(relay_host, int(relay_port))
            writer.write(b"hello")
            relayed = await reader.read()
            writer.close()
            network = agent.network
            return lacking, proxy, relayed, network.bundle_path.read_text(), network.hosts_path.read_text()
        finally:
            await agent.close()
            upstream.close()

    lacking, proxy, relayed, bundle, hosts = run(scenario)
    assert lacking
    assert proxy.startswith(b"http://127.0.0.1:")
    assert relayed == b"gateway got hello"
    assert CA_PEM.decode().strip() in bundle
    assert "oss-cn-hangzhou.aliyuncs.com" in hosts


def test_names_go_to_the_newest_gateway_that_still_answers(tmp_path: Path) -> None:
    """A function's by-name request cannot say which API process it belongs to: the newest offer
    takes it, and when that API process has gone (its listener refuses), the next newest does —
    one stopped API process must not cut the others' functions off their twins."""
    from fcbackend.cluster.node_network import NodeNetwork, _first_answering

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"older gateway")
        await writer.drain()
        writer.close()

    async def scenario() -> tuple[bytes, bytes | None]:
        older = await asyncio.start_server(answer, "127.0.0.1", 0)
        gone = await asyncio.start_server(answer, "127.0.0.1", 0)
        older_at = ("127.0.0.1", older.sockets[0].getsockname()[1])
        gone_at = ("127.0.0.1", gone.sockets[0].getsockname()[1])
        gone.close()
        await gone.wait_closed()
        network = NodeNetwork(tmp_path / "net")
        await network.offer("api-old", GatewayOffer(older_at, older_at, older_at, older_at, CA_PEM, ()))
        await network.offer("api-new", GatewayOffer(gone_at, gone_at, gone_at, gone_at, CA_PEM, ()))
        try:
            assert network._named("https")() == [gone_at, older_at]
            connected = await _first_answering(network._named("https")())
            assert connected is not None
            reply = await connected[0].read()
            connected[1].close()
            nothing = await _first_answering([gone_at])
            return reply, None if nothing is None else b"connected"
        finally:
            await network.close()
            older.close()

    reply, nothing = run(scenario)
    assert reply == b"older gateway"
    assert nothing is None
