"""How much the FC REST API adds to a warm invocation, and how many invocations/s it sustains.

Prints three figures:
1. in-process overhead: the ASGI app alone (signature check, routing, cached spec, response
   headers) around a scheduler that answers at once — p50/p99 per call;
2. end to end over HTTP with the same instant scheduler: uvicorn in its own process, N client
   processes with keep-alive connections — invocations/s;
3. end to end with a real warm instance (process driver, Python echo function) — invocations/s and
   the ratio to (2), i.e. how much of the budget the API takes.

Run: python benchmarks/fc_api_overhead.py [--seconds 5] [--clients 2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backend_contract import fc_signing
from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.models import FunctionSpec, InvocationRequest, InvocationResult
from rosengine.clients.fc import FcClient
from tests.support.fc_api import FakeScheduler


class InstantScheduler(FakeScheduler):
    """Answers every call at once: what remains is the API's own cost."""

    async def invoke(self, spec: FunctionSpec, req: InvocationRequest) -> InvocationResult:
        result = InvocationResult(
            req.request_id,
            200,
            req.payload,
            version_id=spec.version_id,
            instance_id="i-bench",
            duration_ms=0.05,
            memory_peak_mb=10.0,
        )
        for listener in self.listeners:
            listener(spec, result)
        return result

    def add_log_listener(self, fn: Any) -> None: ...


def _zip() -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return event\n")
    return base64.b64encode(buf.getvalue()).decode()


def _setup(client: FcClient) -> None:
    client.create_service("bench")
    client.create_function(
        "bench",
        "echo",
        code={"zipFile": _zip()},
        runtime="python3.10",
        handler="index.handler",
        instanceConcurrency=100,
    )


async def _in_process(config: BackendConfig, calls: int) -> list[float]:
    app = create_app(config, scheduler=InstantScheduler(), addons=False)
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        body = {"serviceName": "bench"}
        await http.post(
            "/2016-08-15/services", json=body, headers=_signed(config, "POST", "/2016-08-15/services")
        )
        path = "/2016-08-15/services/bench/functions"
        await http.post(
            path,
            json={
                "functionName": "echo",
                "runtime": "python3.10",
                "handler": "index.handler",
                "code": {"zipFile": _zip()},
            },
            headers=_signed(config, "POST", path),
        )
    invoke_path = "/2016-08-15/services/bench/functions/echo/invocations"
    headers = _signed(config, "POST", invoke_path, "application/octet-stream")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": invoke_path,
        "raw_path": invoke_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"bench"), (b"content-length", b"5")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "app": app,
    }
    timings = []
    for _ in range(calls):
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"hello", "more_body": False}

        async def send(message: dict, sent: list = sent) -> None:
            sent.append(message)

        start = time.perf_counter()
        await app(dict(scope), receive, send)
        timings.append(time.perf_counter() - start)
        assert sent[0]["status"] == 200, sent
    return timings


def _signed(
    config: BackendConfig, method: str, path: str, content_type: str = "application/json"
) -> dict[str, str]:
    headers = {"date": fc_signing.http_date(), "content-type": content_type}
    headers["authorization"] = fc_signing.authorization(
        config.access_key_id, config.access_key_secret, method, path, headers
    )
    return headers


def _pin(cpus: set[int] | None) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)


def _serve_instant(state_dir: str, queue: Any, cpus: set[int] | None = None) -> None:
    from fcbackend.server import ThreadedServer

    _pin(cpus)
    config = BackendConfig.for_state_dir(Path(state_dir))
    server = ThreadedServer(create_app(config, scheduler=InstantScheduler(), addons=False)).start()
    queue.put(server.endpoint)
    while True:
        time.sleep(3600)


def _client_loop(
    endpoint: str, key: str, secret: str, seconds: float, out: Any, cpus: set[int] | None = None
) -> None:
    """Sequential signed invokes over one raw keep-alive connection (fc_rest.RawInvoke): an
    httpx client costs more CPU per call than the backend does, and would be what we measure."""
    from fc_rest import BlockingConnection, RawInvoke

    _pin(cpus)
    invoke = RawInvoke(endpoint, key, secret, b"hello")
    connection = BlockingConnection(endpoint)
    connection.roundtrip(invoke.bytes())
    count, latencies = 0, []
    deadline = time.perf_counter() + seconds
    while (now := time.perf_counter()) < deadline:
        status, _ = connection.roundtrip(invoke.bytes())
        latencies.append(time.perf_counter() - now)
        assert status == 200, status
        count += 1
    connection.close()
    out.put((count, statistics.median(latencies)))


def _load(
    endpoint: str, config: BackendConfig, clients: int, seconds: float, cpus: set[int] | None = None
) -> tuple[float, float]:
    out: Any = mp.Queue()
    procs = [
        mp.Process(
            target=_client_loop,
            args=(endpoint, config.access_key_id, config.access_key_secret, seconds, out, cpus),
        )
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    total = sum(r[0] for r in results)
    return total / seconds, statistics.median(r[1] for r in results)


def _cpus(text: str) -> set[int] | None:
    cpus: set[int] = set()
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus or None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--server-cpus", default="", help="e.g. 0,1: pin the backend (and its instances)")
    parser.add_argument("--client-cpus", default="", help="e.g. 2-5: pin the load generators elsewhere")
    args = parser.parse_args()
    server_cpus = _cpus(args.server_cpus)
    client_cpus = _cpus(args.client_cpus)

    with tempfile.TemporaryDirectory() as tmp:
        config = BackendConfig.for_state_dir(Path(tmp) / "inproc")
        timings = asyncio.run(_in_process(config, args.calls))
        timings.sort()
        p50 = timings[len(timings) // 2] * 1000
        p99 = timings[int(len(timings) * 0.99)] * 1000
        print(
            f"1. in-process API overhead per invoke: p50 {p50:.3f} ms, p99 {p99:.3f} ms "
            f"(goal p50 <= 0.3 ms: {'met' if p50 <= 0.3 else 'NOT met'})"
        )

        ctx_queue: Any = mp.Queue()
        state = Path(tmp) / "instant"
        server = mp.Process(target=_serve_instant, args=(str(state), ctx_queue, server_cpus), daemon=True)
        server.start()
        endpoint = ctx_queue.get(timeout=60)
        cfg = BackendConfig.for_state_dir(state)
        _setup(FcClient(endpoint, cfg.access_key_id, cfg.access_key_secret))
        rate, latency = _load(endpoint, cfg, args.clients, args.seconds, client_cpus)
        print(
            f"2. HTTP end to end, instant scheduler, {args.clients} clients: {rate:,.0f} invocations/s, "
            f"p50 latency {latency * 1000:.2f} ms"
        )
        server.terminate()

        if args.skip_real:
            return
        from fcbackend.server import start_daemon, stop_daemon

        real_dir = Path(tmp) / "real"
        own = os.sched_getaffinity(0)
        _pin(server_cpus)  # the daemon and its instances inherit this
        try:
            info, _ = start_daemon(real_dir, driver="process")
        finally:
            os.sched_setaffinity(0, own)
        try:
            _setup(FcClient(info["endpoint"], info["accessKeyId"], info["accessKeySecret"]))
            real_cfg = BackendConfig.for_state_dir(real_dir)
            real_rate, real_latency = _load(
                info["endpoint"], real_cfg, args.clients, args.seconds, client_cpus
            )
            print(
                f"3. HTTP end to end, warm process-driver instance, {args.clients} clients: "
                f"{real_rate:,.0f} invocations/s, p50 latency {real_latency * 1000:.2f} ms "
                f"(API-only ceiling ratio {real_rate / rate:.2f})"
            )
        finally:
            stop_daemon(real_dir)
    print(f"cpu cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
