"""What a sandbox must mount to give one instance one GPU (the driver-agnostic passthrough plan).

Why a plan and not code in the sandbox driver: the bubblewrap driver, a future runc driver and
Docker without the NVIDIA container toolkit all need the same facts — which device nodes, which
user-space driver libraries, which environment — and only differ in how they apply them. The NVIDIA
container toolkit does exactly this for Docker; we do it ourselves where it is absent.

The plan:

* device nodes: the control nodes (``/dev/nvidiactl``, ``/dev/nvidia-uvm``,
  ``/dev/nvidia-uvm-tools``, ``/dev/nvidia-modeset``) and only the assigned card's
  ``/dev/nvidia<minor>``; they are listed in ``devices`` too, since bubblewrap needs ``--dev-bind``
  for them (``ro`` is False);
* the driver's user-space libraries (``libcuda``, ``libnvidia-*``, ``libnvcuvid``...), found with
  ``ldconfig -p`` or in the usual library directories, bound read-only under
  ``/usr/local/nvidia/lib64`` — the directory CUDA base images already search — so they cannot
  clash with the sandbox's own ``/usr``; ``nvidia-smi`` goes to ``/usr/local/nvidia/bin``;
* environment: ``CUDA_VISIBLE_DEVICES`` and ``NVIDIA_VISIBLE_DEVICES`` set to the card's UUID
  (independent of how devices are enumerated inside), and the two directories prepended to
  ``LD_LIBRARY_PATH`` / ``PATH`` (use :meth:`MountPlan.apply_env`).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from fcbackend.gpu.placement import GpuAssignment

NVIDIA_ROOT_IN_SANDBOX = "/usr/local/nvidia"
LIBRARY_DIR_IN_SANDBOX = f"{NVIDIA_ROOT_IN_SANDBOX}/lib64"
BINARY_DIR_IN_SANDBOX = f"{NVIDIA_ROOT_IN_SANDBOX}/bin"
CONTROL_DEVICE_NODES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset")
DRIVER_BINARIES = ("nvidia-smi", "nvidia-debugdump")
_DRIVER_LIBRARY = re.compile(
    r"^(libcuda|libcudadebugger|libnvcuvid|libnvoptix|libnvidia-[\w.+-]+?)\.so(\.\d+)*$"
)
_KNOWN_LIBRARY_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/nvidia/lib64",
)

Bind = tuple[str, str, bool]  # (source on the host, destination inside, read-only)


@dataclass
class MountPlan:
    binds: list[Bind] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)  # the binds that are device nodes

    def apply_env(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` plus the plan's variables, path-like ones prepended to what ``base`` has."""
        merged = dict(base)
        for key, value in self.env.items():
            if key in ("LD_LIBRARY_PATH", "PATH") and merged.get(key):
                merged[key] = f"{value}:{merged[key]}"
            else:
                merged[key] = value
        return merged


def parse_ldconfig(text: str) -> list[str]:
    """Paths of NVIDIA driver libraries in ``ldconfig -p`` output (64-bit entries first seen)."""
    paths: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, path = line.strip().partition(" => ")
        if not sep:
            continue
        soname, _, flags = name.partition(" (")
        is_64_bit = "64" in flags  # "(libc6,x86-64)", "(libc6,AArch64)"; 32-bit entries say "(libc6)"
        if _DRIVER_LIBRARY.match(soname.strip()) and is_64_bit:
            paths.setdefault(soname.strip(), path.strip())
    return list(paths.values())


def find_driver_libraries() -> list[str]:
    """The host's NVIDIA user-space driver libraries (ldconfig first, then known directories)."""
    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
    if ldconfig:
        try:
            done = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=10, check=False)
            found = parse_ldconfig(done.stdout)
            if found:
                return found
        except (OSError, subprocess.TimeoutExpired):
            pass
    found = []
    for directory in _KNOWN_LIBRARY_DIRS:
        for path in sorted(glob.glob(os.path.join(directory, "lib*.so*"))):
            if _DRIVER_LIBRARY.match(os.path.basename(path)):
                found.append(path)
    return found


def find_driver_binaries() -> list[str]:
    return [path for name in DRIVER_BINARIES if (path := shutil.which(name))]


def mount_plan(
    assignment: GpuAssignment,
    *,
    libraries: Iterable[str] | None = None,
    binaries: Iterable[str] | None = None,
    exists: Callable[[str], bool] = os.path.exists,
    root: str = NVIDIA_ROOT_IN_SANDBOX,
) -> MountPlan:
    """The binds and environment that give a sandbox the assigned GPU and nothing else.

    ``libraries``/``binaries``/``exists`` default to what this host has; tests inject them.
    ``root`` is where the libraries (``<root>/lib64``) and binaries (``<root>/bin``) appear inside:
    a bubblewrap sandbox binds the host's ``/usr`` read-only, so bubblewrap cannot create
    ``/usr/local/nvidia`` there and the sandbox driver asks for a directory on its own tmpfs.
    """
    library_dir, binary_dir = f"{root}/lib64", f"{root}/bin"
    device = assignment.device
    plan = MountPlan()
    for node in (*CONTROL_DEVICE_NODES, device.device_node):
        if exists(node):
            plan.binds.append((node, node, False))
            plan.devices.append(node)
    seen: set[str] = set()
    for library in find_driver_libraries() if libraries is None else libraries:
        name = os.path.basename(library)
        if name not in seen:
            seen.add(name)
            plan.binds.append((library, f"{library_dir}/{name}", True))
    for binary in find_driver_binaries() if binaries is None else binaries:
        plan.binds.append((binary, f"{binary_dir}/{os.path.basename(binary)}", True))
    plan.env = {
        "CUDA_VISIBLE_DEVICES": device.uuid,
        "NVIDIA_VISIBLE_DEVICES": device.uuid,
        "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
        "LD_LIBRARY_PATH": library_dir,
        "PATH": binary_dir,
        "FC_GPU_MEMORY_SIZE": str(assignment.memory_mb),
    }
    return plan
