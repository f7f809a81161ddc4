"""GPU functions on the sandbox/process drivers: one shared allocator, the mount plan in the
bubblewrap argv, all-or-nothing starts, release on stop; a real-GPU test when nvidia-smi works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fcbackend.gpu import GpuAllocator, GpuDevice, MountPlan
from fcbackend.gpu.mounts import mount_plan
from fcbackend.instances.launchers import BubblewrapLauncher, PoolKey
from fcbackend.instances.sandbox import SandboxDriver
from fcbackend.instances.slots import Slot
from fcbackend.models import GpuRequest
from fcbackend.scheduler import Scheduler, SchedulerConfig
from tests.support.instances import DRIVERS, make_driver, make_spec, request, run, write_code

CARD = GpuDevice(index=0, uuid="GPU-0000-sim", name="Simulated L20", memory_total_mb=24576)
CODE = {
    "index.py": """
        import json, os

        def handler(event, context):
            lib = "/run/nvidia/lib64/libcuda.so.1"
            return json.dumps({
                "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
                "ld": os.environ.get("LD_LIBRARY_PATH", ""),
                "node": os.path.exists("/dev/nvidia0"),
                "lib": open(lib).read() if os.path.exists(lib) else None,
            })
    """,
}


def simulated_plan(fake_lib: Path, *, missing_source: bool = False):
    """A mount plan over simulated nodes: /dev/null stands in for the card, a text file for libcuda
    (``missing_source``: a node that does not exist, so bubblewrap fails to start the sandbox)."""

    def plan(assignment, root: str) -> MountPlan:
        source = "/nonexistent/nvidia0" if missing_source else "/dev/null"
        env = mount_plan(assignment, libraries=[], binaries=[], root=root, exists=lambda _: False).env
        return MountPlan(
            binds=[(source, "/dev/nvidia0", False), (str(fake_lib), f"{root}/lib64/libcuda.so.1", True)],
            devices=[source],
            env=env,
        )

    return plan


def gpu_scheduler(state: Path, allocator: GpuAllocator, fake_lib: Path, **plan_options) -> Scheduler:
    driver = SandboxDriver(state, pool_size=0, gpu_allocator=allocator)
    driver.gpu_mount_plan = simulated_plan(fake_lib, **plan_options)
    return Scheduler(
        {"sandbox": driver},
        default_driver="sandbox",
        state_dir=state,
        config=SchedulerConfig(prewarm_runtimes=(), pool_size=0),
    )


def test_plan_devices_are_dev_bound_and_libraries_read_only(tmp_path):
    plan = MountPlan(
        binds=[("/dev/nvidia3", "/dev/nvidia3", False), ("/lib/libcuda.so.1", "/run/nvidia/lib64/x", True)],
        devices=["/dev/nvidia3"],
    )
    slot = Slot.create(tmp_path / "slot")
    argv = BubblewrapLauncher([], home=tmp_path / "home").command(PoolKey("python"), slot, 3, plan)
    dev = argv.index("--dev-bind")
    assert argv[dev : dev + 3] == ["--dev-bind", "/dev/nvidia3", "/dev/nvidia3"]
    assert argv[argv.index("/lib/libcuda.so.1") - 1 :][:3] == [
        "--ro-bind",
        "/lib/libcuda.so.1",
        "/run/nvidia/lib64/x",
    ]
    assert dev > argv.index("/dev"), "device binds must come after the fresh /dev"


@pytest.mark.bwrap
def test_gpu_function_sees_its_device_and_releases_it_on_stop(tmp_path):
    code = write_code(tmp_path, CODE)
    fake_lib = tmp_path / "libcuda.so.1"
    fake_lib.write_text("simulated driver")
    allocator = GpuAllocator([CARD])

    async def scenario():
        sched = gpu_scheduler(tmp_path / "state", allocator, fake_lib)
        await sched.start()
        try:
            spec = make_spec(code, gpu=GpuRequest(memory_mb=8192))
            assert sched.driver_for(spec) == "sandbox"
            result = await sched.invoke(spec, request())
            held = allocator.assignments()
            instance = sched._pools[spec.key].instances[0].instance
            keep_warm = instance.keep_warm
        finally:
            await sched.close()
        return result, held, keep_warm

    result, held, keep_warm = run(scenario)
    assert result.ok, result.body
    seen = json.loads(result.body)
    seen = json.loads(seen) if isinstance(seen, str) else seen
    assert seen == {"cuda": "GPU-0000-sim", "ld": seen["ld"], "node": True, "lib": "simulated driver"}
    assert seen["ld"].startswith("/run/nvidia/lib64")
    assert [(a.device.uuid, a.memory_mb) for a in held] == [("GPU-0000-sim", 8192)]
    assert keep_warm is True
    assert allocator.assignments() == [], "stopping the instance gives the GPU memory back"


@pytest.mark.bwrap
def test_no_room_is_resource_exhausted_and_a_failed_start_releases(tmp_path):
    code = write_code(tmp_path, CODE)
    fake_lib = tmp_path / "libcuda.so.1"
    fake_lib.write_text("x")
    allocator = GpuAllocator([CARD])

    async def scenario():
        sched = gpu_scheduler(tmp_path / "state", allocator, fake_lib)
        await sched.start()
        try:
            big = make_spec(code, gpu=GpuRequest(memory_mb=16384))
            other = make_spec(code, gpu=GpuRequest(memory_mb=16384))
            first = await sched.invoke(big, request())
            second = await sched.invoke(other, request())
            return first, second
        finally:
            await sched.close()

    first, second = run(scenario)
    assert first.ok
    assert second.status == 429 and second.error_code == "ResourceExhausted"
    assert b"GPU memory exhausted" in second.body
    assert allocator.assignments() == []

    async def broken():
        sched = gpu_scheduler(tmp_path / "state2", allocator, fake_lib, missing_source=True)
        await sched.start()
        try:
            return await sched.invoke(make_spec(code, gpu=GpuRequest(memory_mb=1024)), request())
        finally:
            await sched.close()

    failed = run(broken)
    assert failed.error_type == "FunctionNotStarted", failed.body
    assert allocator.assignments() == [], "a sandbox that failed to start holds no GPU memory"
    assert not list((tmp_path / "state2").glob("slots/*")), "nothing half-started is left"


def test_no_gpu_here_fails_clearly_and_starts_nothing(tmp_path):
    code = write_code(tmp_path, CODE)
    allocator = GpuAllocator([])

    async def scenario():
        from fcbackend.instances.process import ProcessDriver

        driver = ProcessDriver(tmp_path / "state", pool_size=0, gpu_allocator=allocator)
        sched = Scheduler(
            {"process": driver},
            default_driver="process",
            state_dir=tmp_path / "state",
            config=SchedulerConfig(prewarm_runtimes=(), pool_size=0),
        )
        await sched.start()
        try:
            result = await sched.invoke(make_spec(code, gpu=GpuRequest(memory_mb=1024)), request())
            return result, driver.specialise_count
        finally:
            await sched.close()

    result, started = run(scenario)
    assert result.error_type == "FunctionNotStarted"
    assert b"no NVIDIA GPU was found" in result.body
    assert started == 0


@pytest.mark.gpu
@pytest.mark.parametrize("kind", DRIVERS)
def test_real_gpu_is_visible_to_the_function(tmp_path, kind):
    """The machine's real GPU (NVML discovery): the function's nvidia-smi sees exactly the card it
    was assigned, through the sandbox's device binds or (process driver) its environment."""
    code = write_code(
        tmp_path,
        {
            "index.py": """
        import os, subprocess

        def handler(event, context):
            done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
            return os.environ["CUDA_VISIBLE_DEVICES"] + "|" + done.stdout + done.stderr
    """
        },
    )
    allocator = GpuAllocator()

    async def scenario():
        driver = make_driver(kind, tmp_path / "state", pool_size=0, gpu_allocator=allocator)
        sched = Scheduler(
            {kind: driver},
            default_driver=kind,
            state_dir=tmp_path / "state",
            config=SchedulerConfig(prewarm_runtimes=(), pool_size=0),
        )
        await sched.start()
        try:
            result = await sched.invoke(
                make_spec(code, gpu=GpuRequest(memory_mb=1024), timeout_s=60), request()
            )
            return result, allocator.assignments()
        finally:
            await sched.close()

    result, held = run(scenario, timeout=120)
    assert result.ok, result.body
    visible, _, listing = result.body.decode().strip('"').partition("|")
    assert [a.device.uuid for a in held] == [visible]
    assert "GPU 0" in listing, result.body
    assert allocator.assignments() == []
