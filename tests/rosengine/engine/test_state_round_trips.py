"""How often a stack's life goes to the state store: on a shared PostgreSQL every read and every
commit is a round trip, so the engine reads nothing it has just read or written, and an
operation's last commit carries the stack's unlock.

The store here is SQLite with every call recorded; what it is asked is the same on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rosengine.engine import StackEngine
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
        assert _unlocking(calls) == [len(calls) - 1]
        assert any(sql.startswith("UPDATE stacks SET status") for sql in calls[-1][1])
        assert store.find_stack(created.id).owner_pid is None  # type: ignore[union-attr]
    finally:
        store.close()
