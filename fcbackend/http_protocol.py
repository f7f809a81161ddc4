"""uvicorn's httptools protocol with a response's head and body sent in one socket write.

Why: uvicorn writes the status line and headers as soon as the app sends
``http.response.start`` and the body as a second write on ``http.response.body``. On a loopback
connection each ``send`` runs the whole TCP receive path of the peer on our CPU, so for the small
answers of a warm invoke the second write is one of the largest single costs of the backend's
request path (measured: ~12 % of the main thread's time under load; benchmarks/fc_rest.py). Here a
write that is exactly a response head is held back and sent together with whatever is written
next. If nothing follows within the same event-loop turn (a streaming response waiting for its first
chunk), the head goes out on its own at the end of the turn, so no response is ever delayed.

Everything else about the transport is the real one's (attributes are delegated), including the
hand-over to the WebSocket protocol on upgrade: the pending head, if any, is flushed first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD_START = b"HTTP/1.1 "
_HEAD_END = b"\r\n\r\n"


class CoalescingTransport:
    """Delegates to ``transport`` but holds a response head until the next write (or loop turn)."""

    __slots__ = ("_transport", "_loop", "_pending", "_flush_handle")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: bytes | None = None
        self._flush_handle: asyncio.Handle | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            if self._flush_handle is not None:
                self._flush_handle.cancel()
                self._flush_handle = None
            self._transport.write(pending + bytes(data))
            return
        if isinstance(data, bytes) and data.startswith(_HEAD_START) and data.endswith(_HEAD_END):
            self._pending = data
            self._flush_handle = self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Send a held head now (end of the loop turn, close, or protocol hand-over)."""
        self._flush_handle = None
        pending, self._pending = self._pending, None
        if pending is not None and not self._transport.is_closing():
            self._transport.write(pending)

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._transport.set_protocol(protocol)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
