"""A small HTTP/1.1 keep-alive client for the FC custom-runtime protocol
(docs/reference/fc-runtime.md#custom-runtimes-and-containers).

Why our own client: every instance — a built-in runtime's bootstrap in a sandbox, a custom runtime
behind its in-sandbox relay, a Docker container's published port — speaks plain HTTP/1.1, and the
warm path must cost well under a millisecond. A general HTTP library adds connection-pool machinery,
URL parsing and header validation we do not need, and none of them talk to a Unix socket and TCP with
the same code. This client keeps idle connections per instance (one per concurrent request, as FC
does) and frames requests and responses by ``Content-Length`` (chunked and read-to-close responses
are accepted too, since user servers in custom runtimes send them).

Usage::

    client = CaClient.unix("/path/to/ca.sock")      # or CaClient.tcp("127.0.0.1", 9000)
    response = await client.request(InstanceRequest("POST", "/invoke", body=b"{}"), timeout=3)
    await client.close()

A timeout raises :class:`TimeoutError`; a connection that drops before the response is complete
raises :class:`ConnectionLost` (the driver turns that into ``InstanceCrashed``). A response whose
body is larger than ``max_body`` (FC's limit, :data:`~fcbackend.runtimes.fc_contract.MAX_RESPONSE_BODY`)
raises :class:`~fcbackend.instances.driver.InstanceBadResponse` as soon as that is known — from its
``Content-Length`` before a byte of the body is read, or while reading a chunked or read-to-close
body — and its connection is dropped: the backend never holds more than ``max_body`` bytes of one
response, whatever the function returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

from fcbackend.instances.driver import InstanceBadResponse
from fcbackend.models import InstanceRequest, InstanceResponse
from fcbackend.runtimes.fc_contract import MAX_RESPONSE_BODY

MAX_HEADER_BYTES = 1 << 20  # our bootstraps return per-request logs in a header
_STREAM_LIMIT = 4 << 20
_READ_CHUNK = 1 << 20


class ConnectionLost(Exception):
    """The instance closed the connection (it crashed, was killed, or answered garbage).

    ``before_response`` is true when not a byte of the response arrived: on a kept-alive
    connection that may just mean the server closed it while idle, so the request is retried once.
    """

    def __init__(self, message: str, *, before_response: bool = False):
        super().__init__(message)
        self.before_response = before_response


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


_NOT_FORWARDED = frozenset(("content-length", "transfer-encoding", "connection", "host"))


def encode_request(req: InstanceRequest, host: str = "localhost") -> bytes:
    """Serialise one request; the control path travels in ``x-fc-control-path``.

    On the warm path for every invocation (two dozen ``x-fc-*`` headers), hence one pass that
    only rewrites a value when it actually holds a line break."""
    target = req.path or "/"
    if req.query:
        target += "?" + req.query
    start = f"{req.method} {target} HTTP/1.1\r\nHost: {host}\r\n"
    static = req.static_head
    seen_control = bool(static)  # a static head always carries x-fc-control-path
    parts = [] if static else [start]
    for name, value in req.headers.items():
        lower = name.lower()
        if lower in _NOT_FORWARDED:
            continue
        if lower == "x-fc-control-path":
            seen_control = True
        if value.__class__ is not str or "\r" in value or "\n" in value:
            value = _clean(value)
        parts.append(f"{name}: {value}\r\n")
    if not seen_control:
        parts.append(f"x-fc-control-path: {req.control_path}\r\n")
    parts.append(f"Content-Length: {len(req.body)}\r\n\r\n")
    tail = "".join(parts).encode("latin-1", "replace")
    if static:
        return b"".join((start.encode("latin-1", "replace"), static, tail, req.body))
    return tail + req.body


def _clean(value: str) -> str:
    return str(value).replace("\r", " ").replace("\n", " ")


def _too_large(limit: int, size: int | None = None) -> InstanceBadResponse:
    got = f" ({size} bytes)" if size is not None else ""
    return InstanceBadResponse(
        f"the function's response{got} is larger than {limit} bytes, the most a synchronous "
        "invocation returns; return a reference to the data (e.g. an OSS object) instead"
    )


async def read_response(
    reader: asyncio.StreamReader, max_body: int = MAX_RESPONSE_BODY
) -> tuple[InstanceResponse, bool]:
    """Read one response; returns it and whether the connection may be reused. A body over
    ``max_body`` bytes raises :class:`InstanceBadResponse` (the caller drops the connection)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise ConnectionLost(
            "the instance closed the connection without answering", before_response=not exc.partial
        ) from exc
    except asyncio.LimitOverrunError as exc:
        raise InstanceBadResponse("the function's response header block is too large") from exc
    if len(head) > MAX_HEADER_BYTES:
        raise InstanceBadResponse("the function's response header block is too large")
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/") or not status_line[1].isdigit():
        raise ConnectionLost(f"the instance answered something that is not HTTP: {lines[0][:80]!r}")
    status = int(status_line[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    keep_alive = headers.get("connection", "").lower() != "close" and status_line[0] != "HTTP/1.0"
    try:
        if "transfer-encoding" in headers and "chunked" in headers["transfer-encoding"].lower():
            body = await _read_chunked(reader, max_body)
            headers.pop("transfer-encoding", None)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if length > max_body:
                raise _too_large(max_body, length)
            body = await reader.readexactly(length)
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = await _read_to_close(reader, max_body)
            keep_alive = False
    except asyncio.IncompleteReadError as exc:
        raise ConnectionLost("the instance closed the connection in the middle of a response") from exc
    except (ValueError, asyncio.LimitOverrunError) as exc:
        raise ConnectionLost(f"the instance sent a malformed response: {exc}") from exc
    return InstanceResponse(status=status, headers=headers, body=body), keep_alive


async def _read_to_close(reader: asyncio.StreamReader, max_body: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := await reader.read(_READ_CHUNK):
        size += len(chunk)
        if size > max_body:
            raise _too_large(max_body)
        parts.append(chunk)
    return b"".join(parts)


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            # trailers end with an empty line
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        total += size
        if total > max_body:
            raise _too_large(max_body)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class CaClient:
    """Keep-alive HTTP/1.1 to one instance, over a Unix socket or TCP."""

    def __init__(
        self,
        *,
        unix_path: str | None = None,
        host: str | None = None,
        port: int | None = None,
        max_idle: int = 200,
        make_socket: Callable[[], socket.socket] | None = None,
        where: str = "",
    ):
        """``make_socket``: TCP connections use sockets made by it (e.g. created inside another
        network namespace) instead of the default ones; ``where`` says so in error messages."""
        if (unix_path is None) == (host is None):
            raise ValueError("give either unix_path or host+port")
        self.unix_path = unix_path
        self.host = host
        self.port = port
        self.max_idle = max_idle
        self._make_socket = make_socket
        self._where = where
        self._idle: list[_Connection] = []
        self._busy: set[_Connection] = set()
        self._closed = False

    @classmethod
    def unix(cls, path: str) -> CaClient:
        return cls(unix_path=path)

    @classmethod
    def tcp(cls, host: str, port: int) -> CaClient:
        return cls(host=host, port=port)

    def describe(self) -> str:
        place = f"unix:{self.unix_path}" if self.unix_path else f"tcp:{self.host}:{self.port}"
        return f"{place} {self._where}" if self._where else place

    async def open_stream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A fresh connection to the instance that this client does not keep: for a relay that
        carries another host's bytes to the instance as they are (fcbackend.cluster.relay).
        Raises :class:`ConnectionLost` when the instance does not accept it."""
        conn = await self._connect()
        return conn.reader, conn.writer

    async def _connect(self) -> _Connection:
        try:
            if self.unix_path is not None:
                reader, writer = await asyncio.open_unix_connection(self.unix_path, limit=_STREAM_LIMIT)
            elif self._make_socket is not None:
                reader, writer = await self._connect_made_socket()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=_STREAM_LIMIT)
        except OSError as exc:
            raise ConnectionLost(f"cannot connect to the instance at {self.describe()}: {exc}") from exc
        return _Connection(reader, writer)

    async def _connect_made_socket(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        assert self._make_socket is not None
        sock = self._make_socket()
        try:
            await asyncio.get_running_loop().sock_connect(sock, (self.host, self.port))
            return await asyncio.open_connection(sock=sock, limit=_STREAM_LIMIT)
        except BaseException:  # a cancelled connect must not leak the socket either
            with contextlib.suppress(OSError):
                sock.close()
            raise

    async def request(
        self, req: InstanceRequest, timeout: float | None = None, *, close_after: bool = False
    ) -> InstanceResponse:
        """Send ``req`` and return the response; ``close_after`` drops the connection afterwards."""
        if timeout is None:
            return await self._request(req, close_after)
        # asyncio.timeout rather than wait_for: same TimeoutError, but no extra task per request
        # (a task costs a few microseconds of scheduling on the warm path).
        async with asyncio.timeout(timeout):
            return await self._request(req, close_after)

    async def _request(self, req: InstanceRequest, close_after: bool) -> InstanceResponse:
        if self._closed:
            raise ConnectionLost("the client is closed")
        data = encode_request(req)
        reused = bool(self._idle)
        conn = self._idle.pop() if reused else await self._connect()
        self._busy.add(conn)
        try:
            try:
                conn.writer.write(data)
                await conn.writer.drain()
                response, keep_alive = await read_response(conn.reader)
            except (ConnectionLost, ConnectionError) as exc:
                conn.close()
                stale = isinstance(exc, ConnectionError) or getattr(exc, "before_response", False)
                if not (reused and stale):
                    raise ConnectionLost(str(exc) or "connection lost") from exc
                # A kept-alive connection may have been closed by the server while idle: retry
                # once on a fresh connection, which tells a dead instance from a stale socket.
                conn = await self._connect()
                self._busy.add(conn)
                conn.writer.write(data)
                await conn.writer.drain()
                response, keep_alive = await read_response(conn.reader)
        except BaseException:
            self._busy.discard(conn)
            conn.close()
            raise
        self._busy.discard(conn)
        if keep_alive and not close_after and not self._closed and len(self._idle) < self.max_idle:
            self._idle.append(conn)
        else:
            conn.close()
        return response

    async def wait_ready(self, deadline_s: float) -> None:
        """Poll until a connection can be opened (used for servers that start listening later)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline_s
        delay = 0.002
        while True:
            try:
                conn = await self._connect()
            except ConnectionLost:
                if loop.time() >= end:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
                continue
            self._idle.append(conn)
            return

    async def close(self) -> None:
        self._closed = True
        for conn in self._idle + list(self._busy):
            conn.close()
        self._idle.clear()
        self._busy.clear()
