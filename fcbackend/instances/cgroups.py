"""Per-instance cgroups: memory, CPU and pids limits, OOM detection, freezing, killing.

Why: FC enforces ``memorySize`` (the instance is killed when it goes over), a CPU share and a
process limit; the backend must report an out-of-memory kill as such and must be able to kill an
instance's whole process tree. cgroups do all of that. We support both layouts:

* **v1** (one hierarchy per controller, e.g. ``/sys/fs/cgroup/memory``): one directory per
  controller; OOM kills counted in ``memory.oom_control`` (``oom_kill``), peak in
  ``memory.max_usage_in_bytes`` (resettable), freezing via ``freezer.state``.
* **v2** (unified ``/sys/fs/cgroup``): one directory; ``memory.max``, ``memory.peak``,
  ``memory.events`` (``oom_kill``), ``pids.max``, ``cpu.max``, ``cgroup.freeze``, ``cgroup.kill``.

Layout: ``<controller root>/<our own cgroup>/rosengine/<owner>/<instance>``. Nesting under the
backend's own cgroup (rather than the hierarchy root) keeps any limit that applies to the backend
applying to its functions too; on a machine where the backend sits in the root cgroup that is
exactly ``/sys/fs/cgroup/memory/rosengine/<owner>/<instance>``. ``<owner>`` is one per driver
(hash of the state dir + pid), so two backends never touch each other's instances and
:meth:`CgroupManager.reap_orphans` can recognise leftovers of a dead backend.

A process joins its cgroups *before* it execs the sandbox (see :func:`join_command`), so every
process the function ever starts is inside and accounted for.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "cpu", "pids", "freezer")


def _own_path_v1(controller: str) -> str:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            if controller in names.split(","):
                return path
    except OSError:
        pass
    return "/"


def _own_path_v2() -> str:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                return line[3:]
    except OSError:
        pass
    return "/"


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _read_int(path: Path, default: int = 0) -> int:
    """One small control file, read with raw ``os`` calls: the scheduler reads the memory peak
    after every invocation, and ``Path.read_text`` (text layer, codec) costs several times more."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            raw = os.read(fd, 64)
        finally:
            os.close(fd)
    except OSError:
        return default
    try:
        return int(raw)
    except ValueError:
        return default  # "max" or garbage


def _read_keyed(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                values[key] = int(value)
    except OSError:
        pass
    return values


@dataclass
class Limits:
    memory_bytes: int | None = None
    cpu: float | None = None  # vCPUs; None = no quota
    pids: int | None = None


class InstanceCgroup:
    """The cgroup(s) of one instance."""

    def __init__(self, version: int, dirs: dict[str, Path]):
        self.version = version
        self.dirs = dirs  # controller -> directory (v2: a single "unified" entry)
        self._peak_fd: int | None = None

    def _peak_file(self) -> int | None:
        """The memory-peak control file, opened once and kept (read and write) for the
        instance's life. Why: the scheduler reads the peak after every invocation and resets it
        before, and open+read+close costs ~9 µs against ~1.3 µs for a pread on a kept fd. It also
        makes cgroup v2's peak reset right: since kernel 6.12 a write to memory.peak resets the peak
        *seen through that fd*, so the reset and the reads must share one."""
        if self._peak_fd is None:
            d = self._dir("memory")
            if d is None:
                return None
            try:
                self._peak_fd = os.open(
                    d / ("memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"), os.O_RDWR
                )
            except OSError:
                return None
        return self._peak_fd

    def _close_peak_file(self) -> None:
        fd, self._peak_fd = self._peak_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    @property
    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in self.dirs.values()]

    def _dir(self, controller: str) -> Path | None:
        return self.dirs.get("unified") if self.version == 2 else self.dirs.get(controller)

    def set_limits(self, limits: Limits) -> None:
        if self.version == 1:
            mem = self.dirs.get("memory")
            if mem and limits.memory_bytes:
                # memsw (memory+swap) first when lowering would fail; there is no swap here, ignore errors
                _write(mem / "memory.limit_in_bytes", str(limits.memory_bytes))
                _write(mem / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            cpu = self.dirs.get("cpu")
            if cpu:
                if limits.cpu:
                    _write(cpu / "cpu.cfs_period_us", "100000")
                    _write(cpu / "cpu.cfs_quota_us", str(max(1000, int(limits.cpu * 100000))))
                else:
                    _write(cpu / "cpu.cfs_quota_us", "-1")
            pids = self.dirs.get("pids")
            if pids and limits.pids:
                _write(pids / "pids.max", str(limits.pids))
        else:
            d = self.dirs["unified"]
            if limits.memory_bytes:
                _write(d / "memory.max", str(limits.memory_bytes))
                _write(d / "memory.swap.max", "0")
            _write(
                d / "cpu.max", f"{max(1000, int(limits.cpu * 100000))} 100000" if limits.cpu else "max 100000"
            )
            if limits.pids:
                _write(d / "pids.max", str(limits.pids))

    def memory_current(self) -> int:
        d = self._dir("memory")
        if d is None:
            return 0
        return _read_int(d / ("memory.usage_in_bytes" if self.version == 1 else "memory.current"))

    def memory_peak(self) -> int:
        fd = self._peak_file()
        if fd is None:
            return 0
        try:
            return int(os.pread(fd, 64, 0))
        except (OSError, ValueError):
            return 0

    def reset_peak(self) -> None:
        fd = self._peak_file()
        if fd is not None:
            # v1: writing 0 resets; v2 (kernel >= 6.12): writing anything resets for this fd
            with contextlib.suppress(OSError):
                os.pwrite(fd, b"0", 0)

    def oom_kills(self) -> int:
        d = self._dir("memory")
        if d is None:
            return 0
        if self.version == 1:
            keyed = _read_keyed(d / "memory.oom_control")
            if "oom_kill" in keyed:
                return keyed["oom_kill"]
            return 1 if _read_int(d / "memory.failcnt") > 0 else 0
        return _read_keyed(d / "memory.events").get("oom_kill", 0)

    def cpu_seconds(self) -> float:
        if self.version == 1:
            acct = self.dirs.get("cpuacct")
            return _read_int(acct / "cpuacct.usage") / 1e9 if acct else 0.0
        return _read_keyed(self.dirs["unified"] / "cpu.stat").get("usage_usec", 0) / 1e6

    def pids(self) -> list[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(p) for p in procs.read_text().split())
        return sorted(found)

    def freeze(self) -> bool:
        if self.version == 1:
            d = self.dirs.get("freezer")
            return d is not None and _write(d / "freezer.state", "FROZEN")
        return _write(self.dirs["unified"] / "cgroup.freeze", "1")

    def thaw(self) -> None:
        if self.version == 1:
            d = self.dirs.get("freezer")
            if d:
                _write(d / "freezer.state", "THAWED")
        else:
            _write(self.dirs["unified"] / "cgroup.freeze", "0")

    def kill_all(self) -> None:
        """SIGKILL every process inside (frozen ones too: a kill is delivered on thaw)."""
        if self.version == 2 and _write(self.dirs["unified"] / "cgroup.kill", "1"):
            return
        for _ in range(3):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        self.thaw()

    def remove(self) -> bool:
        """Remove the directories; False when processes are still inside."""
        self._close_peak_file()
        ok = True
        for d in self.dirs.values():
            try:
                d.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                ok = False
        return ok


class CgroupManager:
    """Creates instance cgroups under ``.../rosengine/<owner>/``; ``None`` from :meth:`create`
    when cgroups cannot be used here (not root, read-only, none mounted)."""

    def __init__(self, owner_key: str, *, root: Path = CGROUP_ROOT):
        digest = hashlib.sha1(owner_key.encode()).hexdigest()[:10]
        self.owner_prefix = digest
        self.owner = f"{digest}-{os.getpid()}"
        self.root = root
        self.version = 0
        self.bases: dict[str, Path] = {}
        self._detect()

    def _detect(self) -> None:
        if (self.root / "cgroup.controllers").exists():
            self._detect_v2()
        elif (self.root / "memory" / "cgroup.procs").exists():
            self._detect_v1()

    def _detect_v1(self) -> None:
        bases: dict[str, Path] = {}
        for controller in V1_CONTROLLERS + ("cpuacct",):
            mount = self.root / controller
            if not (mount / "cgroup.procs").exists():
                continue
            own = _own_path_v1(controller).lstrip("/")
            for candidate in (mount / own / "rosengine", mount / "rosengine"):
                try:
                    candidate.mkdir(parents=True, exist_ok=True)
                except OSError:
                    continue
                bases[controller] = candidate
                break
        if "memory" in bases:
            self.version = 1
            self.bases = bases

    def _detect_v2(self) -> None:
        own = _own_path_v2().lstrip("/")
        for parent in (self.root / own, self.root):
            base = parent / "rosengine"
            try:
                base.mkdir(exist_ok=True)
            except OSError:
                continue
            wanted = "+memory +pids +cpu"
            # controllers must be enabled on every level down to our instances
            if (
                not _write(parent / "cgroup.subtree_control", wanted)
                and "memory" not in (parent / "cgroup.subtree_control").read_text()
            ):
                continue
            _write(base / "cgroup.subtree_control", wanted)
            self.version = 2
            self.bases = {"unified": base}
            return

    @property
    def available(self) -> bool:
        return self.version in (1, 2)

    def describe(self) -> str:
        if not self.available:
            return "no cgroups (memory/CPU/pids limits not enforced)"
        return f"cgroup v{self.version} at {next(iter(self.bases.values()))}/{self.owner}"

    def create(self, name: str, limits: Limits) -> InstanceCgroup | None:
        if not self.available:
            return None
        dirs: dict[str, Path] = {}
        for controller, base in self.bases.items():
            owner_dir = base / self.owner
            try:
                owner_dir.mkdir(exist_ok=True)
                if self.version == 2:
                    _write(owner_dir / "cgroup.subtree_control", "+memory +pids +cpu")
                path = owner_dir / name
                path.mkdir(exist_ok=True)
            except OSError:
                continue
            dirs[controller] = path
        if self.version == 1 and "memory" not in dirs:
            return None
        group = InstanceCgroup(self.version, dirs)
        group.set_limits(limits)
        return group

    def reap_orphans(self) -> int:
        """Kill and remove instance cgroups left by dead backends of the same state directory.

        Why each orphan is rebuilt with *all* its controller directories: on cgroup v1 an instance
        is one directory per controller, and only the ``freezer`` one can thaw it. A backend killed
        while an instance was idle-frozen leaves its processes FROZEN forever (bubblewrap's
        ``--die-with-parent`` cannot act on a frozen process); killing them without thawing
        the freezer directory leaves the SIGKILL pending and the cgroups impossible to remove.
        """
        reaped = 0
        for owner_name in self._orphan_owners():
            instances: dict[str, dict[str, Path]] = {}
            for controller, base in self.bases.items():
                with contextlib.suppress(OSError):
                    for child in (base / owner_name).iterdir():
                        if child.is_dir():
                            instances.setdefault(child.name, {})[controller] = child
            for dirs in instances.values():
                if _kill_and_remove(InstanceCgroup(self.version, dirs)):
                    reaped += 1
            for base in self.bases.values():
                with contextlib.suppress(OSError):
                    (base / owner_name).rmdir()
        return reaped

    def _orphan_owners(self) -> set[str]:
        """Owner directories (in any controller) of dead backends with our owner prefix."""
        owners: set[str] = set()
        for base in self.bases.values():
            with contextlib.suppress(OSError):
                for owner_dir in base.iterdir():
                    prefix, _, pid = owner_dir.name.partition("-")
                    if prefix != self.owner_prefix or owner_dir.name == self.owner or not pid.isdigit():
                        continue
                    if not Path(f"/proc/{pid}").exists():  # that backend is dead
                        owners.add(owner_dir.name)
        return owners

    def close(self) -> None:
        for base in self.bases.values():
            with contextlib.suppress(OSError):
                (base / self.owner).rmdir()


def _kill_and_remove(group: InstanceCgroup, attempts: int = 100) -> bool:
    """Kill a cgroup's processes and remove it; the kernel needs a moment after SIGKILL before the
    directory can go (runs in a worker thread at backend start, so the short waits block nobody).

    A frozen group is thawed first: a frozen process does not act on SIGKILL until it runs again,
    so without the thaw it would never exit and the directories could never be removed.
    """
    group.thaw()
    for _ in range(attempts):
        group.kill_all()
        if group.remove():
            return True
        time.sleep(0.01)
    return False


def join_command(procs_files: list[Path], argv: list[str]) -> list[str]:
    """Wrap ``argv`` so the process enters the cgroups before exec (children inherit them)."""
    if not procs_files:
        return argv
    script = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f"; shift; done; shift; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *[str(p) for p in procs_files], "--", *argv]
