#!/usr/bin/env python3
"""OSS twin benchmarks: small-object latency, large-object throughput, idle backend memory.

Goals (issue 13): put+get of a 4 KB object through the API ≤ 2 ms p50; a 64 MB object ≥ 200 MB/s;
the twins add ≤ 20 MB to the idle backend. Printed with the ratio to each goal. Clients: the
official ``oss2`` SDK (as function code uses it; it computes a CRC-64 of every body itself) and
``httpx`` with our V1 signing (the twin alone).

    python benchmarks/bench_oss.py            # everything
    python benchmarks/bench_oss.py -n 500 --size-mb 64
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import oss2

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from fcbackend.server import ThreadedServer
from rosengine.clients.oss import OssClient

SMALL_GOAL_MS = 2.0
LARGE_GOAL_MBPS = 200.0
MEMORY_GOAL_MB = 20.0


def small_objects(bucket: oss2.Bucket, n: int, *, overwrite: bool) -> list[float]:
    """Fresh keys, or 50 keys written over and over (a rename over an existing file costs a data
    flush on ext4 with auto_da_alloc, the default: that is the difference between the two)."""
    data = os.urandom(4096)
    samples = []
    for i in range(n):
        key = f"small/{i % 50}" if overwrite else f"fresh/{time.perf_counter_ns()}"
        t0 = time.perf_counter()
        bucket.put_object(key, data)
        assert bucket.get_object(key).read() == data
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def large_object(put: object, get: object, size: int, rounds: int) -> tuple[float, float]:
    data = os.urandom(size)
    put_rates, get_rates = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        put(data)  # type: ignore[operator]
        put_rates.append(size / (time.perf_counter() - t0) / 1e6)
        t0 = time.perf_counter()
        got = get()  # type: ignore[operator]
        get_rates.append(size / (time.perf_counter() - t0) / 1e6)
        assert len(got) == size
    return statistics.median(put_rates), statistics.median(get_rates)


SERVE_PROBE = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from fcbackend.app import create_app
    from fcbackend.backend_config import BackendConfig
    from fcbackend.server import ThreadedServer
    from tests.support.fc_api import FakeScheduler
    server = ThreadedServer(create_app(BackendConfig.for_state_dir({state!r}), scheduler=FakeScheduler()))
    print(server.start().endpoint, flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
    server.stop()
    """
)


def small_objects_apart(state: Path, n: int) -> dict[str, list[float]]:
    """4 KB put+get against a backend in a process of its own, as function code meets it (the
    in-process figures above share one interpreter, and its GIL, between client and server)."""
    code = SERVE_PROBE.format(repo=str(Path(__file__).resolve().parents[1]), state=str(state))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()
        config = BackendConfig.for_state_dir(state)
        auth = oss2.Auth(config.access_key_id, config.access_key_secret)
        bucket = oss2.Bucket(auth, endpoint, "apart")
        bucket.create_bucket()
        small_objects(bucket, 20, overwrite=False)
        data = os.urandom(4096)
        lean: list[float] = []
        with OssClient(endpoint, config.access_key_id, config.access_key_secret) as client:
            for i in range(20 + n):
                t0 = time.perf_counter()
                client.put_object("apart", f"lean/{i}", data)
                assert client.get_object("apart", f"lean/{i}") == data
                lean.append((time.perf_counter() - t0) * 1000)
        return {"oss2": small_objects(bucket, n, overwrite=False), "httpx + our signing": lean[20:]}
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


IDLE_PROBE = textwrap.dedent(
    """
    import gc, sys, time, types
    sys.path.insert(0, {repo!r})
    if {without!r}:
        stub = types.ModuleType("fcbackend.oss.wiring")  # the backend as it was without the twin
        stub.mount_oss_api = lambda *args, **kwargs: None
        sys.modules["fcbackend.oss.wiring"] = stub
    from fcbackend.app import create_app
    from fcbackend.backend_config import BackendConfig
    from fcbackend.server import ThreadedServer
    from tests.support.fc_api import FakeScheduler
    import httpx
    app = create_app(BackendConfig.for_state_dir({state!r}), scheduler=FakeScheduler())
    server = ThreadedServer(app).start()
    httpx.get(server.endpoint + "/2016-08-15/local/health")
    gc.collect()
    time.sleep(0.5)
    rss = [l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]
    print(int(rss) / 1024)
    server.stop()
    """
)


def idle_rss_mb(without_twin: bool, state: Path) -> float:
    code = IDLE_PROBE.format(
        repo=str(Path(__file__).resolve().parents[1]), without=without_twin, state=str(state)
    )
    runs = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="small put+get pairs")
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-oss-"))
    from tests.support.fc_api import FakeScheduler

    config = BackendConfig.for_state_dir(work / "fc")
    server = ThreadedServer(create_app(config, scheduler=FakeScheduler())).start()
    try:
        auth = oss2.Auth(config.access_key_id, config.access_key_secret)
        bucket = oss2.Bucket(auth, server.endpoint, "bench")
        bucket.create_bucket()
        small_objects(bucket, 20, overwrite=True)  # warm up connections and caches
        for overwrite in (False, True):
            samples = small_objects(bucket, args.n, overwrite=overwrite)
            p50 = statistics.median(samples)
            p99 = statistics.quantiles(samples, n=100)[98]
            label = "overwriting 50 keys" if overwrite else "new keys"
            print(f"4 KB put+get (oss2, V1, {label}): p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                  f"p50/goal {p50 / SMALL_GOAL_MS:.2f}")  # fmt: skip
        size = args.size_mb * 1024 * 1024
        for label, sdk in (
            ("oss2, CRC on (default)", bucket),
            ("oss2, CRC off", oss2.Bucket(auth, server.endpoint, "bench", enable_crc=False)),
        ):
            put, get = large_object(
                lambda data, b=sdk: b.put_object("large.bin", data),
                lambda b=sdk: b.get_object("large.bin").read(),
                size,
                args.rounds,
            )
            print(f"{args.size_mb} MB ({label}): put {put:.0f} MB/s, get {get:.0f} MB/s, "
                  f"put/goal {put / LARGE_GOAL_MBPS:.2f}, get/goal {get / LARGE_GOAL_MBPS:.2f}")  # fmt: skip
        with OssClient(server.endpoint, config.access_key_id, config.access_key_secret) as client:
            put, get = large_object(
                lambda data: client.put_object("bench", "large.bin", data),
                lambda: client.get_object("bench", "large.bin"),
                size,
                args.rounds,
            )
        print(f"{args.size_mb} MB (httpx + our signing): put {put:.0f} MB/s, get {get:.0f} MB/s, "
              f"put/goal {put / LARGE_GOAL_MBPS:.2f}, get/goal {get / LARGE_GOAL_MBPS:.2f}")  # fmt: skip
    finally:
        server.stop()
    for label, samples in small_objects_apart(work / "apart", args.n).items():
        p50 = statistics.median(samples)
        p99 = statistics.quantiles(samples, n=100)[98]
        print(f"4 KB put+get ({label}, backend in its own process): p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
              f"p50/goal {p50 / SMALL_GOAL_MS:.2f}")  # fmt: skip
    before = idle_rss_mb(True, work / "idle-without")
    after = idle_rss_mb(False, work / "idle-with")
    added = after - before
    print(f"idle backend RSS: {before:.1f} MB without the OSS twin, {after:.1f} MB with it: "
          f"+{added:.1f} MB, added/goal {added / MEMORY_GOAL_MB:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
