"""Functions get CPU in proportion to their memory (FC 2.0) or their ``cpu`` (FC 3.0), enforced by
the instance's cgroup, so a fork bomb cannot take the host's CPUs.

Reproducer of issue 17: instances had no CPU quota (``cpu.cfs_quota_us = -1``) and a fork bomb
drove the host's load average to 210.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support.instances import (
    DRIVERS,
    make_spec,
    request,
    requires_cgroups,
    run,
    scheduler,
    write_code,
)

pytestmark = requires_cgroups

# The event is "PAUSE:WORKERS:SECONDS": sleep PAUSE seconds, then WORKERS processes spin SECONDS.
SPIN = """
import os, time

def handler(event, context):
    pause, workers, seconds = (float(x) for x in event.decode().split(":"))
    time.sleep(pause)
    children = []
    for _ in range(int(workers)):
        pid = os.fork()
        if pid == 0:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                pass
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return "spun"
"""


@pytest.mark.parametrize(
    ("memory_mb", "cpu", "vcpu"),
    [(128, None, 0.0625), (512, None, 0.25), (3072, None, 1.5), (128, 0.05, 0.05), (1024, 2.0, 2.0)],
)
def test_vcpus_follow_memory_or_the_cpu_field(memory_mb, cpu, vcpu):
    from fcbackend.runtimes.fc_contract import instance_vcpu

    assert instance_vcpu(make_spec(None, memory_mb=memory_mb, cpu=cpu)) == pytest.approx(vcpu)


def _quota(group) -> float:
    """The cgroup's CPU quota in vCPUs (v1 cfs_quota/period, v2 cpu.max)."""
    if group.version == 2:
        quota, period = (group.dirs["unified"] / "cpu.max").read_text().split()
    else:
        cpu = group.dirs["cpu"]
        quota, period = (cpu / "cpu.cfs_quota_us").read_text(), (cpu / "cpu.cfs_period_us").read_text()
    return -1.0 if quota.strip() in ("max", "-1") else int(quota) / int(period)


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_instance_cgroup_carries_the_quota(tmp_path, driver):
    code = write_code(tmp_path, {"index.py": SPIN})
    specs = [make_spec(code, memory_mb=256), make_spec(code, memory_mb=256, cpu=0.5)]

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            quotas = []
            for spec in specs:
                assert (await sched.invoke(spec, request(b"0:0:0"))).ok
                quotas.append(_quota(sched._pools[spec.key].instances[0].instance.worker.cgroup))
            return quotas

    assert run(scenario) == [pytest.approx(0.125), pytest.approx(0.5)]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_fork_bomb_gets_no_more_than_its_share(tmp_path, driver):
    """Eight busy processes for (at least) two seconds under a 0.0625 vCPU quota: the cgroup's CPU
    time stays within its share of the request's wall time (at most one period of 100 ms over),
    where they would otherwise take every core for the whole time. The wall time, not the two
    seconds the children spin, is the measure: throttled forks make the request last longer."""
    code = write_code(tmp_path, {"index.py": SPIN})
    spec = make_spec(code, memory_mb=128, timeout_s=30)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            assert (await sched.invoke(spec, request(b"0:0:0"))).ok
            group = sched._pools[spec.key].instances[0].instance.worker.cgroup
            before, started = group.cpu_seconds(), time.monotonic()
            result = await sched.invoke(spec, request(b"0:8:2"))
            return result, group.cpu_seconds() - before, time.monotonic() - started

    result, used, wall = run(scenario)
    assert result.ok, result.body
    assert wall < 10, f"the request took {wall:.1f} s"
    assert used < wall * 0.0625 + 0.1, f"the spinning function used {used:.2f} s of CPU in {wall:.2f} s"


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_cold_start_runs_with_a_whole_vcpu_until_its_first_answer(tmp_path, driver):
    """A 128 MB instance starts with one vCPU (its runtime and code load as in the cloud, where
    ``import oss2`` does not take 3 s) and has its 0.0625 share once its first request is answered."""
    from fcbackend.instances import cold_start

    code = write_code(tmp_path, {"index.py": SPIN})
    spec = make_spec(code, memory_mb=128, timeout_s=30)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            first = asyncio.ensure_future(sched.invoke(spec, request(b"1:0:0")))
            deadline = asyncio.get_running_loop().time() + 20

            def started():
                pool = sched._pools.get(spec.key)
                return pool.instances[0].instance if pool and pool.instances else None

            while started() is None:
                assert asyncio.get_running_loop().time() < deadline, "no instance started"
                await asyncio.sleep(0.01)
            group = started().worker.cgroup
            during = _quota(group)
            assert (await first).ok
            return during, _quota(group)

    during, after = run(scenario)
    assert during == pytest.approx(cold_start.VCPU) and after == pytest.approx(0.0625)


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_hostile_first_request_gets_the_whole_vcpu_for_the_window_only(tmp_path, driver):
    """Eight busy processes for three seconds in the very first request: the instance's CPU time
    stays within the cold start's window at one vCPU plus its share for the rest."""
    from fcbackend.instances import cold_start

    code = write_code(tmp_path, {"index.py": SPIN})
    spec = make_spec(code, memory_mb=128, timeout_s=30)

    async def scenario():
        async with scheduler(tmp_path / "state", driver) as sched:
            result = await sched.invoke(spec, request(b"0:8:3"))
            return result, sched._pools[spec.key].instances[0].instance.worker.cgroup.cpu_seconds()

    result, used = run(scenario)
    assert result.ok, result.body
    bound = cold_start.WINDOW_S * cold_start.VCPU + 3 * 0.0625 + 0.3  # + start-up, one period over
    assert used < bound, f"the first request used {used:.2f} s of CPU (bound {bound:.2f} s)"
