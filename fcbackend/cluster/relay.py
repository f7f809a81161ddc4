"""One TCP port per instance on its node, carrying bytes to the instance's own socket.

Why bytes and not requests: the API process already speaks the FC custom-runtime protocol to
every instance (:class:`~fcbackend.instances.ca_client.CaClient`); a relay that forwards the
connection as it is adds one local hop and no parsing, so a warm invocation across the cluster
costs little more than on one machine. Sandboxes listen on a Unix socket that only their node
can reach; the relay is what makes them reachable at ``node address:port``.
"""

from __future__ import annotations

import asyncio
import contextlib

from fcbackend.instances.ca_client import CaClient, ConnectionLost

_CHUNK = 1 << 16


class InstanceRelay:
    """Listens on ``host`` (a free port) and joins every connection to the instance's CA."""

    def __init__(self, client: CaClient):
        self._client = client
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self, host: str) -> int:
        self._server = await asyncio.start_server(self._serve, host=host, port=0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            inner_reader, inner_writer = await self._client.open_stream()
        except ConnectionLost:
            writer.close()
            return
        up = asyncio.ensure_future(pipe(reader, inner_writer))
        down = asyncio.ensure_future(pipe(inner_reader, writer))
        for task in (up, down):
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)
        # Either side closing ends the connection: a dead instance must be seen as a closed
        # connection by the API process at once.
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        for task in (up, down):
            task.cancel()
        for closing in (writer, inner_writer):
            with contextlib.suppress(Exception):
                closing.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)


async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, OSError):
        while True:
            chunk = await source.read(_CHUNK)
            if not chunk:
                break
            sink.write(chunk)
            await sink.drain()
    with contextlib.suppress(Exception):
        if sink.can_write_eof():
            sink.write_eof()
