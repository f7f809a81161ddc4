"""Locking and recovery: a second operation is refused while one runs; a create killed with -9
is reported, then finished (`ros stack continue`) or undone (`ros stack rollback`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rosengine.engine import StackEngine, StackError
from rosengine.state import open_store
from tests.support import fake_cloud
from tests.support.engine_templates import recorder, template
from tests.support.paths import REPO

CLI = str(REPO / "tests" / "support" / "cli_main.py")


def _wait_for(predicate, what: str, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_second_operation_gets_action_in_progress(engine: StackEngine) -> None:
    fake_cloud.EVENTS["hold"] = threading.Event()
    body = template({"A": recorder({"Hang": "hold"})})
    worker = threading.Thread(target=engine.create_stack, args=("busy", body))
    worker.start()
    try:

        def started() -> bool:
            stack = engine.store.find_stack("busy")
            return stack is not None and any(
                r.status == "CREATE_IN_PROGRESS" for r in engine.store.get_resources(stack.id)
            )

        _wait_for(started, "the create to start")
        other = StackEngine(open_store())
        for attempt in (
            lambda: other.delete_stack("busy"),
            lambda: other.update_stack("busy"),
            lambda: other.continue_create("busy"),
        ):
            with pytest.raises(StackError) as info:
                attempt()
            assert info.value.code == "ActionInProgress"
            assert info.value.message == "Stack busy already has an action (CREATE) in progress."
    finally:
        fake_cloud.EVENTS["hold"].set()
        worker.join(timeout=30)
    assert engine.get_stack("busy").status == "CREATE_COMPLETE"


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "ROS_HOME": os.environ["ROS_HOME"], "ROS_TEST_CLOUD": os.environ["ROS_TEST_CLOUD"]}


def _ros(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(Path(os.environ["ROS_HOME"])),
    )


def _start_and_kill(tmp_path: Path, *, create_before_gate: bool) -> Path:
    """Run `ros stack create` in a subprocess; kill -9 it while B's create waits at the gate."""
    gate = tmp_path / "gate"
    body = template(
        {
            "A": recorder({"Name": "a"}),
            "B": recorder(
                {
                    "Name": "b",
                    "Value": {"Ref": "A"},
                    "Gate": str(gate),
                    "CreateBeforeGate": create_before_gate,
                }
            ),
            "C": recorder({"Name": "c", "Value": {"Ref": "B"}}),
        }
    )
    path = tmp_path / "killed.json"
    path.write_text(body)
    proc = subprocess.Popen(
        [sys.executable, CLI, "stack", "create", "-t", str(path)],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: Path(str(gate) + ".reached").exists(), "the create to reach the gate", 60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return gate


def _logical_ids_in_cloud() -> list[str]:
    return sorted(entry["logical_id"] for entry in fake_cloud.snapshot()["resources"].values())


@pytest.mark.parametrize("create_before_gate", [False, True], ids=["not-created", "created-unrecorded"])
def test_continue_after_kill_finishes_without_duplicates(tmp_path: Path, create_before_gate: bool) -> None:
    gate = _start_and_kill(tmp_path, create_before_gate=create_before_gate)
    described = _ros("stack", "describe", "-n", "killed")
    assert "CREATE_IN_PROGRESS" in described.stdout
    assert "is gone" in described.stderr and "ros stack continue -n killed" in described.stderr
    if not create_before_gate:
        refused = _ros("stack", "update", "-n", "killed", "--use-previous-template")
        assert refused.returncode == 1 and "ros stack continue" in refused.stderr
    gate.write_text("open")
    done = _ros("stack", "continue", "-n", "killed")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CREATE_COMPLETE" in done.stdout
    assert _logical_ids_in_cloud() == ["A", "B", "C"]
    creates = [c[1] for c in fake_cloud.calls() if c[0] == "create"]
    assert creates.count("A") == 1
    if create_before_gate:
        assert "B" not in creates  # adopted via read(), not created twice
    store = open_store()
    rows = {r.logical_id: r for r in store.get_resources(store.find_stack("killed").id)}
    assert {r.status for r in rows.values()} == {"CREATE_COMPLETE"}
    assert rows["C"].properties["Value"] == rows["B"].physical_id


def test_rollback_after_kill_deletes_everything(tmp_path: Path) -> None:
    _start_and_kill(tmp_path, create_before_gate=True)
    assert _logical_ids_in_cloud() == ["A", "B"]
    undone = _ros("stack", "rollback", "-n", "killed")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "CREATE_ROLLBACK_COMPLETE" in undone.stdout
    assert _logical_ids_in_cloud() == []
    events = _ros("stack", "events", "-n", "killed", "-o", "json")
    assert '"CREATE_ROLLBACK_IN_PROGRESS"' in events.stdout
