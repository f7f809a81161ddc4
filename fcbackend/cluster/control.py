"""The node agent's own control port: starting and stopping instances without Ray's RPC.

Why not a Ray actor call: one costs about 1 ms, and about 1 ms more when the method waits on
anything (measured on our 2-core machines, benchmarks/bench_cluster.py), which alone would double
the few milliseconds of a pooled cold start. Ray still finds the agents, reports node health and
hands over this port's address and key; the two calls on the cold path go here instead.

Frames are ``length (4 bytes) | HMAC-SHA256 (32 bytes) | pickle``: the key comes from the agent
through Ray, and nothing is unpickled before its MAC checks out, so the port is no more open than
Ray itself is. One request per connection at a time; the client keeps idle connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import pickle
import struct
from collections.abc import Awaitable, Callable
from typing import Any

_HEADER = struct.Struct("!I")
_MAC_SIZE = 32
MAX_FRAME = 1024 * 1024 * 1024  # a function's code travels in one frame (FC: 500 MB unpacked)

Handler = Callable[[str, tuple[Any, ...]], Awaitable[Any]]


class ControlError(Exception):
    """The control connection failed (closed, bad frame, refused MAC)."""


class ControlUnreachable(ControlError):
    """Nothing accepted the connection: the request was never sent (safe to send elsewhere)."""


def _seal(key: bytes, value: Any) -> bytes:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    mac = hmac.new(key, body, hashlib.sha256).digest()
    return _HEADER.pack(len(body)) + mac + body


async def _read(reader: asyncio.StreamReader, key: bytes) -> Any:
    try:
        (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
        if size > MAX_FRAME:
            raise ControlError(f"a control frame of {size} bytes is over the limit")
        mac = await reader.readexactly(_MAC_SIZE)
        body = await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise ControlError("the control connection closed") from exc
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
        raise ControlError("a control frame's signature does not match")
    return pickle.loads(body)


class ControlServer:
    """Serves ``(method, args)`` frames with ``handler`` on ``host`` (a free port)."""

    def __init__(self, key: bytes, handler: Handler):
        self._key = key
        self._handler = handler
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str) -> int:
        self._server = await asyncio.start_server(self._serve, host=host, port=0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    method, args = await _read(reader, self._key)
                except ControlError:
                    return
                try:
                    reply: tuple[bool, Any] = (True, await self._handler(method, args))
                except Exception as exc:
                    reply = (False, f"{type(exc).__name__}: {exc}")
                writer.write(_seal(self._key, reply))
                await writer.drain()
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()


class ControlClient:
    """Calls one agent's control port; raises :class:`ControlError` when the call fails."""

    def __init__(self, host: str, port: int, key: bytes):
        self.host = host
        self.port = port
        self._key = key
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def call(self, method: str, *args: Any) -> Any:
        if self._idle:
            reader, writer = self._idle.pop()
        else:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                raise ControlUnreachable(
                    f"cannot reach the node agent at {self.host}:{self.port}: {exc}"
                ) from exc
        try:
            writer.write(_seal(self._key, (method, args)))
            await writer.drain()
            ok, value = await _read(reader, self._key)
        except (OSError, ControlError) as exc:
            writer.close()
            if isinstance(exc, ControlError):
                raise
            raise ControlError(f"the node agent at {self.host}:{self.port} went away: {exc}") from exc
        except BaseException:
            writer.close()
            raise
        self._idle.append((reader, writer))
        if not ok:
            raise ControlError(str(value))
        return value

    def close(self) -> None:
        for _, writer in self._idle:
            with contextlib.suppress(Exception):
                writer.close()
        self._idle.clear()
