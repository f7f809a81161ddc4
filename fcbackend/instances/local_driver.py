"""What the ``sandbox`` and ``process`` drivers share: pool, cgroups, slots, specialisation.

Why one base: both run the bootstrap programs as local processes and differ only in the
:class:`~fcbackend.instances.launchers` that wraps them. ``start()`` takes a generic worker from the
:class:`~fcbackend.instances.prestarted.PrestartedSandboxPool` (or starts one when the pool is
empty), fills its slot with the function's code and layers, sets the cgroup limits of the function
and specialises it.

GPU functions never use the pool: the device nodes must be bound when the sandbox is created, so
each GPU instance gets a dedicated worker, started after its GPU memory was reserved on a device
through the backend's one shared :class:`~fcbackend.gpu.GpuAllocator` (the Docker driver gets the
same object, so both drivers see one budget). The reservation is given back when the worker is
destroyed — on stop and on every failed start — and nothing is started when there is no room.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from fcbackend.gpu.mounts import MountPlan, mount_plan
from fcbackend.gpu.placement import GpuAllocator, is_gpu_instance_type
from fcbackend.instances.cgroups import CgroupManager, Limits
from fcbackend.instances.driver import Instance, InstanceDriver, InstanceStartError
from fcbackend.instances.launchers import PoolKey
from fcbackend.instances.prestarted import PrestartedSandboxPool
from fcbackend.instances.slots import slots_root
from fcbackend.instances.worker import MB, Launcher, Worker
from fcbackend.models import FunctionSpec, GpuRequest
from fcbackend.runtimes import runtime_info
from fcbackend.runtimes.builtin_libraries import PythonLibraryLayer

GENERIC_MEMORY_MB = 3072  # limit of a worker before it knows its function (lowered on specialise)


class LocalDriver(InstanceDriver):
    name = "local"
    supports_gpu = True

    def __init__(
        self,
        state_dir: Path,
        launcher: Launcher,
        *,
        pool_size: int = 2,
        pids_max: int = 1024,
        use_cgroups: bool = True,
        custom_start_timeout_s: float = 120,
        gpu_allocator: GpuAllocator | None = None,
    ):
        self.state_dir = Path(state_dir)
        self.launcher = launcher
        self.pids_max = pids_max
        self.custom_start_timeout_s = custom_start_timeout_s
        self.slots_root = slots_root(self.state_dir)
        self.cgroups = CgroupManager(str(self.state_dir.resolve()) + ":" + launcher.name)
        if not use_cgroups:
            self.cgroups.version = 0
        self._pool: PrestartedSandboxPool | None = None
        self._pool_size = pool_size
        self.specialise_count = 0
        # Start replacing a pooled worker this long after a cold start took it: long enough for
        # the first invocation to run without a sandbox start competing for the CPU.
        self.refill_delay_s = 0.05
        self.pooled_starts = 0
        self._gpu_allocator = gpu_allocator
        # How a GPU assignment becomes binds + env (tests substitute simulated device nodes).
        self.gpu_mount_plan: Callable[..., MountPlan] = mount_plan
        self.python_libraries: PythonLibraryLayer | None = None

    def use_python_libraries(self, layer: PythonLibraryLayer) -> None:
        """Give Python instances FC's built-in libraries (one layer shared by every instance,
        read-only; visible inside sandboxes at its own path). Call before the first start."""
        self.python_libraries = layer
        self.launcher.add_read_only(layer.root)

    @property
    def gpu_allocator(self) -> GpuAllocator:
        """The shared allocator; created over this machine's GPUs on the first GPU function."""
        if self._gpu_allocator is None:
            self._gpu_allocator = GpuAllocator()
        return self._gpu_allocator

    @property
    def pool(self) -> PrestartedSandboxPool:
        if self._pool is None:
            self._pool = PrestartedSandboxPool(self._launch, self._pool_size)
        return self._pool

    async def _launch(self, key: PoolKey, gpu: MountPlan | None = None) -> Worker:
        self.slots_root.mkdir(parents=True, exist_ok=True)
        worker_id = f"w-{secrets.token_hex(6)}"
        limits = Limits(memory_bytes=GENERIC_MEMORY_MB * MB, pids=self.pids_max)
        return await Worker.launch(
            worker_id, key, self.launcher, self.slots_root, self.cgroups, limits, gpu=gpu
        )

    def pool_key(self, spec: FunctionSpec) -> PoolKey:
        return self.launcher.pool_key(spec)

    async def start(self, spec: FunctionSpec, instance_id: str) -> Instance:
        info = runtime_info(spec.runtime)
        if info.bootstrap == "python" and spec.code_dir is None and info.mode != "custom":
            raise InstanceStartError("the function has no code", "InvalidArgument")
        key = self.launcher.pool_key(spec)
        timeout = self.custom_start_timeout_s if info.mode == "custom" else 30.0
        gpu = gpu_request(spec)
        if gpu is not None:
            return await self._start_gpu(spec, instance_id, key, gpu, timeout)
        libraries = await self._library_dirs(info.bootstrap, info.mode)
        worker, pooled = await self.pool.take(key)
        self.pooled_starts += int(pooled)
        try:
            instance = await worker.specialise(
                spec, instance_id, pids_max=self.pids_max, start_timeout_s=timeout, library_dirs=libraries
            )
        except BaseException:
            await worker.destroy()
            self.pool.ensure_soon(key, self.refill_delay_s)
            raise
        self.specialise_count += 1
        self.pool.ensure_soon(key, self.refill_delay_s)
        return instance

    async def _library_dirs(self, bootstrap: str, mode: str) -> list[str]:
        """FC's built-in libraries for Python handlers (built on the first one; custom runtimes
        bring their own, as on FC)."""
        if self.python_libraries is None or bootstrap != "python" or mode == "custom":
            return []
        path = await self.python_libraries.ensure()
        return [str(path)] if path is not None else []

    async def _start_gpu(
        self, spec: FunctionSpec, instance_id: str, key: PoolKey, gpu: GpuRequest, timeout: float
    ) -> Instance:
        """A dedicated worker with the assigned GPU; all or nothing (the reservation is released
        on any failure, raising :class:`InstanceStartError` when there is no GPU or no room)."""
        allocator = self.gpu_allocator
        assignment = allocator.allocate(instance_id, gpu, function=f"{spec.service}/{spec.function}")
        try:
            plan = self.gpu_mount_plan(assignment, root=self.launcher.nvidia_root)
            worker = await self._launch(key, gpu=plan)
        except BaseException:
            allocator.release(instance_id)
            raise
        worker.on_destroy.append(lambda: allocator.release(instance_id))
        try:
            instance = await worker.specialise(
                spec,
                instance_id,
                pids_max=self.pids_max,
                start_timeout_s=timeout,
                library_dirs=await self._library_dirs(
                    runtime_info(spec.runtime).bootstrap, runtime_info(spec.runtime).mode
                ),
            )
        except BaseException:
            await worker.destroy()
            raise
        instance.keep_warm = True  # CUDA start-up is expensive: keep it longer, provision it first
        instance.gpu_assignment = assignment
        self.specialise_count += 1
        return instance

    def gpu_usage(self) -> list[dict[str, object]]:
        return self.gpu_allocator.usage() if self._gpu_allocator is not None else []

    async def prewarm(self, runtime: str) -> None:
        spec = FunctionSpec(
            service="",
            function="",
            version_id="LATEST",
            qualifier="LATEST",
            runtime=runtime,
            handler="index.handler",
            code_dir=None,
        )
        self.pool.ensure(self.launcher.pool_key(spec))

    async def wait_pool(self, spec: FunctionSpec, timeout: float = 30) -> bool:
        return await self.pool.wait_full(self.launcher.pool_key(spec), timeout)

    async def reap_orphans(self) -> int:
        count = await asyncio.to_thread(self.cgroups.reap_orphans)
        return count

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        self.cgroups.close()
        if self.slots_root.exists():
            try:
                if not any(self.slots_root.iterdir()):
                    os.rmdir(self.slots_root)
            except OSError:
                pass


def gpu_request(spec: FunctionSpec) -> GpuRequest | None:
    """The GPU an instance of ``spec`` needs: its ``gpu`` or, for a GPU instance type without
    one, the whole card of that family."""
    if spec.gpu is not None:
        return spec.gpu
    if is_gpu_instance_type(spec.instance_type):
        return GpuRequest(memory_mb=0, instance_type=spec.instance_type)
    return None
