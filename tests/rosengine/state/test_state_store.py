"""The SQLite state store: schema versioning, WAL, atomic groups, locking, GetStackOutput."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from rosengine.state import OutputRecord, Owner, StackError, StackRecord, open_store
from rosengine.state.migrations import SCHEMA
from rosengine.state.owner import is_alive
from sqlstore import SchemaTooNew
from tests.support.paths import REPO


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    store = open_store(tmp_path / "state.db")
    store.close()
    conn = sqlite3.connect(tmp_path / "state.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = "SELECT MAX(version) FROM schema_migrations WHERE store = 'stack_state'"
    assert conn.execute(versions).fetchone()[0] == SCHEMA.version
    conn.execute("INSERT INTO schema_migrations VALUES ('stack_state', 999, 'from the future', '')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer than this rosengine"):
        open_store(tmp_path / "state.db")


def test_default_location_is_state_dir() -> None:
    store = open_store()
    assert Path(store.path) == Path(os.environ["ROS_HOME"]) / "state.db"


def test_transaction_is_all_or_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with pytest.raises(ValueError), store.transaction():
        store.insert_stack(StackRecord(id="1", name="a", status="CREATE_COMPLETE"))
        raise ValueError("boom")
    assert store.find_stack("a") is None


def test_lock_refuses_live_owner_and_reports_dead_one(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    me = Owner.current()
    store.insert_stack(
        StackRecord(
            id="1",
            name="a",
            status="UPDATE_IN_PROGRESS",
            owner_pid=me.pid,
            owner_host=me.host,
            owner_started=me.started,
            heartbeat=time.time(),
        )
    )
    with pytest.raises(StackError) as info:
        store.acquire("1", me)
    assert info.value.code == "ActionInProgress" and "(UPDATE)" in info.value.message
    store.update_stack("1", heartbeat=time.time() - 3600)  # owner stopped beating: dead
    with pytest.raises(StackError) as info:
        store.acquire("1", me)
    assert info.value.code == "OperationInterrupted" and "ros stack rollback -n a" in info.value.message
    assert store.acquire("1", me, allow_interrupted=True).owner_pid == me.pid


def test_pid_reuse_and_dead_pids_are_not_alive() -> None:
    me = Owner.current()
    assert is_alive(me.pid, me.host, me.started, time.time())
    assert not is_alive(me.pid, me.host, "1", time.time())  # same pid, other start time
    assert not is_alive(2**22 + 7, me.host, "", time.time())


def test_get_stack_output_reads_clear_values_and_empty_for_missing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    store.insert_stack(
        StackRecord(id="1", name="p", status="CREATE_COMPLETE", identity={"region": "cn-hangzhou"})
    )
    store.set_outputs("1", [OutputRecord("Secret", "v", no_echo=True)])
    assert store.get_stack_output("p", "Secret", None) == "v"
    assert store.get_stack_output("1", "Secret", "cn-hangzhou") == "v"
    assert store.get_stack_output("p", "Secret", "cn-beijing") == ""
    assert store.get_stack_output("p", "Nope", None) == ""
    assert store.get_stack_output("nope", "Secret", None) == ""
    assert store.get_outputs("1")[0].as_api()["OutputValue"] == "******"


def test_a_state_db_of_the_earlier_layout_opens_with_its_stacks(tmp_path: Path) -> None:
    """tests/data/legacy_stores/state.db was written before the shared migrations ledger: its own
    ``schema_version`` table said version 2. Opening it moves that into the ledger, keeps every
    stack, resource, event, output and change set, and the store works on as before."""
    path = tmp_path / "state.db"
    shutil.copy(REPO / "tests" / "data" / "legacy_stores" / "state.db", path)
    store = open_store(path)
    stack = store.find_stack("legacy")
    assert stack is not None and stack.parameters == {"P": "v"} and stack.processed_template == ""
    assert [r.logical_id for r in store.get_resources(stack.id)] == ["Fn", "Svc"]
    assert [e.id for e in store.list_events(stack.id)] == ["ev-1"]
    assert [(o.key, o.no_echo) for o in store.get_outputs(stack.id)] == [("Arn", False), ("Secret", True)]
    assert [c.name for c in store.list_change_sets(stack.id)] == ["cs"]
    store.update_stack(stack.id, processed_template="{}")
    store.close()
    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    ledger = conn.execute(
        "SELECT version, name FROM schema_migrations WHERE store = 'stack_state'"
    ).fetchall()
    conn.close()
    assert "schema_version" not in tables
    assert [v for v, _ in ledger] == [1, 2, 3]
    assert all(name.endswith("(adopted)") for _, name in ledger[:2])  # 3 came after that layout
    assert not ledger[2][1].endswith("(adopted)")


def test_open_store_takes_a_database_url(tmp_path: Path) -> None:
    store = open_store(f"sqlite://{tmp_path / 'named.db'}")
    store.insert_stack(StackRecord(id="1", name="a", status="CREATE_COMPLETE"))
    store.close()
    assert open_store(tmp_path / "named.db").find_stack("a") is not None
