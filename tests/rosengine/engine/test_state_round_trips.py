"""How often a stack's life goes to the state store: on a shared PostgreSQL every read and every
commit is a round trip, so the engine reads nothing it has just read or written, an operation's
opening status goes with its first wave, and its last commit carries the stack's unlock.

The store here is SQLite with every call recorded; what it is asked is the same on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rosengine.engine import StackEngine
from rosengine.engine.progress import CollectingListener
from rosengine.engine.recorder import Recorder
from rosengine.state.models import StackRecord
from rosengine.state.sqlite import SqliteStateStore
from rosengine.state.statuses import Status
from sqlstore import Outcome, Statement
from tests.support.engine_templates import template

UNLOCK = "UPDATE stacks SET owner_pid = NULL"


class RecordingStore(SqliteStateStore):
    """Every read (its SQL) and every commit (its statements' SQL), in order."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: list[tuple[str, list[str]]] = []

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        self.calls.append(("read", [sql]))
        return super()._query(sql, args)

    def _write(self, statements: list[Statement]) -> list[Outcome]:
        self.calls.append(("commit", [statement.sql for statement in statements]))
        return super()._write(statements)

    def take(self) -> list[tuple[str, list[str]]]:
        calls, self.calls = self.calls, []
        return calls


def _reads(calls: list[tuple[str, list[str]]]) -> list[str]:
    return [sqls[0] for kind, sqls in calls if kind == "read"]


def _unlocking(calls: list[tuple[str, list[str]]]) -> list[int]:
    """The positions of the commits that unlock the stack."""
    return [n for n, (kind, sqls) in enumerate(calls) if any(sql.startswith(UNLOCK) for sql in sqls)]


def test_a_create_and_a_delete_read_only_what_they_do_not_know_and_unlock_with_their_last_commit(
    tmp_path: Path,
) -> None:
    store = RecordingStore(tmp_path / "state.db")
    engine = StackEngine(store)
    resources = {
        "First": {"Type": "ALIYUN::ROS::AutoEnableService", "Properties": {"ServiceName": "FC"}},
        "Second": {
            "Type": "ALIYUN::ROS::AutoEnableService",
            "Properties": {"ServiceName": "OSS"},
            "DependsOn": ["First"],
        },
    }
    try:
        store.take()
        created = engine.create_stack("trips", template(resources))
        calls = store.take()
        # One read: is the name free? The new stack's rows are known (none), and the stack
        # returned is the one the unlock left, not read again.
        assert [sql.split(" WHERE")[0] for sql in _reads(calls)] == ["SELECT * FROM stacks"]
        assert created.status == Status.CREATE_COMPLETE and created.owner_pid is None
        # Five commits: the stack's row; its opening status and pending rows with the first
        # wave (First started); First done with Second started; Second done; the final status.
        assert [kind for kind, _ in calls].count("commit") == 5
        # The final status and the unlock in the operation's last commit, and nothing after it.
        assert _unlocking(calls) == [len(calls) - 1]
        assert any(sql.startswith("UPDATE stacks SET status") for sql in calls[-1][1])

        deleted = engine.delete_stack("trips")
        calls = store.take()
        # The stack by name (its lock taken on what that read saw), then its rows once.
        assert _reads(calls) == [
            _reads(calls)[0],
            "SELECT * FROM resources WHERE stack_id = ? ORDER BY rowid",
        ]
        assert _reads(calls)[0].startswith("SELECT * FROM stacks WHERE (name = ?")
        assert deleted.status == Status.DELETE_COMPLETE and deleted.owner_pid is None
        # The lock; the opening status with the first wave; Second gone with First started;
        # First gone; the final status.
        assert [kind for kind, _ in calls].count("commit") == 5
        assert _unlocking(calls) == [len(calls) - 1]
        assert any(sql.startswith("UPDATE stacks SET status") for sql in calls[-1][1])
        assert store.find_stack(created.id).owner_pid is None  # type: ignore[union-attr]
    finally:
        store.close()


def test_a_deferred_write_goes_with_the_next_commit_and_survives_one_that_fails(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "state.db")
    stack = StackRecord(id="s1", name="s1", status=Status.CREATE_IN_PROGRESS)
    store.insert_stack(stack)
    listener = CollectingListener()
    recorder = Recorder(store, stack, listener)
    try:
        recorder.defer(lambda: recorder.stack_status(Status.CREATE_FAILED, "opening"))
        assert store.list_events("s1") == []  # deferred: nothing written yet
        with pytest.raises(RuntimeError), recorder.grouped():
            raise RuntimeError("this commit never happens")
        assert store.list_events("s1") == [] and listener.events == []
        with recorder.grouped():
            recorder.stack_status(Status.CREATE_COMPLETE, "closing")
        assert [(e.status, e.reason) for e in store.list_events("s1")] == [
            (Status.CREATE_FAILED, "opening"),
            (Status.CREATE_COMPLETE, "closing"),
        ]
        assert [e.reason for e in listener.events] == ["opening", "closing"]
        recorder.flush()  # nothing left: no commit
        assert len(store.list_events("s1")) == 2
    finally:
        store.close()
