"""Command lines that start a generic worker: inside bubblewrap, or as a plain process.

Why separate: the sandbox and process drivers share everything else (slots, cgroups, the warm
pool, the protocol); what differs is how the worker process is wrapped and which paths the
bootstrap sees (``/code`` and ``/opt`` in a sandbox, the host paths otherwise). Either way the
bootstrap gets its listening socket already open (``--fd N``): the backend creates it in the slot,
so no directory the function can write is shared with the host.

The sandbox (bubblewrap) gives each instance:

* new pid, mount, ipc, uts and cgroup namespaces; the function runs as the unprivileged host user
  :data:`SANDBOX_UID` (``nobody``) with no capabilities and ``no_new_privs`` (bubblewrap sets up the
  mounts as root, ``setpriv`` drops to that user last), so it cannot write what belongs to root,
  host kernel settings included (custom runtimes keep ``CAP_NET_BIND_SERVICE`` alone, to listen on
  a low CAPort in their own network namespace, as on FC). A backend that is not root runs
  functions as its own unprivileged user;
* of the host's filesystem only ``/usr`` and the ``/bin``, ``/sbin`` and ``/lib*`` entries,
  read-only, plus the interpreters and bootstraps wherever they live (read-only); an ``/etc`` of
  its own (:mod:`fcbackend.instances.sandbox_etc`: no ``shadow``, no keys); no ``/home``,
  ``/root``, ``/var/lib`` or ``/srv``;
* ``/proc`` of its own pid namespace with every host-global kernel interface read-only
  (``/proc/sys``, ``sysrq-trigger``, ``irq``, ``bus``, ``fs``) or masked (``kcore``, ``keys``,
  ``kmsg``, ``timer_list`` ...); ``/sys`` read-only, ``/sys/firmware`` masked;
* one writable disk: ``/tmp`` is a filesystem of ``diskSize`` (:mod:`fcbackend.instances.disks`),
  ``/var/tmp`` points at it; ``/``, ``/dev`` and ``/run`` are read-only, and ``/dev/shm`` is a
  64 MiB tmpfs (shared memory, counted against memory as it is everywhere);
* the slot's ``code/`` at ``/code`` and ``opt/`` at ``/opt`` (read-only);
* with the backend's gateway on, its hosts file at ``/etc/hosts`` and its CA bundle under
  ``/run`` (read-only; :attr:`BubblewrapLauncher.network_binds`, set by the driver from
  :mod:`fcbackend.instances.network`);
* directories the driver shares with every function at their own paths, read-only (FC's built-in
  Python libraries: :meth:`BubblewrapLauncher.add_read_only`), and the function's own mounts (FC 3.0
  NAS and OSS mount points: host directories, :func:`mount_args`), writable ones owned by the
  sandbox user;
* a network namespace of its own (no route out at all, only loopback) when ``internetAccess`` is
  false and always for custom runtimes, so two instances can both listen on port 9000.

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
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fcbackend.gpu.mounts import MountPlan
from fcbackend.instances.disks import DiskImages, mounted_command, probe_disk_images
from fcbackend.instances.sandbox_etc import sandbox_etc_dir
from fcbackend.instances.slots import Slot
from fcbackend.models import FunctionSpec
from fcbackend.runtimes import (
    NODE_BOOTSTRAP,
    PYTHON_BOOTSTRAP,
    node_executable,
    python_executable,
    runtime_info,
)

# The host user functions run as in a sandbox (when the backend is root): owns nothing on the
# host, so a function can write nothing there but its own disk.
SANDBOX_UID = 65534
SANDBOX_GID = 65534
# Host top-level entries a sandbox sees (read-only): the system's programs and libraries.
_HOST_TOP_LEVEL = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Host-global kernel interfaces under /proc: read-only where they must stay readable, masked
# where reading them tells a function about the host (as container runtimes do).
_PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
_PROC_MASKED_FILES = (
    "kcore",
    "kmsg",
    "keys",
    "key-users",
    "timer_list",
    "timer_stats",
    "sched_debug",
    "latency_stats",
    "kpagecount",
    "kpageflags",
    "kpagecgroup",
)
_PROC_MASKED_DIRS = ("acpi", "asound", "scsi")
_SYS_MASKED_DIRS = ("firmware",)
SHM_BYTES = 64 * 1024 * 1024
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


def bootstrap_argv(bootstrap: str, listen_fd: int) -> list[str]:
    """The bootstrap's command line; it serves on the already-listening socket ``listen_fd``."""
    if bootstrap == "node":
        node = node_executable()
        if node is None:
            from fcbackend.instances.driver import InstanceStartError

            raise InstanceStartError("Node.js runtimes need `node` on PATH; it was not found")
        return [node, "--max-semi-space-size=1", str(NODE_BOOTSTRAP), "--fd", str(listen_fd)]
    return [python_executable(), "-I", str(PYTHON_BOOTSTRAP), "--fd", str(listen_fd)]


class PlainLauncher:
    """Plain child processes: the code is used where it lies; no isolation."""

    name = "process"
    run_as: tuple[int, int] | None = None
    network_binds: list[tuple[str, str]] = []

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

    def command(self, key: PoolKey, slot: Slot, listen_fd: int, gpu: MountPlan | None = None) -> list[str]:
        """A plain process sees every device already; a GPU plan only matters for its env. Mounts
        (NAS, OSS mount points) are made in a private mount namespace just before it starts."""
        argv = bootstrap_argv(key.bootstrap, listen_fd)
        return private_mount_argv(key.mounts, argv) if key.mounts else argv

    def paths(self, spec: FunctionSpec, slot: Slot) -> tuple[str, list[str], str]:
        """(code dir, layer dirs, tmp dir) as the bootstrap sees them."""
        code = str(spec.code_dir) if spec.code_dir else str(slot.code)
        return code, [str(p) for p in spec.layer_dirs], str(slot.tmp)

    def fill_slot(self, spec: FunctionSpec, slot: Slot) -> None:
        return None  # nothing to copy: the process reads the code where it is

    def add_read_only(self, path: Path) -> None:
        return None  # a plain process sees the host's files already

    def describe(self) -> str:
        return "functions run as the backend's user"


@lru_cache(maxsize=4)
def bwrap_supports(bwrap: str, option: str) -> bool:
    """Whether this bubblewrap knows ``option`` (``--perms`` came with 0.5)."""
    try:
        done = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return option in done.stdout + done.stderr


def sandbox_identity() -> tuple[tuple[int, int] | None, str]:
    """The (uid, gid) functions run as in a sandbox — None: the backend's own user — and what
    ``ros fc status`` says about it."""
    if os.geteuid() != 0:
        return None, f"functions run as the backend's own unprivileged user (uid {os.geteuid()})"
    if shutil.which("setpriv") is None:
        return None, (
            "LIMITATION: setpriv is not installed (Debian: util-linux), so functions run as uid 0 "
            "without capabilities; install it to run them as an unprivileged user"
        )
    return (SANDBOX_UID, SANDBOX_GID), (
        f"functions run as the unprivileged host user {SANDBOX_UID} without capabilities"
    )


class BubblewrapLauncher:
    """bubblewrap sandboxes (see the module docstring for what each one gets).

    ``home``: where this launcher keeps the sandbox ``/etc`` and the disk image templates (the
    driver gives its slots directory; default: a directory under the system temp dir)."""

    name = "sandbox"
    nvidia_root = SANDBOX_NVIDIA_ROOT

    def __init__(self, hidden_paths: list[Path], bwrap: str = "bwrap", *, home: Path | None = None):
        self.bwrap = bwrap
        self.hidden_paths = [p for p in dict.fromkeys(Path(h).resolve() for h in hidden_paths)]
        self.home = (
            Path(home) if home is not None else Path(tempfile.gettempdir()) / f"rosengine-{os.getuid()}"
        )
        self.run_as, self.identity_note = sandbox_identity()
        uid, gid = self.run_as or (os.getuid(), os.getgid())
        disks_ok, self.disk_note = probe_disk_images(uid, gid)
        self.disks = DiskImages(self.home / ".disks", uid=uid, gid=gid) if disks_ok else None
        self.network_binds: list[tuple[str, str]] = []  # set by the driver (its network)
        self._etc: Path | None = None
        self._etc_lock = threading.Lock()
        self._root_args = _root_binds()
        self._runtime_paths = _runtime_paths()
        self.read_only: list[Path] = []

    def add_read_only(self, path: Path) -> None:
        """A host directory every sandbox sees read-only at its own path, even under ``/tmp``
        or a hidden state directory (the shared library layer). Call before workers start."""
        resolved = Path(path).resolve()
        if resolved not in self.read_only:
            self.read_only.append(resolved)

    def pool_key(self, spec: FunctionSpec) -> PoolKey:
        info = runtime_info(spec.runtime)
        private = info.listens_on_tcp or not spec.internet_access
        return PoolKey(info.bootstrap, int(spec.disk_mb or 512), private, tuple(spec.mounts))

    def describe(self) -> str:
        """What functions get here, limitations first-class (``ros fc status`` shows it)."""
        if self.disks is not None:
            disk = "/tmp is a disk of diskSize MB (an ext4 image, loop-mounted per instance)"
        else:
            disk = (
                f"LIMITATION: /tmp is a tmpfs of diskSize MB, counted against the function's memory "
                f"({self.disk_note})"
            )
        return f"{self.identity_note}; {disk}"

    @property
    def etc_dir(self) -> Path:
        """This launcher's sandbox ``/etc``, built by the first worker that needs it (workers are
        launched from several threads at once)."""
        with self._etc_lock:
            if self._etc is None:
                uid, gid = self.run_as or (0, 0)
                self._etc = sandbox_etc_dir(self.home, uid=uid, gid=gid)
            return self._etc

    def close(self) -> None:
        with self._etc_lock:
            if self._etc is not None:
                shutil.rmtree(self._etc, ignore_errors=True)
                self._etc = None

    def command(self, key: PoolKey, slot: Slot, listen_fd: int, gpu: MountPlan | None = None) -> list[str]:
        """The worker's command line (its disk image is made here, in the pool's time).

        ``gpu``: the assigned device's nodes (``--dev-bind``, after the fresh ``/dev``) and the
        driver's libraries and tools (read-only), from :func:`fcbackend.gpu.mount_plan`."""
        args = [
            self.bwrap,
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "fc-instance",
            "--cap-drop",
            "ALL",
        ]
        if self.run_as is not None:  # what setpriv needs to drop to the sandbox user, no more
            for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"):
                args += ["--cap-add", cap]
            if key.private_net:
                args += ["--cap-add", "CAP_NET_BIND_SERVICE"]
        if key.private_net:
            args.append("--unshare-net")
        args += self._root_args
        args += ["--ro-bind", str(self.etc_dir), "/etc"]
        args += _proc_and_sys_args()
        args += ["--dev", "/dev", "--tmpfs", "/run"]
        args += self._network_args()  # before /run is read-only: the CA bundle lives there
        if gpu is not None:
            args += self._parent_dirs([Path(d) for s, d, _ in gpu.binds if s not in gpu.devices])
            args += gpu_bind_args(gpu)
        args += ["--remount-ro", "/dev", "--remount-ro", "/run"]
        args += self._perms("1777") + ["--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
        mount: tuple[Path, Path] | None = None
        if self.disks is not None:
            mount = self.disks.create(slot.root, max(1, key.disk_mb))
            args += ["--bind", str(mount[1]), "/tmp"]
        else:
            args += self._perms("1777") + [
                "--size",
                str(max(1, key.disk_mb) * 1024 * 1024),
                "--tmpfs",
                "/tmp",
            ]
        args += ["--dir", "/var", "--symlink", "../tmp", "/var/tmp"]
        # host paths at their own places: after /tmp exists, so those under the host's /tmp (a
        # checkout, a library layer) are bound onto the instance's disk instead of hidden by it
        args += self._runtime_args()
        args += self._read_only_args()
        args += self._mount_args(key.mounts)
        args += ["--ro-bind", str(slot.code), "/code", "--ro-bind", str(slot.opt), "/opt"]
        args += ["--remount-ro", "/", "--chdir", "/tmp", "--"]
        args += self._drop_privileges(key)
        args += bootstrap_argv(key.bootstrap, listen_fd)
        return mounted_command(mount[0], mount[1], args) if mount is not None else args

    def _parent_dirs(self, destinations: list[Path]) -> list[str]:
        return parent_dir_args(destinations, perms=bwrap_supports(self.bwrap, "--perms"))

    def _perms(self, mode: str) -> list[str]:
        """``--perms`` for the next mount or directory (bubblewrap 0.5 and later)."""
        return ["--perms", mode] if bwrap_supports(self.bwrap, "--perms") else []

    def _network_args(self) -> list[str]:
        """The gateway's files (:attr:`network_binds`: its hosts file over ``/etc/hosts``, its CA
        bundle under ``/run``), read-only, the directories leading to them traversable."""
        args = self._parent_dirs([Path(target) for _, target in self.network_binds])
        for source, target in self.network_binds:
            args += ["--ro-bind", source, target]
        return args

    def _read_only_args(self) -> list[str]:
        """The directories shared with every sandbox (:meth:`add_read_only`), read-only at their
        own paths; bound after the hidden paths are masked, so one inside them shows through."""
        present = [path for path in self.read_only if path.is_dir()]
        args = self._parent_dirs(present)
        for path in present:
            args += ["--ro-bind", str(path), str(path)]
        return args

    def _mount_args(self, mounts: tuple[tuple[str, str, bool], ...]) -> list[str]:
        """The function's mounts; a writable one's host directory is given to the sandbox user
        first, or the function could not write what FC lets it write."""
        if self.run_as is not None:
            uid, gid = self.run_as
            for source, _target, read_only in mounts:
                if not read_only:
                    _own_directory(Path(source), uid, gid)
        return mount_args(mounts, perms=bwrap_supports(self.bwrap, "--perms"))

    def _drop_privileges(self, key: PoolKey) -> list[str]:
        if self.run_as is None:
            return []
        uid, gid = self.run_as
        keep = ",+net_bind_service" if key.private_net else ""
        return [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={gid}",
            "--clear-groups",
            f"--bounding-set=-all{keep}",
            f"--inh-caps=-all{keep}",
            f"--ambient-caps=-all{keep}",
            "--no-new-privs",
            "--",
        ]

    def _runtime_args(self) -> list[str]:
        """Read-only binds of the interpreters and bootstraps outside the host's system dirs,
        their parent directories made traversable, and any hidden path below them masked."""
        args = self._parent_dirs(self._runtime_paths)
        for path in self._runtime_paths:
            args += ["--ro-bind", str(path), str(path)]
        for hidden in self.hidden_paths:
            if hidden.exists() and any(_is_under(hidden, bound) for bound in self._runtime_paths):
                args += ["--tmpfs", str(hidden), "--remount-ro", str(hidden)]
        return args

    def paths(self, spec: FunctionSpec, slot: Slot) -> tuple[str, list[str], str]:
        return "/code", ["/opt"], "/tmp"

    def fill_slot(self, spec: FunctionSpec, slot: Slot) -> None:
        slot.fill(spec.code_dir, spec.layer_dirs)


def _root_binds() -> list[str]:
    """The host's system directories (or the symlinks that stand for them), read-only."""
    args: list[str] = []
    for entry in _HOST_TOP_LEVEL:
        path = "/" + entry
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _proc_and_sys_args() -> list[str]:
    """A fresh ``/proc`` with the host-global kernel interfaces read-only or masked, and ``/sys``
    read-only. Only entries this kernel has (bubblewrap cannot mount over missing ones)."""
    args = ["--proc", "/proc"]
    for entry in _PROC_READ_ONLY:
        if os.path.exists(f"/proc/{entry}"):
            args += ["--ro-bind", f"/proc/{entry}", f"/proc/{entry}"]
    for entry in _PROC_MASKED_FILES:
        if os.path.exists(f"/proc/{entry}"):
            args += ["--ro-bind", "/dev/null", f"/proc/{entry}"]
    for entry in _PROC_MASKED_DIRS:
        if os.path.isdir(f"/proc/{entry}"):
            args += ["--tmpfs", f"/proc/{entry}", "--remount-ro", f"/proc/{entry}"]
    args += ["--ro-bind", "/sys", "/sys"]
    for entry in _SYS_MASKED_DIRS:
        if os.path.isdir(f"/sys/{entry}"):
            args += ["--tmpfs", f"/sys/{entry}", "--remount-ro", f"/sys/{entry}"]
    return args


def _runtime_paths() -> list[Path]:
    """Directories the bootstraps and interpreters need that the host's system directories do
    not already hold: the bootstraps' own directory, the Python installation (its prefix and its
    interpreter's directory), and Node's installation when it lives elsewhere."""
    wanted: list[Path] = [PYTHON_BOOTSTRAP.parent, NODE_BOOTSTRAP.parent]
    for prefix in (sys.base_prefix, sys.base_exec_prefix, os.path.dirname(python_executable())):
        wanted.append(Path(prefix))
    node = node_executable()
    if node:
        wanted.append(Path(node).resolve().parent.parent)
    paths: list[Path] = []
    for path in (p.resolve() for p in wanted):
        if len(path.parts) < 2 or path.parts[1] in _HOST_TOP_LEVEL or not path.is_dir():
            continue
        if any(_is_under(path, p) for p in paths):
            continue
        paths = [p for p in paths if not _is_under(p, path)] + [path]
    return paths


def parent_dir_args(destinations: list[Path], *, perms: bool = True) -> list[str]:
    """The directories leading to bind destinations, made world-traversable first (bubblewrap
    would make them readable by root alone, and the function does not run as root). The host's
    system directories are bound already, and ``/tmp`` is the instance's disk."""
    args: list[str] = []
    made: set[Path] = set()
    for destination in destinations:
        for parent in reversed(destination.parents[:-1]):
            if parent not in made and parent.parts[1] not in _HOST_TOP_LEVEL and parent != Path("/tmp"):
                made.add(parent)
                args += (["--perms", "0755"] if perms else []) + ["--dir", str(parent)]
    return args


def mount_args(mounts: tuple[tuple[str, str, bool], ...], *, perms: bool = True) -> list[str]:
    """bubblewrap arguments for a function's mounts (FC 3.0 NAS/OSS mount points): the host
    directory at the mount directory, read-only where asked. The sandbox's root is its own (only
    the host's system directories are bound into it), so a mount directory such as ``/mnt/nas``
    is made there, its parents traversable by the sandbox user; none of the host's ``/mnt`` or
    ``/home`` shows."""
    args = parent_dir_args([Path(target) for _, target, _ in mounts], perms=perms)
    for source, target, read_only in mounts:
        args += ["--ro-bind" if read_only else "--bind", source, target]
    return args


def _own_directory(path: Path, uid: int, gid: int) -> None:
    """Make the sandbox user the owner of a writable mount's host directory (its top only:
    what a function writes there is the sandbox user's anyway)."""
    try:
        if path.stat().st_uid != uid:
            os.chown(path, uid, gid)
    except FileNotFoundError:
        pass


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
