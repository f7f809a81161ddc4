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

import httpx

from fcbackend.config import BackendConfig
from rosengine.clients import fc_signature
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
        stdout=subprocess.PIPE, stderr=None, env=env, text=True)
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
        date = fc_signature.http_date()
        if date != self._date:
            headers = {"date": date, "content-type": "application/octet-stream", "x-fc-invocation-type": "Sync"}
            headers["authorization"] = fc_signature.authorization(self.key_id, self.secret, "POST", INVOKE_PATH,
                                                                  headers)
            self._date, self._headers = date, headers
        return self._headers


def warm_latencies(endpoint: str, key_id: str, secret: str, n: int) -> list[float]:
    """Sequential signed invokes over one kept-alive connection (TCP_NODELAY), in ms."""
    signer = Signer(key_id, secret)
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    samples = []
    with httpx.Client(base_url=endpoint, transport=transport) as http:
        for _ in range(20):  # warm up the connection and the instance
            http.post(INVOKE_PATH, content=b"x", headers=signer.headers())
        for _ in range(n):
            t0 = time.perf_counter()
            response = http.post(INVOKE_PATH, content=b"x", headers=signer.headers())
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200 and response.content == b"x", response.content
    return samples


async def _load(endpoint: str, key_id: str, secret: str, concurrency: int, duration_s: float) -> tuple[int, int]:
    signer = Signer(key_id, secret)
    transport = httpx.AsyncHTTPTransport(
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))
    done = errors = 0
    async with httpx.AsyncClient(base_url=endpoint, transport=transport, timeout=60) as http:
        deadline = time.perf_counter() + duration_s

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                response = await http.post(INVOKE_PATH, content=b"x", headers=signer.headers())
                if response.status_code == 200:
                    done += 1
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, errors


def _client_process(args: tuple[str, str, str, int, float, Any]) -> tuple[int, int]:
    endpoint, key_id, secret, concurrency, duration_s, start_at = args
    while time.time() < start_at:  # all client processes begin together
        time.sleep(0.001)
    return asyncio.run(_load(endpoint, key_id, secret, concurrency, duration_s))


def throughput(endpoint: str, key_id: str, secret: str, concurrency: int, processes: int,
               duration_s: float, backend_pid: int) -> dict[str, float]:
    """Invocations/s with ``concurrency`` requests in flight spread over client processes, and the
    backend's RSS sampled during the run."""
    per_process = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    per_process = [c for c in per_process if c > 0]
    start_at = time.time() + 0.5
    with multiprocessing.get_context("spawn").Pool(len(per_process)) as pool:
        pending = pool.map_async(_client_process, [(endpoint, key_id, secret, c, duration_s, start_at)
                                                   for c in per_process])
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
        client.create_function(SERVICE, FUNCTION, code_zip(handler_source), runtime="python3",
                               handler="index.handler", memorySize=256, timeout=30,
                               instanceConcurrency=concurrency)
        result = client.invoke_function(SERVICE, FUNCTION, b"x")
        assert result.status == 200 and result.body == b"x", result.body
