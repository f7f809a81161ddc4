#!/usr/bin/env python3
"""Instances on a Ray cluster (``--cluster``) against one machine: cold start and warm invoke.

Why: a cluster must not make functions slower to start or to call. The goals (issue 16): a cold
start of a pooled instance on a remote node at most 2x the single-machine figure
(benchmarks/bench_fc.py ``cold start, sandbox, zygote pool``), a warm invoke through the cluster at
most 1.5 ms p50. Both are measured at the scheduler, as bench_fc.py does, in one process: first on
this machine's own driver, then through the cluster's node agents, so the ratio compares like
with like.

The cluster is the test one (tests/support/ray_cluster.py): a head and two nodes on this machine
in a network namespace with only loopback; the measuring process runs inside it. "Remote" thus
means another raylet and another agent process reached over TCP, not another host: a real
network adds its round trip to the warm figure.

    python benchmarks/bench_cluster.py            # needs root, ip netns and Ray ('.[cluster]')
    python benchmarks/bench_cluster.py -n 50
    python benchmarks/bench_cluster.py --docker   # a custom container (the Docker tests' image)

With ``--docker`` the function is a custom container (no pool: every cold start creates and starts
a container) on this machine's Docker driver and then on a node's; both run in the namespace,
whose network has no route to Docker's bridge, so both reach the container inside its own
network namespace (docs/design/cluster.md, "Docker on the nodes"). No goal is set for it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fc import percentile
from bench_fc import spec_for as fc_spec_for

from fcbackend.cluster.agent import AgentSettings
from fcbackend.cluster.placement import ClusterPlacement, cluster_drivers, owner_name
from fcbackend.instances.docker.driver import DockerDriver
from fcbackend.instances.driver import InstanceDriver
from fcbackend.instances.process import ProcessDriver
from fcbackend.instances.sandbox import SandboxDriver, bubblewrap_works
from fcbackend.models import FunctionSpec, InvocationRequest
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.docker_images import build_test_image, make_spec

COLD_RATIO_GOAL = 2.0
WARM_GOAL_MS = 1.5
REFILL_PAUSE_S = 0.3  # lets the node's pool start the next generic sandbox before a cold start
HANDLER = "def handler(event, context):\n    return event\n"


def spec_for(code: Path, function: str) -> FunctionSpec:
    """bench_fc.py's function (a whole vCPU: the backend is measured, not a 128 MB function's CPU
    share), with 256 MB."""
    return dataclasses.replace(fc_spec_for(code, function), memory_mb=256)


def request() -> InvocationRequest:
    return InvocationRequest(request_id=str(uuid.uuid4()), payload=b"x")


SpecOf = Callable[[str], FunctionSpec]


async def measure(
    drivers: dict[str, InstanceDriver], default: str, work: Path, n: int, spec_of: SpecOf
) -> dict[str, list[float]]:
    sched = Scheduler(
        drivers,
        default_driver=default,
        state_dir=work,
        config=SchedulerConfig(prewarm_runtimes=("python3",), keep_alive_s=3600),
    )
    await sched.start()
    cold: list[float] = []
    warm: list[float] = []
    try:
        await asyncio.sleep(2.0)  # the pools fill
        for i in range(n):
            spec = spec_of(f"cold-{uuid.uuid4().hex[:8]}-{i}")
            await asyncio.sleep(REFILL_PAUSE_S)
            t0 = time.perf_counter()
            result = await sched.invoke(spec, request())
            cold.append((time.perf_counter() - t0) * 1000)
            assert result.ok and result.cold, result.body
            await sched.evict(spec.service, spec.function)
        spec = spec_of("warm")
        await sched.invoke(spec, request())
        for _ in range(n * 8):
            t0 = time.perf_counter()
            result = await sched.invoke(spec, request())
            warm.append((time.perf_counter() - t0) * 1000)
            assert result.ok and not result.cold, result.body
    finally:
        await sched.close()
    return {"cold": cold, "warm": warm}


def local_drivers(work: Path) -> tuple[dict[str, InstanceDriver], str]:
    if bubblewrap_works()[0]:
        return {"sandbox": SandboxDriver(work, pool_size=2)}, "sandbox"
    return {"process": ProcessDriver(work, pool_size=2)}, "process"


def container_spec(image: str) -> SpecOf:
    """The Docker tests' custom container (its CA server), a whole vCPU and 256 MB as above."""

    def spec_of(function: str) -> FunctionSpec:
        return dataclasses.replace(
            make_spec(image), service="bench", function=function, cpu=1.0, memory_mb=256
        )

    return spec_of


async def inside(address: str, n: int, image: str | None) -> None:
    """The measurements, run inside the cluster's namespace (``image``: a custom container's)."""
    from fcbackend.cluster.ray_plane import RayPlane

    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    (work / "code").mkdir()
    (work / "code" / "index.py").write_text(HANDLER)
    spec_of: SpecOf = container_spec(image) if image else (lambda name: spec_for(work / "code", name))
    if image:
        drivers, default = {"docker": DockerDriver(work / "local")}, "docker"
    else:
        drivers, default = local_drivers(work / "local")
    local = await measure(drivers, default, work, n, spec_of)
    plane = RayPlane.connect(address)
    placement = ClusterPlacement(plane, AgentSettings(), owner_name(str(work)))
    drivers, default = cluster_drivers(placement, None)
    cluster = await measure(drivers, default, work, n, spec_of)
    rows = [
        ("cold start, one machine", local["cold"]),
        ("cold start, cluster node", cluster["cold"]),
        ("warm invoke, one machine", local["warm"]),
        ("warm invoke, cluster node", cluster["warm"]),
    ]
    for name, values in rows:
        print(
            f"{name:<28} n={len(values):<4} p50={percentile(values, 50):7.2f} ms  "
            f"p99={percentile(values, 99):7.2f} ms  mean={statistics.fmean(values):7.2f} ms"
        )
    cold_ratio = percentile(cluster["cold"], 50) / percentile(local["cold"], 50)
    if image:
        print(f"cold start of a container, cluster/one machine (p50): {cold_ratio:.2f}")
        return
    warm_p50 = percentile(cluster["warm"], 50)
    print(f"cold start cluster/one machine (p50): {cold_ratio:.2f}  goal <= {COLD_RATIO_GOAL:g}")
    print(f"warm invoke through the cluster p50: {warm_p50:.2f} ms  goal <= {WARM_GOAL_MS:g} ms "
          f"(p50/goal={warm_p50 / WARM_GOAL_MS:.2f})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=30, help="cold starts per placement (warm calls: 8x)")
    parser.add_argument("--docker", action="store_true", help="a custom container instead of a sandbox")
    parser.add_argument("--inside", metavar="ADDRESS", help=argparse.SUPPRESS)
    parser.add_argument("--image", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        asyncio.run(inside(args.inside, args.n, args.image))
        return 0
    from tests.support.machine import ray_netns_usable
    from tests.support.ray_cluster import ADDRESS, RayTestCluster

    usable, why = ray_netns_usable()
    if not usable:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    cluster = RayTestCluster()
    try:
        started = time.perf_counter()
        cluster.start()
        print(
            f"test cluster (head + 2 nodes in a namespace) started in {time.perf_counter() - started:.1f} s"
        )
        image = ["--image", build_test_image()] if args.docker else []
        command = cluster.command([sys.executable, __file__, "--inside", ADDRESS, "-n", str(args.n), *image])
        return subprocess.run(command, env=cluster.env()).returncode
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
