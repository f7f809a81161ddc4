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
    second or more per call). cgroup v1 (cgroupfs driver) and v2 (systemd scope) layouts."""

    def __init__(self, container_id: str, root: str = "/sys/fs/cgroup"):
        v1 = Path(root, "memory", "docker", container_id)
        v2_candidates = [
            Path(root, "system.slice", f"docker-{container_id}.scope"),
            Path(root, "docker", container_id),
        ]
        self.v1 = v1 if v1.is_dir() else None
        self.v2 = next((p for p in v2_candidates if (p / "memory.current").exists()), None)
        self.cpu_v1 = Path(root, "cpuacct", "docker", container_id, "cpuacct.usage")

    @staticmethod
    def _read_int(path: Path) -> int:
        try:
            return int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def stats(self) -> InstanceStats:
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
        with contextlib.suppress(OSError):
            if self.v1 is not None:
                (self.v1 / "memory.max_usage_in_bytes").write_text("0")
            elif self.v2 is not None:
                (self.v2 / "memory.peak").write_text("0")
