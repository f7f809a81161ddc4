"""The ``sandbox`` driver: every instance in its own bubblewrap sandbox with cgroup limits.

Why: FC isolates functions from each other and from the platform; locally bubblewrap gives the
same at a cost of milliseconds, and the warm pool hides even that (see
:mod:`fcbackend.instances.launchers` for what a sandbox contains and
:mod:`fcbackend.instances.prestarted` for the pre-started sandboxes). It is the default driver wherever
bubblewrap can create namespaces.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from fcbackend.gpu.placement import GpuAllocator
from fcbackend.instances.launchers import BubblewrapLauncher
from fcbackend.instances.local_driver import LocalDriver
from fcbackend.instances.slots import slots_root


@lru_cache(maxsize=4)
def bubblewrap_works(bwrap: str = "bwrap") -> tuple[bool, str]:
    """Try the namespaces we need once; the answer explains what is missing."""
    path = shutil.which(bwrap)
    if path is None:
        return False, "bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)"
    probe = [
        path,
        "--die-with-parent",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-net",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "true",
    ]
    try:
        result = subprocess.run(probe, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap cannot run here: {exc}"
    if result.returncode != 0:
        return False, (
            "bubblewrap cannot create namespaces here: " + result.stderr.decode("utf-8", "replace").strip()
        )
    return True, "bubblewrap sandboxes"


def default_hidden_paths(state_dir: Path) -> list[Path]:
    """Backend state a function must never see: its state dir, ROS_HOME, the user's secrets."""
    home = Path.home()
    candidates = [
        Path(state_dir),
        home / ".rosengine",
        home / ".ssh",
        home / ".aliyun",
        home / ".docker",
        home / ".config",
    ]
    ros_home = os.environ.get("ROS_HOME")
    if ros_home:
        candidates.append(Path(ros_home).expanduser())
    return [p for p in candidates if p.exists()]


class SandboxDriver(LocalDriver):
    name = "sandbox"

    def __init__(
        self,
        state_dir: Path,
        *,
        pool_size: int = 2,
        pids_max: int = 1024,
        bwrap: str = "bwrap",
        extra_hidden: list[Path] | None = None,
        custom_start_timeout_s: float = 120,
        gpu_allocator: GpuAllocator | None = None,
    ):
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        hidden = default_hidden_paths(Path(state_dir)) + list(extra_hidden or [])
        self.sandbox_launcher = BubblewrapLauncher(hidden, bwrap, home=slots_root(Path(state_dir)))
        super().__init__(
            state_dir,
            self.sandbox_launcher,
            pool_size=pool_size,
            pids_max=pids_max,
            custom_start_timeout_s=custom_start_timeout_s,
            gpu_allocator=gpu_allocator,
        )
        self._bwrap = bwrap

    def available(self) -> tuple[bool, str]:
        ok, why = bubblewrap_works(self._bwrap)
        if not ok:
            return ok, why
        return True, f"bubblewrap sandboxes; {self.sandbox_launcher.describe()}; {self.cgroups.describe()}"

    async def close(self) -> None:
        await super().close()
        self.sandbox_launcher.close()
        remove_if_only_templates(self.slots_root)


def remove_if_only_templates(root: Path) -> None:
    """Remove the slots directory when nothing is left in it but the disk templates (which any
    later driver recreates in milliseconds)."""
    try:
        entries = [entry.name for entry in root.iterdir()]
    except OSError:
        return
    if set(entries) <= {".disks"}:
        shutil.rmtree(root / ".disks", ignore_errors=True)
        try:
            os.rmdir(root)
        except OSError:
            pass
