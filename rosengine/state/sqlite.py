"""The SQL implementation of :class:`StateStore`: one file ``<state dir>/state.db`` by default, or
the PostgreSQL database ``ROS_DATABASE_URL`` names (several homes and hosts then share stacks).

Why SQLite (opened by :mod:`sqlstore`: WAL, crash-safe commits): readers (``ros stack describe``
in another terminal) never block the operation writing events, every change is a transaction that
survives kill -9, and there is no server to run. Commits need no fsync (only a power loss can drop
the last ones). The engine writes from its coordinating thread and the heartbeat thread, never
from provider threads; several ``ros`` processes may open the file at once (busy timeout 30 s).

The statements are the ones both kinds of database understand. A stack's operation lock is its
owner columns, checked and written in one transaction that holds the stack's row (PostgreSQL:
``SELECT ... FOR UPDATE``; SQLite: the write lock), so two ``ros`` processes, on one host or on
several, cannot both take a stack. "Resources in the order they were last written" is ``rowid``
order: SQLite's own rowid, a column of that name on PostgreSQL (:mod:`rosengine.state.migrations`);
a write is a delete and an insert so the row gets a new one.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from rosengine.state.errors import (
    OPERATION_INTERRUPTED,
    StackError,
    action_in_progress,
    stack_exists,
    stack_not_found,
)
from rosengine.state.migrations import schema_for
from rosengine.state.models import (
    ChangeSetRecord,
    EventRecord,
    OutputRecord,
    ResourceRecord,
    StackRecord,
    now_iso,
    undo_from_json,
    undo_to_json,
)
from rosengine.state.owner import Owner, is_alive
from rosengine.state.statuses import Action, Status
from rosengine.state.store import StateBatch, StateStore
from sqlstore import Cursor, Database, Dialect, Outcome, SqliteDatabase, Statement

# The stack's columns as a statement returns them (``RETURNING``), in the record's field order.
_STACK_FIELDS = tuple(field.name for field in dataclasses.fields(StackRecord))
_STACK_COLUMNS = ", ".join(_STACK_FIELDS)
_JSON_STACK_FIELDS = {"parameters", "resolved_parameters", "no_echo", "identity", "options", "operation"}
_JSON_RESOURCE_FIELDS = {"properties", "attributes", "metadata", "depends_on", "previous"}
_JSON_CHANGE_SET_FIELDS = {"parameters", "options", "changes"}


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


Row = dict[str, Any]


def _rows(cursor: Cursor) -> list[Row]:
    """The cursor's rows as column name -> value (``description`` is DB-API, so every driver has it);
    PostgreSQL's ordering column ``rowid`` is not a record field."""
    description: Sequence[Sequence[Any]] = cursor.description
    names = [column[0] for column in description]
    out = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row.pop("rowid", None)
        out.append(row)
    return out


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _decode_row(row: Row, json_fields: set[str]) -> dict[str, Any]:
    """A row as record fields, the JSON columns parsed back into Python values."""
    data = dict(row)
    for key in json_fields:
        data[key] = _load(data[key])
    return data


def _encode_record(
    record: Any, json_fields: set[str], stored: dict[str, Any] | None = None
) -> tuple[str, str, tuple[Any, ...]]:
    """(column list, placeholder list, values) to INSERT a record, JSON columns serialised;
    ``stored`` gives the stored form of fields that are not plain data."""
    fields = {**vars(record), **(stored or {})}
    for key in json_fields:
        fields[key] = _dump(fields[key])
    return ", ".join(fields), ", ".join("?" for _ in fields), tuple(fields.values())


def interrupted_message(stack: StackRecord) -> str:
    """What to tell a user who finds a stack whose operation died with its process."""
    owner = f"pid {stack.owner_pid} on host {stack.owner_host}" if stack.owner_pid else "its process"
    hint = (
        f"run `ros stack continue -n {stack.name}` to finish it "
        f"or `ros stack rollback -n {stack.name}` to undo it"
        if stack.action == Action.CREATE
        else f"run `ros stack rollback -n {stack.name}` to recover it"
    )
    if stack.action == Action.DELETE:
        hint = f"run `ros stack delete -n {stack.name}` again to finish it"
    return f"Stack {stack.name} was left {stack.status}: the operation's owner ({owner}) is gone; {hint}."


# -- the statements of each write (a write on its own and a batch send the same) ----------------


_RESOURCE_KEY = ("stack_id", "logical_id", "role")


def _resource_row(resource: ResourceRecord) -> tuple[str, str, tuple[Any, ...]]:
    """The row as it is stored now (``created_at`` and ``updated_at`` stamped): columns,
    placeholders, values."""
    stamp = now_iso()
    resource.created_at = resource.created_at or stamp
    resource.updated_at = stamp
    return _encode_record(resource, _JSON_RESOURCE_FIELDS, {"previous": undo_to_json(resource.previous)})


def _upsert_tail(columns: str) -> str:
    """PostgreSQL: a row that exists is rewritten and renumbered (it moves to the end of the
    listing order, as SQLite's ``INSERT OR REPLACE`` gives it a new rowid)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns.split(", ") if c not in _RESOURCE_KEY)
    return f" ON CONFLICT ({', '.join(_RESOURCE_KEY)}) DO UPDATE SET {updates}, rowid = DEFAULT"


def put_resource_statements(resource: ResourceRecord, dialect: Dialect) -> list[Statement]:
    """Replace the row, which moves to the end of the listing order, in one statement (SQLite:
    ``INSERT OR REPLACE`` gives the new row a new rowid; PostgreSQL: an upsert that renumbers
    the row's ``rowid`` column)."""
    columns, marks, values = _resource_row(resource)
    if dialect.name == "postgresql":
        sql = f"INSERT INTO resources ({columns}) VALUES ({marks})" + _upsert_tail(columns)
    else:
        sql = f"INSERT OR REPLACE INTO resources ({columns}) VALUES ({marks})"
    return [Statement(sql, values)]


# PostgreSQL: many rows in one statement, sent as a JSON array whose objects the table's row type
# reads (``json_populate_recordset``), in the array's order.
_GIVEN_IN_ORDER = "FROM json_populate_recordset(NULL::{table}, ?) WITH ORDINALITY AS given"


def put_resources_statement(columns: str, rows: list[tuple[Any, ...]]) -> Statement:
    """PostgreSQL: store ``rows`` (distinct keys) in one statement, each moving to the end of the
    listing order in the order given."""
    names = columns.split(", ")
    payload = [
        {
            name: int(value) if isinstance(value, bool) else value
            for name, value in zip(names, row, strict=True)
        }
        for row in rows
    ]
    return Statement(
        f"INSERT INTO resources ({columns}) SELECT {columns} "
        f"{_GIVEN_IN_ORDER.format(table='resources')} ORDER BY given.ordinality" + _upsert_tail(columns),
        (json.dumps(payload, ensure_ascii=False, default=str),),
    )


def delete_resources_statement(keys: list[tuple[str, str, str]]) -> Statement:
    """PostgreSQL: remove the rows of ``keys`` in one statement."""
    payload = [dict(zip(_RESOURCE_KEY, key, strict=True)) for key in keys]
    return Statement(
        "DELETE FROM resources AS row USING json_populate_recordset(NULL::resources, ?) AS gone "
        "WHERE row.stack_id = gone.stack_id AND row.logical_id = gone.logical_id AND row.role = gone.role",
        (json.dumps(payload, ensure_ascii=False),),
    )


_EVENT_COLUMNS = "id, stack_id, stack_name, logical_id, physical_id, type, status, reason, time"


def events_statement(events: list[EventRecord]) -> Statement:
    """PostgreSQL: append ``events`` in one statement, numbered in the order given; returns
    (id, seq) rows."""
    names = _EVENT_COLUMNS.split(", ")
    payload = [{name: str(getattr(event, name)) for name in names} for event in events]
    return Statement(
        f"INSERT INTO events ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} "
        f"{_GIVEN_IN_ORDER.format(table='events')} ORDER BY given.ordinality RETURNING id, seq",
        (json.dumps(payload, ensure_ascii=False),),
    )


def delete_resource_statement(stack_id: str, logical_id: str, role: str) -> Statement:
    return Statement(
        "DELETE FROM resources WHERE stack_id = ? AND logical_id = ? AND role = ?",
        (stack_id, logical_id, role),
    )


def event_statement(event: EventRecord) -> Statement:
    """Append the event; the statement returns its sequence number."""
    return Statement(
        "INSERT INTO events (id, stack_id, stack_name, logical_id, physical_id, type, status, "
        "reason, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        (
            event.id,
            event.stack_id,
            event.stack_name,
            event.logical_id,
            event.physical_id,
            event.type,
            event.status,
            event.reason,
            event.time,
        ),
    )


def update_stack_statement(stack_id: str, fields: dict[str, Any]) -> Statement:
    """Set fields of the stack (``updated_at`` refreshed); a stack set DELETE_COMPLETE is marked
    deleted in the same statement, so its name is free again."""
    fields.setdefault("updated_at", now_iso())
    if fields.get("status") == Status.DELETE_COMPLETE:
        fields["deleted"] = 1
    sets = ", ".join(f"{k} = ?" for k in fields)
    values = tuple(_dump(v) if k in _JSON_STACK_FIELDS else v for k, v in fields.items())
    return Statement(f"UPDATE stacks SET {sets} WHERE id = ?", (*values, stack_id))


def release_statement(stack_id: str, owner: Owner) -> Statement:
    """Unlock the stack if ``owner`` holds it; the statement returns the stack as it leaves it."""
    return Statement(
        "UPDATE stacks SET owner_pid = NULL, owner_host = NULL, owner_started = NULL, heartbeat = NULL "
        f"WHERE id = ? AND owner_pid = ? AND owner_host = ? RETURNING {_STACK_COLUMNS}",
        (stack_id, owner.pid, owner.host),
    )


def released_stack(outcome: Outcome) -> StackRecord | None:
    """The stack a :func:`release_statement` returned (None: the owner no longer held it)."""
    if not outcome.rows:
        return None
    return SqliteStateStore._stack(dict(zip(_STACK_FIELDS, outcome.rows[0], strict=True)))


def set_outputs_statements(stack_id: str, outputs: list[OutputRecord]) -> list[Statement]:
    statements = [Statement("DELETE FROM outputs WHERE stack_id = ?", (stack_id,))]
    if outputs:
        statements.append(
            Statement(
                "INSERT INTO outputs (stack_id, key, position, value, description, no_echo) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (stack_id, o.key, i, _dump(o.value), o.description, int(o.no_echo))
                    for i, o in enumerate(outputs)
                ],
                many=True,
            )
        )
    return statements


class SqlStateBatch(StateBatch):
    """A batch of the SQL store: the statements of its writes, sent in one
    :meth:`~sqlstore.Database.run_batch` (one commit; on PostgreSQL one round trip).

    On PostgreSQL the batch's resource rows and events go as one statement per kind of write
    (rows removed, rows stored, events appended), after the batch's other writes: a wave of the
    engine records many steps at once, and the server runs three statements instead of two per
    step. What the batch leaves behind is what its writes in order would: a key's last write
    decides whether its row stays, rows are stored (and listed) in the order of their last
    write, events are numbered in the order they were added; no other write of a batch touches
    those tables."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.statements: list[Statement] = []
        self._events: list[tuple[int, EventRecord]] = []  # (statement index, event) for its seq
        self._together = dialect.name == "postgresql"
        # PostgreSQL: key -> its row's (columns, values), or None when removed; in the order of
        # each key's last write. Events in the order added.
        self._rows: dict[tuple[str, str, str], tuple[str, tuple[Any, ...]] | None] = {}
        self._new_events: list[EventRecord] = []
        self._release_at: int | None = None  # the index of the release statement, if any

    def put_resource(self, resource: ResourceRecord) -> None:
        if not self._together:
            self.statements.extend(put_resource_statements(resource, self.dialect))
            return
        columns, _, values = _resource_row(resource)
        key = (resource.stack_id, resource.logical_id, resource.role)
        self._rows.pop(key, None)
        self._rows[key] = (columns, values)

    def delete_resource(self, stack_id: str, logical_id: str, role: str) -> None:
        if not self._together:
            self.statements.append(delete_resource_statement(stack_id, logical_id, role))
            return
        key = (stack_id, logical_id, role)
        self._rows.pop(key, None)
        self._rows[key] = None

    def add_event(self, event: EventRecord) -> EventRecord:
        if self._together:
            self._new_events.append(event)
            return event
        self._events.append((len(self.statements), event))
        self.statements.append(event_statement(event))
        return event

    def update_stack(self, stack_id: str, **fields: Any) -> None:
        self.statements.append(update_stack_statement(stack_id, fields))

    def set_outputs(self, stack_id: str, outputs: list[OutputRecord]) -> None:
        self.statements.extend(set_outputs_statements(stack_id, outputs))

    def release(self, stack_id: str, owner: Owner) -> None:
        self._release_at = len(self.statements)
        self.statements.append(release_statement(stack_id, owner))

    def to_send(self) -> list[Statement]:
        """The batch's statements, in the order they run."""
        statements = list(self.statements)
        gone = [key for key, row in self._rows.items() if row is None]
        if len(gone) == 1:
            statements.append(delete_resource_statement(*gone[0]))
        elif gone:
            statements.append(delete_resources_statement(gone))
        kept = [row for row in self._rows.values() if row is not None]
        if len(kept) == 1:  # one row: the plain statement costs the server less
            columns, values = kept[0]
            marks = ", ".join("?" for _ in values)
            statements.append(
                Statement(
                    f"INSERT INTO resources ({columns}) VALUES ({marks})" + _upsert_tail(columns), values
                )
            )
        elif kept:
            statements.append(put_resources_statement(kept[0][0], [values for _, values in kept]))
        if len(self._new_events) == 1:
            statements.append(event_statement(self._new_events[0]))
        elif self._new_events:
            statements.append(events_statement(self._new_events))
        return statements

    def applied(self, outcomes: list[Outcome]) -> None:
        """Give the events their sequence numbers from the outcomes of the statements (and the
        released stack its record)."""
        if self._release_at is not None:
            self.released = True
            self.released_stack = released_stack(outcomes[self._release_at])
        for index, event in self._events:
            event.seq = int(outcomes[index].rows[0][0])
        if len(self._new_events) == 1:
            self._new_events[0].seq = int(outcomes[-1].rows[0][0])
        elif self._new_events:
            numbers = {row[0]: int(row[1]) for row in outcomes[-1].rows}
            for event in self._new_events:
                event.seq = numbers[event.id]


class _OpenBatch(threading.local):
    """The batch a thread is collecting, if any."""

    open: SqlStateBatch | None = None


class SqliteStateStore(StateStore):
    def __init__(self, database: Database | Path | str):
        """``database``: an open database (SQLite or PostgreSQL), or the path of an SQLite file."""
        if not isinstance(database, Database):
            database = SqliteDatabase(Path(database), busy_timeout_s=30.0)
        self.database = database
        self.path = database.url.path
        self.schema_version = database.migrate(schema_for(database))
        self._batches = _OpenBatch()

    def close(self) -> None:
        self.database.close()

    # -- grouping -------------------------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[object]:
        return self.database.transaction()

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Row]:
        with self.database.reading() as session:
            return _rows(session.execute(sql, args))

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        self._write([Statement(sql, args)])

    def _write(self, statements: list[Statement]) -> list[Outcome]:
        """Writes keyed by a stack (its rows, its events): the rows they touch are their own locks
        (the stack's owner is the one writer of its resources, and keys are unique), so on
        PostgreSQL they need not wait for the database's write lock."""
        return self.database.run_batch(statements, row_locks=True)

    @contextmanager
    def _batch(self) -> Iterator[StateBatch]:
        open_batch = self._batches.open
        if open_batch is not None:  # an inner batch of this thread joins the outer one
            yield open_batch
            return
        batch = self._batches.open = SqlStateBatch(self.database.dialect)
        try:
            yield batch
        finally:
            self._batches.open = None
        statements = batch.to_send()
        if statements:
            batch.applied(self._write(statements))

    def batch(self) -> AbstractContextManager[StateBatch]:
        return self._batch()

    # -- stacks ---------------------------------------------------------------------------------
    @staticmethod
    def _stack(row: Row) -> StackRecord:
        data = _decode_row(row, _JSON_STACK_FIELDS)
        data.pop("deleted", None)
        return StackRecord(**data)

    def insert_stack(self, stack: StackRecord) -> None:
        stack.created_at = stack.created_at or now_iso()
        stack.updated_at = stack.updated_at or stack.created_at
        columns, marks, values = _encode_record(stack, _JSON_STACK_FIELDS)
        # One statement: the unique index on live names is the check (no read first).
        (outcome,) = self._write(
            [
                Statement(
                    f"INSERT INTO stacks ({columns}) VALUES ({marks}) "
                    "ON CONFLICT (name) WHERE deleted = 0 DO NOTHING",
                    values,
                )
            ]
        )
        if outcome.rowcount == 0:
            raise stack_exists(stack.name)

    def find_stack(self, name_or_id: str) -> StackRecord | None:
        rows = self._query(
            "SELECT * FROM stacks WHERE (name = ? AND deleted = 0) OR id = ? ORDER BY deleted LIMIT 1",
            (name_or_id, name_or_id),
        )
        return self._stack(rows[0]) if rows else None

    def list_stacks(self, *, include_deleted: bool = False) -> list[StackRecord]:
        where = "" if include_deleted else "WHERE deleted = 0"
        return [
            self._stack(r) for r in self._query(f"SELECT * FROM stacks {where} ORDER BY created_at, name")
        ]

    def update_stack(self, stack_id: str, **fields: Any) -> None:
        self._write([update_stack_statement(stack_id, fields)])

    def remove_stack(self, stack_id: str) -> None:
        self._exec("DELETE FROM stacks WHERE id = ?", (stack_id,))

    # -- locking --------------------------------------------------------------------------------
    def acquire(
        self,
        stack_id: str,
        owner: Owner,
        *,
        allow_interrupted: bool = False,
        seen: StackRecord | None = None,
    ) -> StackRecord:
        # Look, decide, then take the stack only if its owner columns, heartbeat and status are
        # still what was looked at (compare and set): a second process that took or touched it
        # in between makes the write miss, and the look is repeated. Two round trips on
        # PostgreSQL, with no lock held while the owner's liveness is checked; one when the
        # caller has just looked (``seen``).
        while True:
            if seen is not None and seen.id == stack_id:
                stack, seen = seen, None
            else:
                rows = self._query("SELECT * FROM stacks WHERE id = ?", (stack_id,))
                if not rows:
                    raise stack_not_found(stack_id)
                stack = self._stack(rows[0])
            held = stack.owner_pid is not None
            alive = held and is_alive(stack.owner_pid, stack.owner_host, stack.owner_started, stack.heartbeat)
            if alive:
                raise action_in_progress(stack.name, stack.action)
            if stack.in_progress and not allow_interrupted:
                raise StackError(OPERATION_INTERRUPTED, interrupted_message(stack))
            (taken,) = self._write(
                [
                    Statement(
                        "UPDATE stacks SET owner_pid = ?, owner_host = ?, owner_started = ?, heartbeat = ? "
                        "WHERE id = ? AND COALESCE(owner_pid, -1) = ? AND COALESCE(owner_host, '') = ? "
                        "AND COALESCE(heartbeat, -1) = ? AND status = ?",
                        (
                            owner.pid,
                            owner.host,
                            owner.started,
                            time.time(),
                            stack_id,
                            -1 if stack.owner_pid is None else stack.owner_pid,
                            stack.owner_host or "",
                            -1 if stack.heartbeat is None else stack.heartbeat,
                            stack.status,
                        ),
                    )
                ]
            )
            if taken.rowcount == 1:
                break
        stack.owner_pid, stack.owner_host, stack.owner_started = owner.pid, owner.host, owner.started
        return stack

    def release(self, stack_id: str, owner: Owner) -> StackRecord | None:
        (outcome,) = self._write([release_statement(stack_id, owner)])
        return released_stack(outcome)

    def beat(self, stack_id: str, owner: Owner) -> None:
        self._exec(
            "UPDATE stacks SET heartbeat = ? WHERE id = ? AND owner_pid = ? AND owner_host = ?",
            (time.time(), stack_id, owner.pid, owner.host),
        )

    # -- resources ------------------------------------------------------------------------------
    @staticmethod
    def _resource(row: Row) -> ResourceRecord:
        data = _decode_row(row, _JSON_RESOURCE_FIELDS)
        data["previous"] = undo_from_json(data["previous"])
        data["placeholder"] = bool(data.get("placeholder"))
        return ResourceRecord(**data)

    def put_resource(self, resource: ResourceRecord) -> None:
        self._write(put_resource_statements(resource, self.database.dialect))

    def get_resources(self, stack_id: str, *, role: str | None = None) -> list[ResourceRecord]:
        if role is None:
            rows = self._query("SELECT * FROM resources WHERE stack_id = ? ORDER BY rowid", (stack_id,))
        else:
            rows = self._query(
                "SELECT * FROM resources WHERE stack_id = ? AND role = ? ORDER BY rowid", (stack_id, role)
            )
        return [self._resource(r) for r in rows]

    def delete_resource(self, stack_id: str, logical_id: str, role: str) -> None:
        self._write([delete_resource_statement(stack_id, logical_id, role)])

    # -- events ---------------------------------------------------------------------------------
    def add_event(self, event: EventRecord) -> EventRecord:
        (outcome,) = self._write([event_statement(event)])
        event.seq = int(outcome.rows[0][0])
        return event

    def list_events(self, stack_id: str) -> list[EventRecord]:
        rows = self._query("SELECT * FROM events WHERE stack_id = ? ORDER BY seq", (stack_id,))
        return [EventRecord(**r) for r in rows]

    # -- outputs --------------------------------------------------------------------------------
    def set_outputs(self, stack_id: str, outputs: list[OutputRecord]) -> None:
        self._write(set_outputs_statements(stack_id, outputs))

    def get_outputs(self, stack_id: str) -> list[OutputRecord]:
        rows = self._query("SELECT * FROM outputs WHERE stack_id = ? ORDER BY position", (stack_id,))
        return [OutputRecord(r["key"], _load(r["value"]), r["description"], bool(r["no_echo"])) for r in rows]

    # -- change sets ----------------------------------------------------------------------------
    @staticmethod
    def _change_set(row: Row) -> ChangeSetRecord:
        return ChangeSetRecord(**_decode_row(row, _JSON_CHANGE_SET_FIELDS))

    def insert_change_set(self, change_set: ChangeSetRecord) -> None:
        change_set.created_at = change_set.created_at or now_iso()
        columns, marks, values = _encode_record(change_set, _JSON_CHANGE_SET_FIELDS)
        try:
            self._exec(f"INSERT INTO change_sets ({columns}) VALUES ({marks})", values)
        except self.database.dialect.integrity_errors as exc:
            raise StackError(
                "ChangeSetExists",
                f"The ChangeSet ({change_set.name}) already exists in stack {change_set.stack_name}.",
            ) from exc

    def find_change_set(self, name_or_id: str, stack_id: str | None = None) -> ChangeSetRecord | None:
        if stack_id is None:
            rows = self._query("SELECT * FROM change_sets WHERE id = ?", (name_or_id,))
        else:
            rows = self._query(
                "SELECT * FROM change_sets WHERE stack_id = ? AND (id = ? OR name = ?)",
                (stack_id, name_or_id, name_or_id),
            )
        return self._change_set(rows[0]) if rows else None

    def list_change_sets(self, stack_id: str) -> list[ChangeSetRecord]:
        rows = self._query(
            "SELECT * FROM change_sets WHERE stack_id = ? ORDER BY created_at, rowid", (stack_id,)
        )
        return [self._change_set(r) for r in rows]

    def update_change_set(self, change_set_id: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        values = tuple(_dump(v) if k in _JSON_CHANGE_SET_FIELDS else v for k, v in fields.items())
        self._exec(f"UPDATE change_sets SET {sets} WHERE id = ?", (*values, change_set_id))

    def delete_change_set(self, change_set_id: str) -> None:
        self._exec("DELETE FROM change_sets WHERE id = ?", (change_set_id,))
