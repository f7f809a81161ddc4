"""The ``process`` driver: instances are plain child processes, for machines without bubblewrap.

Why: the backend must work everywhere (containers without user namespaces, macOS-like setups),
even if it cannot isolate functions there. ``available()`` says so plainly. Still enforced: the
timeout (the process group and its cgroup are killed) and memory — by the cgroup when the backend
may create cgroups (root), else by ``RLIMIT_AS`` on Python workers (an allocation beyond it raises
``MemoryError`` in the function instead of an OOM kill). Functions share the host's network and
filesystem; ``/tmp`` is pointed at a per-instance directory through ``TMPDIR``.
"""

from __future__ import annotations

from pathlib import Path

from fcbackend.gpu.placement import GpuAllocator
from fcbackend.instances.launchers import PlainLauncher
from fcbackend.instances.local_driver import LocalDriver


class ProcessDriver(LocalDriver):
    name = "process"

    def __init__(
        self,
        state_dir: Path,
        *,
        pool_size: int = 2,
        pids_max: int = 1024,
        use_cgroups: bool = True,
        custom_start_timeout_s: float = 120,
        gpu_allocator: GpuAllocator | None = None,
    ):
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        super().__init__(
            state_dir,
            PlainLauncher(),
            pool_size=pool_size,
            pids_max=pids_max,
            use_cgroups=use_cgroups,
            custom_start_timeout_s=custom_start_timeout_s,
            gpu_allocator=gpu_allocator,
        )

    def available(self) -> tuple[bool, str]:
        return True, (
            "functions are NOT isolated: they run as plain processes of the backend's user, "
            f"with the host's files and network; {self.cgroups.describe()}"
        )
