"""The backend daemon (fcbackend.server): one backend per state directory, busy backends reported
rather than twinned, stopping a backend that ignores SIGTERM, the port kept across restarts.

The backends here are real daemons (``start_daemon``, process driver) in a temporary state dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fcbackend.backend_config import read_backend_info
from fcbackend.server import (
    BackendNotAnswering,
    serving_pid,
    start_daemon,
    stop_daemon,
)
from tests.support.paths import REPO
from tests.support.stuck_backend import process_alive, stuck_backend

ROS = [sys.executable, "-c", "from rosengine.cli import main; main()"]


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "fc"
    yield directory
    info = read_backend_info(directory)
    if info is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(info["pid"]), signal.SIGCONT)
    stop_daemon(directory, timeout=5)


def _backend_processes(state_dir: Path) -> list[int]:
    """Pids of every ``fcbackend.server`` process serving ``state_dir`` (what a twin would add)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"fcbackend.server" in argv and str(state_dir).encode() in argv and process_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def test_a_second_backend_on_the_same_state_dir_exits_naming_the_holder(state):
    info, started = start_daemon(state, driver="process")
    assert started and serving_pid(state) == info["pid"]
    twin = subprocess.run(
        [sys.executable, "-m", "fcbackend.server", "--state-dir", str(state), "--driver", "process"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert twin.returncode == 1
    assert f"pid {info['pid']}" in twin.stderr and "already serving" in twin.stderr
    assert "Traceback" not in twin.stderr
    assert read_backend_info(state)["pid"] == info["pid"], "the first backend's record is untouched"


def test_a_backend_that_does_not_answer_is_reported_not_twinned(state):
    info, _ = start_daemon(state, driver="process")
    pid = int(info["pid"])
    os.kill(pid, signal.SIGSTOP)  # alive, holding its lock, answering nobody (as a busy loop would)
    try:
        with pytest.raises(BackendNotAnswering, match=rf"the FC backend \(pid {pid}\) is not answering"):
            start_daemon(state, driver="process", timeout=5)
        env = {**os.environ, "ROS_HOME": str(state.parent)}
        env.pop("ROS_FC_ENDPOINT", None)
        cli = subprocess.run(
            [*ROS, "fc", "invoke", "svc/fn"], env=env, capture_output=True, text=True, timeout=60, cwd=REPO
        )
        assert cli.returncode == 1
        assert f"the FC backend (pid {pid}) is not answering" in cli.stderr
        assert _backend_processes(state) == [pid], "no second backend was started"
        assert read_backend_info(state)["pid"] == pid
    finally:
        os.kill(pid, signal.SIGCONT)


def test_stop_gets_rid_of_a_stopped_backend(state):
    info, _ = start_daemon(state, driver="process")
    pid = int(info["pid"])
    os.kill(pid, signal.SIGSTOP)
    began = time.monotonic()
    assert stop_daemon(state, timeout=10)["pid"] == pid
    assert not process_alive(pid)
    assert time.monotonic() - began < 8, "SIGCONT let it handle SIGTERM without waiting for SIGKILL"
    assert read_backend_info(state) is None and serving_pid(state) is None


def test_stop_kills_a_backend_that_never_handles_sigterm(state):
    with stuck_backend(state) as proc:
        assert serving_pid(state) == proc.pid
        stopped = stop_daemon(state, timeout=0.5)
        assert stopped is not None and stopped["pid"] == proc.pid
        assert proc.wait(timeout=10) == -signal.SIGKILL
        assert serving_pid(state) is None and read_backend_info(state) is None


def test_start_after_stop_reuses_the_port(state):
    first, _ = start_daemon(state, driver="process")
    stop_daemon(state)
    second, started = start_daemon(state, driver="process")
    assert started and second["pid"] != first["pid"]
    assert second["port"] == first["port"] and second["endpoint"] == first["endpoint"]
    assert json.loads((state / "last-port").read_text()) == first["port"]


def test_a_taken_port_falls_back_to_a_free_one(state):
    first, _ = start_daemon(state, driver="process")
    stop_daemon(state)
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", first["port"]))
    squatter.listen(1)
    try:
        second, _ = start_daemon(state, driver="process")
        assert second["port"] != first["port"]
    finally:
        squatter.close()


def test_a_backend_holding_the_lock_without_a_record_is_waited_for_not_twinned(state):
    with stuck_backend(state, "--no-record") as proc:
        with pytest.raises(BackendNotAnswering, match=rf"\(pid {proc.pid}\) is not answering"):
            start_daemon(state, driver="process", timeout=0.5)
        assert _backend_processes(state) == []
