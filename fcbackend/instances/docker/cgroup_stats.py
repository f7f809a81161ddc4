"""A container's memory and CPU figures, read from its cgroup files.

Docker's stats endpoint takes a second or more per call, far too slow for per-invocation
accounting; the cgroup files answer at once.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from fcbackend.instances.driver import InstanceStats


class ContainerCgroup:
    """Memory/CPU figures straight from the container's cgroup (Docker's stats endpoint takes a
    second or more per call). cgroup v1 (cgroupfs driver) and v2 (systemd scope) layouts.

    The cgroup exists only once the container has started, after the instance that reads it was
    made: it is looked up on each read until found (a container created but not started has no
    figures)."""

    def __init__(self, container_id: str, root: str = "/sys/fs/cgroup"):
        self.container_id = container_id
        self.root = root
        self.v1: Path | None = None
        self.v2: Path | None = None
        self.cpu_v1 = Path(root, "cpuacct", "docker", container_id, "cpuacct.usage")
        self._find()

    def _find(self) -> None:
        if self.v1 is not None or self.v2 is not None:
            return
        v1 = Path(self.root, "memory", "docker", self.container_id)
        if v1.is_dir():
            self.v1 = v1
            return
        v2_candidates = [
            Path(self.root, "system.slice", f"docker-{self.container_id}.scope"),
            Path(self.root, "docker", self.container_id),
        ]
        self.v2 = next((p for p in v2_candidates if (p / "memory.current").exists()), None)

    @staticmethod
    def _read_int(path: Path) -> int:
        try:
            return int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def stats(self) -> InstanceStats:
        self._find()
        if self.v1 is not None:
            return InstanceStats(
                memory_peak_bytes=self._read_int(self.v1 / "memory.max_usage_in_bytes"),
                memory_current_bytes=self._read_int(self.v1 / "memory.usage_in_bytes"),
                cpu_seconds=self._read_int(self.cpu_v1) / 1e9,
            )
        if self.v2 is not None:
            cpu_usec = 0
            with contextlib.suppress(OSError):
                for line in (self.v2 / "cpu.stat").read_text().splitlines():
                    if line.startswith("usage_usec"):
                        cpu_usec = int(line.split()[1])
            return InstanceStats(
                memory_peak_bytes=self._read_int(self.v2 / "memory.peak"),
                memory_current_bytes=self._read_int(self.v2 / "memory.current"),
                cpu_seconds=cpu_usec / 1e6,
            )
        return InstanceStats()

    def reset_peak(self) -> None:
        self._find()
        with contextlib.suppress(OSError):
            if self.v1 is not None:
                (self.v1 / "memory.max_usage_in_bytes").write_text("0")
            elif self.v2 is not None:
                (self.v2 / "memory.peak").write_text("0")
