"""Which instance drivers this machine has, and which one is the default.

Why: ``ros fc serve --driver X`` and the tests need one place that knows the rule of
ARCHITECTURE.md — ``sandbox`` where bubblewrap works, else ``process``; ``docker`` alongside for
custom containers and GPU functions when a Docker engine answers.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fcbackend.gpu.placement import GpuAllocator
from fcbackend.instances.driver import InstanceDriver
from fcbackend.instances.local_driver import LocalDriver
from fcbackend.instances.process import ProcessDriver
from fcbackend.instances.sandbox import SandboxDriver, bubblewrap_works
from fcbackend.runtimes.builtin_libraries import PythonLibraryLayer

log = logging.getLogger(__name__)
KNOWN = ("sandbox", "process", "docker")


def build_default_drivers(
    state_dir: Path,
    prefer: str | None = None,
    *,
    pool_size: int = 2,
    pids_max: int = 1024,
    gpu_allocator: GpuAllocator | None = None,
    docker_factory: object = None,
) -> tuple[dict[str, InstanceDriver], str]:
    """Build the drivers usable here; ``prefer`` (``--driver``) picks the default one.

    All drivers share ONE ``gpu_allocator`` (default: this machine's GPUs, discovered on first use), so
    sandbox and Docker GPU instances draw on one budget per device. The docker driver is added
    whenever dockerd answers: custom containers always run there, and ``prefer="docker"`` sends
    built-in runtimes there too. ``docker_factory`` (tests) replaces the DockerDriver class.

    Raises ``ValueError`` with the reason when ``prefer`` names a driver that cannot run here.
    """
    allocator = gpu_allocator if gpu_allocator is not None else GpuAllocator()
    if prefer is not None and prefer not in KNOWN:
        raise ValueError(f"unknown driver {prefer!r}; choose one of: {', '.join(KNOWN)}")
    state_dir = Path(state_dir)
    drivers: dict[str, InstanceDriver] = {
        "process": ProcessDriver(state_dir, pool_size=pool_size, pids_max=pids_max, gpu_allocator=allocator),
    }
    sandbox_ok, sandbox_why = bubblewrap_works()
    if sandbox_ok:
        drivers["sandbox"] = SandboxDriver(
            state_dir, pool_size=pool_size, pids_max=pids_max, gpu_allocator=allocator
        )
    libraries = PythonLibraryLayer.from_environment()  # FC's built-in libraries, one shared layer
    if libraries is not None:
        for local in drivers.values():
            if isinstance(local, LocalDriver):
                local.use_python_libraries(libraries)
    docker_why = "the docker driver is not installed"
    try:
        from fcbackend.instances.docker.driver import DockerDriver

        factory = docker_factory or DockerDriver
        docker = factory(state_dir, gpu_allocator=allocator)  # type: ignore[operator]
        docker_ok, docker_why = docker.available()
        if docker_ok:
            drivers["docker"] = docker
    except Exception as exc:
        docker_why = f"the docker driver cannot be used: {exc}"
    if prefer == "sandbox" and not sandbox_ok:
        raise ValueError(f"the sandbox driver cannot run here: {sandbox_why}")
    if prefer == "docker" and "docker" not in drivers:
        raise ValueError(f"the docker driver cannot run here: {docker_why}")
    default = prefer or ("sandbox" if sandbox_ok else "process")
    if default == "process" and prefer is None:
        log.warning(
            "bubblewrap is not usable (%s): functions run as plain processes, NOT isolated", sandbox_why
        )
    return drivers, default
