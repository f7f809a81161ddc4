"""A backend that starts cleans up after a dead one of the same state directory: the app's
lifespan starts the scheduler, which calls every driver's ``reap_orphans()``.

The "dead backend" is a real process that created an instance cgroup (with a process in it, as a
worker would be) and was killed without cleaning up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fcbackend.backend_config import BackendConfig
from fcbackend.composition import create_app
from fcbackend.instances.cgroups import CgroupManager
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


# -- frozen instances of a killed backend: a backend killed while an instance was idle-frozen
# leaves its processes FROZEN in the freezer cgroup, where bubblewrap's --die-with-parent cannot act
# and a SIGKILL stays pending, so reaping must thaw the group first
DEAD_BACKEND_WITH_FROZEN_INSTANCE = textwrap.dedent("""
    import subprocess, sys, time
    from fcbackend.instances.cgroups import CgroupManager, Limits, join_command
    manager = CgroupManager(sys.argv[1])
    group = manager.create("w-frozen", Limits(memory_bytes=64 << 20))
    child = subprocess.Popen(join_command(group.procs_files, ["sleep", "300"]), start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while child.pid not in group.pids() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert group.freeze(), "freezing failed"
    print(child.pid, *group.dirs.values(), flush=True)
    # exits without thawing or close(): a backend killed while the instance was idle-frozen
""")


def _freezer_available() -> bool:
    manager = CgroupManager("probe-freezer")
    return manager.version == 2 or "freezer" in manager.bases


requires_freezer = pytest.mark.skipif(not _freezer_available(), reason="no cgroup freezer here")


def _state_letter(pid: int) -> str | None:
    """The process's state letter (None: it is gone); Z counts as gone (it is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            letter = fh.read().rpartition(")")[2].split()[0]
    except OSError:
        return None
    return None if letter == "Z" else letter


def _wait_frozen(group_dirs: list[str], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for d in group_dirs:
            state = Path(d) / "freezer.state"
            if state.exists() and state.read_text().strip() == "FROZEN":
                return True
            events = Path(d) / "cgroup.events"
            if events.exists() and "frozen 1" in events.read_text():
                return True
        time.sleep(0.01)
    return False


def _leave_frozen_orphan(owner_key: str) -> tuple[int, list[str]]:
    dead = subprocess.run(
        [sys.executable, "-c", DEAD_BACKEND_WITH_FROZEN_INSTANCE, owner_key],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        cwd=REPO,
    )
    pid_text, *group_dirs = dead.stdout.split()
    return int(pid_text), group_dirs


def _cleanup(pid: int, group_dirs: list[str]) -> None:
    """If reaping failed, do not leave a frozen sleeper behind for the next test run."""
    for d in group_dirs:
        for name in ("freezer.state", "cgroup.freeze"):
            path = Path(d) / name
            if path.exists():
                path.write_text("THAWED" if name == "freezer.state" else "0")
    if _state_letter(pid) is not None:
        os.kill(pid, signal.SIGKILL)


def _wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _state_letter(pid) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


@requires_cgroups
@requires_freezer
def test_reaping_thaws_kills_and_removes_a_frozen_orphan(tmp_path):
    owner_key = f"{tmp_path.resolve()}:sandbox"
    pid, group_dirs = _leave_frozen_orphan(owner_key)
    try:
        assert _wait_frozen(group_dirs), "the orphan was frozen"
        assert _state_letter(pid) is not None

        reaped = CgroupManager(owner_key).reap_orphans()

        assert reaped == 1
        assert _wait_gone(pid), f"the frozen orphan {pid} was killed"
        assert not any(Path(d).exists() for d in group_dirs), "every controller's directory was removed"
        assert not any(Path(d).parent.exists() for d in group_dirs), "the dead owner's directories too"
    finally:
        _cleanup(pid, group_dirs)


@requires_cgroups
@requires_freezer
def test_a_new_backend_reaps_a_frozen_orphan_at_start_up(tmp_path):
    state = (tmp_path / "fc").resolve()
    state.mkdir()
    pid, group_dirs = _leave_frozen_orphan(f"{state}:process")  # the process driver's owner key
    try:
        assert _wait_frozen(group_dirs)

        async def start_and_stop_backend() -> None:
            app = create_app(BackendConfig.for_state_dir(state, driver="process"))
            async with app.router.lifespan_context(app):
                pass

        run(start_and_stop_backend)
        assert _wait_gone(pid), "the backend's start-up reaping killed the frozen orphan"
        assert not any(Path(d).exists() for d in group_dirs)
    finally:
        _cleanup(pid, group_dirs)
