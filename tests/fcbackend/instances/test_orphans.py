"""A backend that starts cleans up after a dead one of the same state directory: the app's
lifespan starts the scheduler, which calls every driver's ``reap_orphans()``.

The "dead backend" is a real process that created an instance cgroup (with a process in it, as a
worker would be) and was killed without cleaning up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from fcbackend.app import create_app
from fcbackend.backend_config import BackendConfig
from tests.support.instances import requires_cgroups, run, wait_until
from tests.support.paths import REPO

DEAD_BACKEND = textwrap.dedent("""
    import subprocess, sys
    from fcbackend.instances.cgroups import CgroupManager, Limits, join_command
    manager = CgroupManager(sys.argv[1])
    group = manager.create("w-orphan", Limits(memory_bytes=64 << 20))
    child = subprocess.Popen(join_command(group.procs_files, ["sleep", "300"]), start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(child.pid, *group.dirs.values(), flush=True)
    # exits without close(): the cgroup and its process outlive this "backend"
""")


async def start_and_stop_backend(state_dir: Path) -> None:
    app = create_app(BackendConfig.for_state_dir(state_dir))
    async with app.router.lifespan_context(app):
        pass


def _pid_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


@requires_cgroups
def test_a_new_backend_reaps_the_cgroups_of_a_dead_one(tmp_path):
    state = (tmp_path / "fc").resolve()
    state.mkdir()
    owner_key = f"{state}:process"  # what the process driver of this state dir uses
    dead = subprocess.run(
        [sys.executable, "-c", DEAD_BACKEND, owner_key],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        cwd=REPO,
    )
    pid_text, *group_dirs = dead.stdout.split()
    orphan_pid = int(pid_text)
    try:
        assert _pid_running(orphan_pid) and all(Path(d).is_dir() for d in group_dirs)

        run(lambda: start_and_stop_backend(state))

        async def gone() -> bool:
            return await wait_until(lambda: not _pid_running(orphan_pid), timeout=10)

        assert run(gone), "the orphan's process was killed"
        assert not any(Path(d).exists() for d in group_dirs), "the orphan cgroup was removed"
    finally:
        if _pid_running(orphan_pid):
            os.kill(orphan_pid, 9)
