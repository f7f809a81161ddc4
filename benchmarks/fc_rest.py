"""REST-level FC backend figures: a real ``python -m fcbackend.server`` (uvicorn, auth on) driven
by signed requests, for ``bench_fc.py --only rest``.

Why a separate backend process: its RSS is then the backend's alone, and the client does not
share the backend's interpreter (GIL) — on a 2-core machine the client still shares the CPU, so
throughput is reported with the client's share stated. The load generator is a pool of client
*processes*, each running an asyncio ``httpx.AsyncClient`` with several connections; a signature
depends only on the method, path, headers and the (one-second) Date, so each client signs once
per second, as a real SDK could.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backend_contract import fc_signing
from fcbackend.backend_config import BackendConfig
from rosengine.clients.fc import FcClient

SERVICE, FUNCTION = "bench", "echo"
INVOKE_PATH = f"/2016-08-15/services/{SERVICE}/functions/{FUNCTION}/invocations"


def code_zip(handler_source: str) -> dict[str, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", handler_source)
    return {"zipFile": base64.b64encode(buffer.getvalue()).decode()}


@contextmanager
def running_backend(state_dir: Path, driver: str):
    """Start the backend daemon entry point and yield (endpoint, pid, key id, secret)."""
    config = BackendConfig.for_state_dir(state_dir)  # creates the credentials the daemon will use
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-m", "fcbackend.server", "--state-dir", str(state_dir), "--driver", driver],
        stdout=subprocess.PIPE,
        stderr=None,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        yield ready["endpoint"], int(ready["pid"]), config.access_key_id, config.access_key_secret
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Signer:
    """Signed invoke headers, re-signed when the Date second changes."""

    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret = key_id, secret
        self._date = ""
        self._headers: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        date = fc_signing.http_date()
        if date != self._date:
            headers = {
                "date": date,
                "content-type": "application/octet-stream",
                "x-fc-invocation-type": "Sync",
            }
            headers["authorization"] = fc_signing.authorization(
                self.key_id, self.secret, "POST", INVOKE_PATH, headers
            )
            self._date, self._headers = date, headers
        return self._headers


class RawInvoke:
    """A signed invoke request as raw HTTP/1.1 bytes, rebuilt when the Date second changes.

    Why not httpx here: an httpx request costs the client 0.3-0.5 ms of Python, more than the
    backend's own share, so a loop of httpx calls measures the client. These bytes go straight to
    a keep-alive socket and the answer is parsed just enough (status, Content-Length)."""

    def __init__(self, endpoint: str, key_id: str, secret: str, payload: bytes = b"x"):
        self.host = endpoint.split("://", 1)[1]
        self.signer = Signer(key_id, secret)
        self.payload = payload
        self._for: dict[str, str] | None = None
        self._bytes = b""

    def bytes(self) -> bytes:
        headers = self.signer.headers()
        if headers is not self._for:
            lines = [
                f"POST {INVOKE_PATH} HTTP/1.1",
                f"host: {self.host}",
                f"content-length: {len(self.payload)}",
            ] + [f"{k}: {v}" for k, v in headers.items()]
            self._bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.payload
            self._for = headers
        return self._bytes


def parse_head(head: bytes) -> tuple[int, int]:
    """(status, content length) of a response head (without the blank line)."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, length


class BlockingConnection:
    """One keep-alive TCP connection (TCP_NODELAY) for sequential raw requests."""

    def __init__(self, endpoint: str):
        host, port = endpoint.split("://", 1)[1].rsplit(":", 1)
        self.sock = socket.create_connection((host.strip("[]"), int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def roundtrip(self, request: bytes) -> tuple[int, bytes]:
        self.sock.sendall(request)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self.buffer += self._recv()
        status, length = parse_head(self.buffer[:end])
        start = end + 4
        while len(self.buffer) < start + length:
            self.buffer += self._recv()
        body, self.buffer = self.buffer[start : start + length], self.buffer[start + length :]
        return status, body

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the backend closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def warm_latencies(endpoint: str, key_id: str, secret: str, n: int) -> list[float]:
    """Sequential signed invokes over one kept-alive raw connection, in ms."""
    invoke = RawInvoke(endpoint, key_id, secret)
    connection = BlockingConnection(endpoint)
    samples = []
    try:
        for _ in range(50):  # warm up the connection and the instance
            connection.roundtrip(invoke.bytes())
        for _ in range(n):
            request = invoke.bytes()
            t0 = time.perf_counter()
            status, body = connection.roundtrip(request)
            samples.append((time.perf_counter() - t0) * 1000)
            assert status == 200 and body == b"x", body
    finally:
        connection.close()
    return samples


async def _load(
    endpoint: str, key_id: str, secret: str, concurrency: int, duration_s: float
) -> tuple[int, int]:
    """``concurrency`` raw keep-alive connections, each sending its next request when the
    previous answer is in."""
    invoke = RawInvoke(endpoint, key_id, secret)
    host, port = endpoint.split("://", 1)[1].rsplit(":", 1)
    done = errors = 0
    deadline = time.perf_counter() + duration_s

    async def worker() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while time.perf_counter() < deadline:
                writer.write(invoke.bytes())
                status, length = parse_head((await reader.readuntil(b"\r\n\r\n"))[:-4])
                await reader.readexactly(length)
                if status == 200:
                    done += 1
                else:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, errors


def _client_process(args: tuple[str, str, str, int, float, Any]) -> tuple[int, int]:
    endpoint, key_id, secret, concurrency, duration_s, start_at = args
    while time.time() < start_at:  # all client processes begin together
        time.sleep(0.001)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_load(endpoint, key_id, secret, concurrency, duration_s))
    return uvloop.run(_load(endpoint, key_id, secret, concurrency, duration_s))


def throughput(
    endpoint: str,
    key_id: str,
    secret: str,
    concurrency: int,
    processes: int,
    duration_s: float,
    backend_pid: int,
) -> dict[str, float]:
    """Invocations/s with ``concurrency`` requests in flight spread over client processes, and the
    backend's RSS sampled during the run."""
    per_process = [
        concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)
    ]
    per_process = [c for c in per_process if c > 0]
    start_at = time.time() + 0.5
    with multiprocessing.get_context("spawn").Pool(len(per_process)) as pool:
        pending = pool.map_async(
            _client_process, [(endpoint, key_id, secret, c, duration_s, start_at) for c in per_process]
        )
        peak_rss = 0.0
        while not pending.ready():
            peak_rss = max(peak_rss, rss_mb(backend_pid))
            pending.wait(0.1)
        results = pending.get()
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    return {"rate": done / duration_s, "errors": errors, "rss_mb": peak_rss, "clients": len(per_process)}


def prepare_function(endpoint: str, key_id: str, secret: str, handler_source: str, concurrency: int) -> None:
    with FcClient(endpoint, key_id, secret) as client:
        client.create_service(SERVICE)
        client.create_function(
            SERVICE,
            FUNCTION,
            code_zip(handler_source),
            runtime="python3",
            handler="index.handler",
            memorySize=256,
            cpu=2,  # the backend's throughput, not the 0.125 vCPU FC gives a 256 MB function
            timeout=30,
            instanceConcurrency=concurrency,
        )
        result = client.invoke_function(SERVICE, FUNCTION, b"x")
        assert result.status == 200 and result.body == b"x", result.body
