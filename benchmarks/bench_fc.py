#!/usr/bin/env python3
"""FC backend benchmarks: cold start, warm invoke, idle instance memory.

Why a script and not timed tests: figures depend on the machine; this prints them with the ratios
to our goals (cold start ≤ 15 ms p50, ≤ 15 MB per idle warm Python instance) so changes can be
compared run to run. Each measurement is one async function taking the parsed arguments and
returning rows of figures; add one by writing a function and listing it in ``MEASUREMENTS`` (the
REST-level measurements go there too).

    python benchmarks/bench_fc.py                 # everything, both local drivers
    python benchmarks/bench_fc.py --only cold --driver sandbox -n 50
    python benchmarks/bench_fc.py --only rest --driver sandbox     # REST figures (fc_rest.py)
    python benchmarks/bench_fc.py --only cold --builtin-libraries  # with FC's built-in libraries
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fcbackend.instances.process import ProcessDriver
from fcbackend.instances.sandbox import SandboxDriver, bubblewrap_works
from fcbackend.models import FunctionSpec, InvocationRequest
from fcbackend.runtimes.builtin_libraries import PythonLibraryLayer
from fcbackend.scheduler import Scheduler, SchedulerConfig

COLD_GOAL_MS = 15.0
RSS_GOAL_MB = 15.0
REST_OVERHEAD_GOAL_MS = 0.3
THROUGHPUT_GOAL = 3000.0  # invocations/s on a 2-core machine; ratio > 1 is good here
HANDLER = "def handler(event, context):\n    return event\n"

Row = dict[str, object]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, values: list[float], goal: float | None = None, unit: str = "ms") -> Row:
    row: Row = {
        "measure": name,
        "n": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "mean": statistics.fmean(values) if values else float("nan"),
        "unit": unit,
    }
    if goal is not None:
        row["goal"] = goal
        row["p50/goal"] = row["p50"] / goal  # type: ignore[operator]
    return row


def spec_for(code: Path, function: str) -> FunctionSpec:
    return FunctionSpec(
        service="bench",
        function=function,
        version_id="LATEST",
        qualifier="LATEST",
        runtime="python3",
        handler="index.handler",
        code_dir=code,
        code_checksum=function,
    )


# FC's built-in Python libraries on every driver (``--builtin-libraries``): a path entry, so a
# cold start should cost the same with them (only an import of one of them costs more)
LIBRARIES: list[PythonLibraryLayer] = []


def make_driver(kind: str, state: Path, pool_size: int):
    cls = SandboxDriver if kind == "sandbox" else ProcessDriver
    driver = cls(state, pool_size=pool_size)
    for layer in LIBRARIES:
        driver.use_python_libraries(layer)
    return driver


@asynccontextmanager
async def bench_scheduler(kind: str, state: Path, pool_size: int):
    driver = make_driver(kind, state, pool_size)
    sched = Scheduler(
        {kind: driver},
        default_driver=kind,
        state_dir=state,
        config=SchedulerConfig(prewarm_runtimes=(), pool_size=pool_size, keep_alive_s=3600),
    )
    await sched.start()
    try:
        yield sched, driver
    finally:
        await sched.close()


def request(payload: bytes = b"x") -> InvocationRequest:
    return InvocationRequest(request_id=str(uuid.uuid4()), payload=payload)


async def measure_cold(args: argparse.Namespace, kind: str, work: Path) -> list[Row]:
    """Scheduler-level cold start: a new function each time, a pre-started worker waiting."""
    rows: list[Row] = []
    code = work / "code"
    for pool_size, label in ((2, "zygote pool"), (0, "no pool")):
        samples = []
        n = args.n if pool_size else max(5, args.n // 4)
        async with bench_scheduler(kind, work / f"state-{kind}-{pool_size}", pool_size) as (sched, driver):
            for i in range(n):
                spec = spec_for(code, f"cold-{i}")
                if pool_size:
                    await driver.wait_pool(spec, 30)
                t0 = time.perf_counter()
                result = await sched.invoke(spec, request())
                samples.append((time.perf_counter() - t0) * 1000)
                assert result.ok and result.cold, result.body
                await sched.evict("bench", spec.function)
        rows.append(summary(f"cold start, {kind}, {label}", samples, COLD_GOAL_MS))
    return rows


async def measure_warm(args: argparse.Namespace, kind: str, work: Path) -> list[Row]:
    """Scheduler-level warm invoke of the same function (instance reused)."""
    async with bench_scheduler(kind, work / f"state-warm-{kind}", 1) as (sched, _driver):
        spec = spec_for(work / "code", "warm")
        await sched.invoke(spec, request())
        samples = []
        for _ in range(args.n * 4):
            t0 = time.perf_counter()
            result = await sched.invoke(spec, request())
            samples.append((time.perf_counter() - t0) * 1000)
            assert result.ok and not result.cold
    return [summary(f"warm invoke, {kind}", samples)]


def _rss_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total / (1024 * 1024)


def _pss_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total / (1024 * 1024)


async def measure_idle_memory(args: argparse.Namespace, kind: str, work: Path) -> list[Row]:
    """Memory of idle warm Python instances: RSS/PSS of all their processes, cgroup usage."""
    rss, pss, cgroup = [], [], []
    async with bench_scheduler(kind, work / f"state-mem-{kind}", 0) as (sched, _driver):
        for i in range(5):
            await sched.invoke(spec_for(work / "code", f"mem-{i}"), request())
        for inst in sched._pools.values():
            for managed in inst.instances:
                worker = managed.instance.worker  # type: ignore[union-attr]
                pids = worker.cgroup.pids() if worker.cgroup else [worker.process.pid]
                rss.append(_rss_of(pids))
                pss.append(_pss_of(pids))
                if worker.cgroup:
                    cgroup.append(worker.cgroup.memory_current() / (1024 * 1024))
    rows = [
        summary(f"idle warm instance RSS, {kind}", rss, RSS_GOAL_MB, "MB"),
        summary(f"idle warm instance PSS, {kind}", pss, RSS_GOAL_MB, "MB"),
    ]
    if cgroup:
        rows.append(summary(f"idle warm instance cgroup usage, {kind}", cgroup, None, "MB"))
    return rows


async def measure_rest(args: argparse.Namespace, kind: str, work: Path) -> list[Row]:
    """Through the REST API of a real uvicorn backend (auth on, signed requests): warm invoke
    latency and its overhead over a direct scheduler call, throughput at concurrency 1/16/64 from
    client processes, and the backend's RSS idle and under load."""
    import fc_rest

    direct = (await measure_warm(args, kind, work))[0]
    rows: list[Row] = []
    state = work / f"state-rest-{kind}"
    with fc_rest.running_backend(state, kind) as (endpoint, pid, key_id, secret):
        fc_rest.prepare_function(endpoint, key_id, secret, HANDLER, concurrency=64)
        idle_rss = fc_rest.rss_mb(pid)
        rest = await asyncio.to_thread(fc_rest.warm_latencies, endpoint, key_id, secret, args.n * 10)
        rest_row = summary(f"warm invoke via REST, {kind}", rest)
        rows.append(direct)
        rows.append(rest_row)
        overhead = [float(rest_row["p50"]) - float(direct["p50"])]
        rows.append(summary(f"REST overhead over scheduler (p50), {kind}", overhead, REST_OVERHEAD_GOAL_MS))
        rows.append(summary(f"backend RSS idle (1 warm instance), {kind}", [idle_rss], None, "MB"))
        for concurrency in (1, 16, 64):
            processes = 1 if concurrency == 1 else args.clients
            figures = await asyncio.to_thread(
                fc_rest.throughput, endpoint, key_id, secret, concurrency, processes, args.duration, pid
            )
            rows.append(
                summary(
                    f"throughput c={concurrency} ({figures['clients']} client procs), {kind}",
                    [figures["rate"]],
                    THROUGHPUT_GOAL,
                    "inv/s",
                )
            )
            rows.append(
                summary(f"backend RSS under load c={concurrency}, {kind}", [figures["rss_mb"]], None, "MB")
            )
            if figures["errors"]:
                print(f"  ! {figures['errors']:.0f} non-200 answers at c={concurrency}")
    return rows


MEASUREMENTS: dict[str, Callable[[argparse.Namespace, str, Path], Awaitable[list[Row]]]] = {
    "cold": measure_cold,
    "warm": measure_warm,
    "memory": measure_idle_memory,
    "rest": measure_rest,
}


def print_rows(rows: list[Row]) -> None:
    for row in rows:
        unit = row["unit"]
        line = (
            f"{row['measure']:<48} n={row['n']:<4} p50={row['p50']:8.2f} {unit}  p99={row['p99']:8.2f} {unit}"
            f"  mean={row['mean']:8.2f} {unit}"
        )
        if "goal" in row:
            line += f"  goal={row['goal']:g} {unit}  p50/goal={row['p50/goal']:.2f}"
        print(line, flush=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", choices=("sandbox", "process", "all"), default="all")
    parser.add_argument("--only", choices=sorted(MEASUREMENTS), action="append")
    parser.add_argument(
        "--builtin-libraries", action="store_true", help="give instances FC's built-in Python libraries"
    )
    parser.add_argument("-n", type=int, default=40, help="samples per measurement (warm uses 4x, REST 10x)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per REST throughput run")
    parser.add_argument("--clients", type=int, default=2, help="client processes for REST throughput")
    args = parser.parse_args()
    if args.builtin_libraries:
        layer = PythonLibraryLayer.from_environment()
        if layer is None:
            print("ROS_FC_PYTHON_LIBRARIES=off: no built-in libraries to measure")
            return 2
        print(f"built-in libraries: {layer.build()}")
        LIBRARIES.append(layer)
    kinds = ["sandbox", "process"] if args.driver == "all" else [args.driver]
    if "sandbox" in kinds and not bubblewrap_works()[0]:
        print(f"skipping sandbox: {bubblewrap_works()[1]}")
        kinds.remove("sandbox")
    with tempfile.TemporaryDirectory(prefix="bench-fc-") as tmp:
        work = Path(tmp)
        (work / "code").mkdir()
        (work / "code" / "index.py").write_text(HANDLER)
        for name in args.only or list(MEASUREMENTS):
            for kind in kinds:
                print_rows(await MEASUREMENTS[name](args, kind, work))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
