"""Docker driver: cold start through the driver vs a plain ``docker run`` of the same image, and
warm invoke latency. Goal: cold start ratio <= 1.1x.

Both cold paths are measured to the first answered request: the driver's path is create + start +
readiness + one /invoke; the plain path is ``docker run -d`` (the CLI) + waiting for the port on the
container's IP + one /invoke with the same HTTP client. Runs alternate so drift hits both equally.

    python benchmarks/bench_docker.py [--rounds 7] [--warm 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fcbackend.instances.ca_client import CaClient, ConnectionLost
from fcbackend.instances.docker.driver import DockerDriver, DockerEngine
from fcbackend.models import InstanceRequest
from tests.support.docker_images import build_test_image, make_spec

EVENT = InstanceRequest("POST", "/invoke", headers={"x-fc-request-id": "bench"}, body=b'{"action": "echo"}')


async def driver_cold_start(driver: DockerDriver, image: str, n: int) -> float:
    started = time.perf_counter()
    instance = await driver.start(make_spec(image), f"bench-{n}")
    response = await instance.request(EVENT, 10)
    elapsed = time.perf_counter() - started
    assert response.status == 200, response.body
    await instance.stop()
    return elapsed


async def plain_docker_run(engine: DockerEngine, image: str) -> float:
    started = time.perf_counter()
    done = await asyncio.create_subprocess_exec(
        "docker", "run", "-d", "--label", "rosengine.bench=1", image, stdout=asyncio.subprocess.PIPE
    )
    container_id = (await done.communicate())[0].decode().strip()
    ip = (await engine.inspect_container(container_id))["NetworkSettings"]["IPAddress"]
    client = CaClient.tcp(ip, 9000)
    while True:
        try:
            await client.wait_ready(0)
            break
        except ConnectionLost:
            await asyncio.sleep(0.002)
    response = await client.request(EVENT, 10)
    elapsed = time.perf_counter() - started
    assert response.status == 200
    await client.close()
    await engine.remove_container(container_id)
    return elapsed


async def warm_invokes(driver: DockerDriver, image: str, count: int) -> list[float]:
    instance = await driver.start(make_spec(image), "bench-warm")
    for _ in range(20):
        await instance.request(EVENT, 10)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await instance.request(EVENT, 10)
        samples.append(time.perf_counter() - started)
    await instance.stop()
    return samples


async def main(rounds: int, warm: int) -> dict[str, float]:
    image = build_test_image()
    with tempfile.TemporaryDirectory() as state:
        driver = DockerDriver(Path(state))
        engine = DockerEngine()
        await driver_cold_start(driver, image, -1)  # warm the page cache and dockerd
        await plain_docker_run(engine, image)
        ours, plain = [], []
        for n in range(rounds):
            if n % 2:
                plain.append(await plain_docker_run(engine, image))
                ours.append(await driver_cold_start(driver, image, n))
            else:
                ours.append(await driver_cold_start(driver, image, n))
                plain.append(await plain_docker_run(engine, image))
        samples = await warm_invokes(driver, image, warm)
        await driver.close()
        await engine.close()
    figures = {
        "driver_cold_start_ms_median": statistics.median(ours) * 1000,
        "docker_run_cold_start_ms_median": statistics.median(plain) * 1000,
        "cold_start_ratio": statistics.median(ours) / statistics.median(plain),
        "warm_invoke_ms_p50": statistics.median(samples) * 1000,
        "warm_invoke_ms_p99": sorted(samples)[int(len(samples) * 0.99) - 1] * 1000,
    }
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warm", type=int, default=300)
    args = parser.parse_args()
    result = asyncio.run(main(args.rounds, args.warm))
    for key, value in result.items():
        print(f"{key:34s} {value:9.2f}")
    print(json.dumps({k: round(v, 3) for k, v in result.items()}))
    if subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=rosengine.bench=1"], capture_output=True, text=True
    ).stdout.strip():
        print("warning: benchmark containers left behind", file=sys.stderr)
