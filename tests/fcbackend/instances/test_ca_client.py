"""The custom-runtime protocol client over TCP: keep-alive, chunked bodies, dropped connections."""

from __future__ import annotations

import asyncio

import pytest

from fcbackend.instances.ca_client import CaClient, ConnectionLost
from fcbackend.instances.process import ProcessDriver
from fcbackend.models import InstanceRequest
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.instances import error_doc, make_spec, request, run, scheduler, write_code


async def _serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_keep_alive_chunked_and_control_path_over_tcp():
    connections = []

    async def handler(reader, writer):
        connections.append(writer)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client closed its side
                writer.close()
                return
            length = int(
                [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1]
            )
            body = await reader.readexactly(length)
            control = [h for h in head.split(b"\r\n") if h.lower().startswith(b"x-fc-control-path")][0]
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Echo: "
                + control.split(b": ")[1]
                + b"\r\n\r\n"
                + b"%x\r\n" % len(body)
                + body
                + b"\r\n0\r\n\r\n"
            )
            await writer.drain()

    async def scenario():
        server, port = await _serve(handler)
        client = CaClient.tcp("127.0.0.1", port)
        first = await client.request(InstanceRequest("POST", "/invoke", body=b"one"), timeout=5)
        second = await client.request(
            InstanceRequest("POST", "/invoke", body=b"two", control_path="/initialize"), timeout=5
        )
        await client.close()
        server.close()
        await server.wait_closed()
        return first, second

    first, second = run(scenario)
    assert (first.status, first.body, first.headers["x-echo"]) == (200, b"one", "/invoke")
    assert (second.body, second.headers["x-echo"]) == (b"two", "/initialize")
    assert len(connections) == 1  # the connection was kept alive


def test_connection_dropped_mid_request_raises_connection_lost():
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async def scenario():
        server, port = await _serve(handler)
        client = CaClient.tcp("127.0.0.1", port)
        try:
            with pytest.raises(ConnectionLost):
                await client.request(InstanceRequest("POST", "/invoke"), timeout=5)
        finally:
            await client.close()
            server.close()
            await server.wait_closed()

    run(scenario)


def test_process_driver_without_cgroups_limits_address_space(tmp_path):
    code = write_code(
        tmp_path,
        {
            "index.py": """
        def hog(event, context):
            blocks = []
            while True:
                blocks.append(bytearray(64 * 1024 * 1024))
    """
        },
    )

    async def scenario():
        driver = ProcessDriver(tmp_path / "state", pool_size=0, use_cgroups=False)
        assert "NOT isolated" in driver.available()[1]
        sched = Scheduler(
            {"process": driver},
            default_driver="process",
            state_dir=tmp_path / "state",
            config=SchedulerConfig(prewarm_runtimes=()),
        )
        await sched.start()
        try:
            return await sched.invoke(make_spec(code, handler="index.hog", memory_mb=128), request())
        finally:
            await sched.close()

    result = run(scenario)
    assert result.error_type == "UnhandledInvocationError"
    assert error_doc(result)["errorType"] == "MemoryError"


def test_closed_scheduler_refuses_politely(tmp_path):
    async def scenario():
        async with scheduler(tmp_path / "state", "process") as sched:
            pass
        return await sched.invoke(make_spec(tmp_path), request())

    result = run(scenario)
    assert result.status == 503 and result.error_code == "ServiceUnavailable"
