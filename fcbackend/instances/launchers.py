"""Command lines that start a generic worker: inside bubblewrap, or as a plain process.

Why separate: the sandbox and process drivers share everything else (slots, cgroups, the warm
pool, the protocol); what differs is how the worker process is wrapped and which paths the
bootstrap sees (``/code`` and ``/opt`` in a sandbox, the host paths otherwise).

The sandbox (bubblewrap) gives each instance:

* new pid, mount, ipc, uts and cgroup namespaces; all capabilities dropped (the function runs as
  uid 0 *without* capabilities, so read-only mounts stay read-only);
* the host's top-level directories bound read-only, except ``/proc``, ``/dev``, ``/sys`` (fresh or
  read-only), ``/tmp`` (a private tmpfs of ``diskSize`` MB), ``/run`` (an empty tmpfs: no access to
  the Docker socket and the like), and the backend's state directories, which are hidden under empty
  read-only tmpfs mounts — a function cannot read the metadata database or other functions' code;
* the slot's ``code/`` at ``/code`` and ``opt/`` at ``/opt`` (read-only), ``run/`` at ``/run/fc``
  (the only writable host directory: the bootstrap's socket lives there);
* a network namespace of its own when ``internetAccess`` is false (no route out at all, only
  loopback) and always for custom runtimes, so two instances can both listen on port 9000.

Choice (documented UNCONFIRMED): ``internetAccess: true`` shares the host network for built-in
runtimes (they only talk to the backend through the Unix socket). Custom runtimes always get a
private network namespace, because their servers must all be able to bind CAPort; such instances
therefore have no internet access in the sandbox driver (use the process or docker driver for a
custom runtime that must reach the internet).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fcbackend.gpu.mounts import MountPlan
from fcbackend.instances.slots import SOCKET_NAME, Slot
from fcbackend.models import FunctionSpec
from fcbackend.runtimes import (
    NODE_BOOTSTRAP,
    PYTHON_BOOTSTRAP,
    node_executable,
    python_executable,
    runtime_info,
)

# Never visible inside a sandbox as host directories (replaced or irrelevant).
_NOT_BOUND = {"proc", "dev", "sys", "tmp", "run", "code", "opt", "lost+found"}
SANDBOX_SOCKET_DIR = "/run/fc"
# Where a sandbox sees the GPU driver's libraries and tools: /usr is a read-only host bind, so
# bubblewrap could not create /usr/local/nvidia; /run is the sandbox's own tmpfs.
SANDBOX_NVIDIA_ROOT = "/run/nvidia"


@dataclass(frozen=True)
class PoolKey:
    """Generic workers are interchangeable when these match."""

    bootstrap: str  # "python" | "node"
    disk_mb: int = 512
    private_net: bool = True
    # host directories bound into the sandbox (FunctionSpec.mounts: source, target, read-only)
    mounts: tuple[tuple[str, str, bool], ...] = ()


def bootstrap_argv(bootstrap: str, socket_path: str) -> list[str]:
    if bootstrap == "node":
        node = node_executable()
        if node is None:
            from fcbackend.instances.driver import InstanceStartError

            raise InstanceStartError("Node.js runtimes need `node` on PATH; it was not found")
        return [node, "--max-semi-space-size=1", str(NODE_BOOTSTRAP), socket_path]
    return [python_executable(), "-I", str(PYTHON_BOOTSTRAP), socket_path]


class PlainLauncher:
    """Plain child processes: the code is used where it lies; no isolation."""

    name = "process"

    def pool_key(self, spec: FunctionSpec) -> PoolKey:
        if spec.mounts:
            works, why = private_mounts_work()
            if not works:
                from fcbackend.instances.driver import InstanceStartError

                raise InstanceStartError(
                    f"{spec.function} mounts directories (nasConfig/ossMountConfig); a plain process gets "
                    f"them in a mount namespace of its own, which is not possible here ({why}): run the "
                    "backend as root, or with the sandbox or docker driver",
                    "InvalidArgument",
                )
        return PoolKey(runtime_info(spec.runtime).bootstrap, 0, False, tuple(spec.mounts))

    nvidia_root = "/usr/local/nvidia"  # unused: a plain process sees the host's driver where it is

    def argv(self, key: PoolKey, slot: Slot, gpu: MountPlan | None = None) -> list[str]:
        """A plain process sees every device already; a GPU plan only matters for its env. Mounts
        (NAS, OSS mount points) are made in a private mount namespace just before it starts."""
        argv = bootstrap_argv(key.bootstrap, str(slot.socket))
        return private_mount_argv(key.mounts, argv) if key.mounts else argv

    def paths(self, spec: FunctionSpec, slot: Slot) -> tuple[str, list[str], str]:
        """(code dir, layer dirs, tmp dir) as the bootstrap sees them."""
        code = str(spec.code_dir) if spec.code_dir else str(slot.code)
        return code, [str(p) for p in spec.layer_dirs], str(slot.tmp)

    def fill_slot(self, spec: FunctionSpec, slot: Slot) -> None:
        return None  # nothing to copy: the process reads the code where it is

    def add_read_only(self, path: Path) -> None:
        return None  # a plain process sees the host's files already


class BubblewrapLauncher:
    """bubblewrap sandboxes (see the module docstring for what each one gets)."""

    name = "sandbox"
    nvidia_root = SANDBOX_NVIDIA_ROOT

    def __init__(self, hidden_paths: list[Path], bwrap: str = "bwrap"):
        self.bwrap = bwrap
        self.hidden_paths = [p for p in dict.fromkeys(Path(h).resolve() for h in hidden_paths)]
        self._root_args = self._root_binds()
        self._runtime_binds = _runtime_binds()
        self.read_only: list[Path] = []

    def add_read_only(self, path: Path) -> None:
        """A host directory every sandbox sees read-only at its own path, even under ``/tmp``
        or a hidden state directory (the shared library layer)."""
        self.read_only.append(Path(path).resolve())

    def pool_key(self, spec: FunctionSpec) -> PoolKey:
        info = runtime_info(spec.runtime)
        private = info.listens_on_tcp or not spec.internet_access
        return PoolKey(info.bootstrap, int(spec.disk_mb or 512), private, tuple(spec.mounts))

    def _root_binds(self) -> list[str]:
        args: list[str] = []
        for entry in sorted(os.listdir("/")):
            if entry in _NOT_BOUND:
                continue
            path = "/" + entry
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path) or os.path.isfile(path):
                args += ["--ro-bind", path, path]
        return args

    def argv(self, key: PoolKey, slot: Slot, gpu: MountPlan | None = None) -> list[str]:
        """``gpu``: the assigned device's nodes (``--dev-bind``, after the fresh ``/dev``) and the
        driver's libraries and tools (read-only), from :func:`fcbackend.gpu.mount_plan`."""
        args = [
            self.bwrap,
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-drop",
            "ALL",
            "--hostname",
            "fc-instance",
        ]
        if key.private_net:
            args.append("--unshare-net")
        args += self._root_args
        args += ["--ro-bind", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev"]
        args += ["--size", str(max(1, key.disk_mb) * 1024 * 1024), "--tmpfs", "/tmp"]
        args += ["--tmpfs", "/run", "--bind", str(slot.run), SANDBOX_SOCKET_DIR]
        args += ["--ro-bind", str(slot.code), "/code", "--ro-bind", str(slot.opt), "/opt"]
        args += self._runtime_binds
        args += mount_args(key.mounts)
        if gpu is not None:
            args += gpu_bind_args(gpu)
        for hidden in self.hidden_paths:
            if (
                hidden.exists()
                and not _is_under(hidden, Path("/tmp"))
                and not _is_under(hidden, Path("/run"))
            ):
                args += ["--tmpfs", str(hidden), "--remount-ro", str(hidden)]
        for path in self.read_only:
            if path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        args += ["--chdir", "/tmp", "--"]
        args += bootstrap_argv(key.bootstrap, f"{SANDBOX_SOCKET_DIR}/{SOCKET_NAME}")
        return args

    def paths(self, spec: FunctionSpec, slot: Slot) -> tuple[str, list[str], str]:
        return "/code", ["/opt"], "/tmp"

    def fill_slot(self, spec: FunctionSpec, slot: Slot) -> None:
        slot.fill(spec.code_dir, spec.layer_dirs)


def _runtime_paths() -> list[Path]:
    """Host directories the bootstraps and interpreters need inside the sandbox."""
    wanted: list[Path] = [PYTHON_BOOTSTRAP.parent, NODE_BOOTSTRAP.parent]
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(python_executable())):
        wanted.append(Path(prefix))
    node = node_executable()
    if node:
        wanted.append(Path(node).resolve().parent.parent)
    return [p.resolve() for p in wanted]


def _rebinds(hidden_roots: list[Path]) -> list[str]:
    """``--ro-bind`` back the runtime directories that lie under ``hidden_roots``."""
    args: list[str] = []
    seen: set[Path] = set()
    for path in _runtime_paths():
        hidden = any(_is_under(path, root) for root in hidden_roots)
        if hidden and path.is_dir() and path not in seen and not any(_is_under(path, p) for p in seen):
            seen.add(path)
            args += ["--ro-bind", str(path), str(path)]
    return args


def _runtime_binds() -> list[str]:
    """Read-only binds that keep the bootstraps and the interpreters visible in the sandbox.

    ``/tmp`` and ``/run`` are replaced by the sandbox's own tmpfs mounts, so a checkout, a
    virtual environment or a Python installed under them (``/tmp/rosengine``, a CI work tree)
    would vanish and no worker could start. Each such directory is bound back at its own path,
    read-only; directories elsewhere are already visible through the root binds.
    """
    return _rebinds([Path("/tmp"), Path("/run")])


def mount_args(mounts: tuple[tuple[str, str, bool], ...]) -> list[str]:
    """bubblewrap arguments for a function's mounts (FC 3.0 NAS/OSS mount points).

    A mount directory usually does not exist on the host (``/mnt/nas``), and the host's top-level
    directories are bound read-only, so bubblewrap could not create it. Each mount's top-level
    directory (``/mnt``, ``/home``...) therefore becomes a private tmpfs first (the host's
    content there is not the function's business), runtime directories that lived under it are
    bound back, and then the mounts are bound, read-only where asked."""
    if not mounts:
        return []
    tops = sorted({"/" + target.strip("/").split("/", 1)[0] for _, target, _ in mounts} - {"/tmp"})
    args: list[str] = []
    for top in tops:
        args += ["--tmpfs", top]
    args += _rebinds([Path(t) for t in tops])
    for source, target, read_only in mounts:
        args += ["--ro-bind" if read_only else "--bind", source, target]
    return args


@lru_cache(maxsize=1)
def private_mounts_work() -> tuple[bool, str]:
    """Whether this process may give a child a mount namespace of its own (root with ``unshare``)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False, "unshare (util-linux) is not installed"
    probe = [unshare, "--mount", "--propagation", "private", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"unshare cannot run: {exc}"
    if result.returncode != 0:
        return False, result.stderr.decode("utf-8", "replace").strip() or "unshare --mount failed"
    return True, ""


def private_mount_argv(mounts: tuple[tuple[str, str, bool], ...], argv: list[str]) -> list[str]:
    """``argv`` started in a private mount namespace where each mount is bound at its target.

    As in a sandbox, a mount's top-level directory (``/mnt``) becomes a private tmpfs first, so
    the target can be made without touching the host; a top-level directory that holds the
    runtime (an interpreter under ``/home``) is left as it is and the target made there."""
    runtime = _runtime_paths()
    lines = ["set -e"]
    tops = sorted({"/" + target.strip("/").split("/", 1)[0] for _, target, _ in mounts} - {"/tmp"})
    for top in tops:
        if not any(_is_under(path, Path(top)) for path in runtime):
            lines.append(f"mount -t tmpfs -o mode=755 tmpfs {shlex.quote(top)}")
    for source, target, read_only in mounts:
        lines.append(f"mkdir -p {shlex.quote(target)}")
        lines.append(f"mount --bind {shlex.quote(source)} {shlex.quote(target)}")
        if read_only:
            lines.append(f"mount -o remount,bind,ro {shlex.quote(target)}")
    lines.append('exec "$@"')
    unshare = shutil.which("unshare") or "unshare"
    return [unshare, "--mount", "--propagation", "private", "--", "sh", "-c", "\n".join(lines), "sh", *argv]


def gpu_bind_args(plan: MountPlan) -> list[str]:
    """bubblewrap arguments for a GPU mount plan: device nodes need ``--dev-bind`` (a plain bind of
    a device node is unusable under ``--dev``), everything else is bound read-only."""
    args: list[str] = []
    devices = set(plan.devices)
    for source, destination, _read_only in plan.binds:
        if source in devices:
            args += ["--dev-bind", source, destination]
        else:
            args += ["--ro-bind", source, destination]
    return args


def _is_under(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False
