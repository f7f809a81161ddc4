"""The backend's HTTP protocol sends a response's head and body in one write, and never holds a
head back longer than one event-loop turn."""

from __future__ import annotations

import asyncio
import socket
import threading

from fcbackend.http_protocol import CoalescingTransport

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


class RecordingTransport(asyncio.Transport):
    """Stands in for the socket transport: records each write as the kernel would see it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.protocol: asyncio.BaseProtocol | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def test_head_and_body_go_out_in_one_write():
    async def body() -> list[bytes]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(HEAD)
        transport.write(b"hello")
        await asyncio.sleep(0)  # the end-of-turn flush must not send the head a second time
        return real.writes

    assert asyncio.run(body()) == [HEAD + b"hello"]


def test_a_head_alone_is_sent_at_the_end_of_the_loop_turn():
    async def body() -> tuple[list[bytes], list[bytes]]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(HEAD)
        held = list(real.writes)
        await asyncio.sleep(0)
        return held, real.writes

    held, after_turn = asyncio.run(body())
    assert held == [] and after_turn == [HEAD]


def test_other_writes_pass_straight_through_and_close_flushes():
    async def body() -> tuple[list[bytes], bool]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"5\r\nchunk\r\n")
        transport.write(HEAD)
        transport.close()
        return real.writes, real.closed

    writes, closed = asyncio.run(body())
    assert writes == [b"5\r\nchunk\r\n", HEAD] and closed


def test_protocol_hand_over_flushes_and_attributes_are_the_real_transports():
    async def body() -> tuple[list[bytes], object, object]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(HEAD)
        new_protocol = asyncio.Protocol()
        transport.set_protocol(new_protocol)
        return real.writes, real.protocol is new_protocol, transport.get_extra_info("peername")

    writes, handed_over, peer = asyncio.run(body())
    assert writes == [HEAD] and handed_over and peer == ("127.0.0.1", 1)


def test_through_uvicorn_a_streamed_head_is_not_held_until_the_body():
    """A streaming app sends its head, then waits for the client to have seen it before
    producing the body: a head held back for the body would deadlock here."""
    from fcbackend.server import ThreadedServer

    head_seen = threading.Event()

    async def app(scope, receive, send):  # a plain ASGI app: no framework in the way
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"transfer-encoding", b"chunked")]}
        )
        await asyncio.to_thread(head_seen.wait, 10)
        await send({"type": "http.response.body", "body": b"late", "more_body": False})

    server = ThreadedServer(app).start()
    try:
        host, port = server.endpoint.split("://", 1)[1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            head_seen.set()
            while not rest.endswith(b"0\r\n\r\n"):
                rest += sock.recv(65536)
    finally:
        head_seen.set()
        server.stop()
    assert head.startswith(b"HTTP/1.1 200") and rest == b"4\r\nlate\r\n0\r\n\r\n"
