""":class:`~fcbackend.asyncq.store.AsyncQueueStore` in an SQLite database (``async.db``).

Durability: submissions commit in a ``durable`` transaction (an fsync before the caller hears
"accepted"), and :meth:`SqliteAsyncQueueStore.insert_many` commits many submissions in one
transaction so a burst of concurrent callers shares a single fsync (group commit). State changes
after that (Running, Retrying, Succeeded ...) commit crash-safe without an fsync: in WAL mode such
a commit survives a kill of the process and can only be lost to a power cut, and losing one then
merely re-runs an invocation (the at-least-once promise holds) while saving an fsync per state
change on the hot path.

All methods are synchronous and thread-safe; the dispatcher calls them from worker threads.
Claims need no row locks: a write transaction holds the whole SQLite database.
"""

from __future__ import annotations

import builtins  # a method named like a builtin shadows it in the class body
import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from fcbackend.asyncq.records import (
    FINISHED,
    WAITING,
    AsyncEvent,
    AsyncSubmission,
    TaskStatus,
    http_from_json,
    http_to_json,
)
from sqlstore import Database, Migration, Schema, Session

SCHEMA = Schema(
    "fc.async_queue",
    (
        # IF NOT EXISTS: a database from before the migrations ledger has exactly these tables.
        Migration(
            1,
            "events, task events, destination deliveries",
            """
            CREATE TABLE IF NOT EXISTS async_events (
                id TEXT PRIMARY KEY,
                request_id TEXT NOT NULL,
                service TEXT NOT NULL,
                function TEXT NOT NULL,
                qualifier TEXT NOT NULL,
                payload BLOB NOT NULL,
                http TEXT,
                stateful INTEGER NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                throttles INTEGER NOT NULL DEFAULT 0,
                created REAL NOT NULL,
                next_at REAL NOT NULL,
                max_retry_attempts INTEGER NOT NULL,
                max_event_age_s REAL NOT NULL,
                on_success TEXT,
                on_failure TEXT,
                started REAL,
                ended REAL,
                error_message TEXT,
                return_payload BLOB,
                instance_id TEXT,
                duration_ms REAL,
                destination_status TEXT,
                version_id TEXT
            );
            CREATE INDEX IF NOT EXISTS async_events_due ON async_events (status, next_at);
            CREATE INDEX IF NOT EXISTS async_events_fn ON async_events (service, function, created);
            CREATE TABLE IF NOT EXISTS async_task_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL,
                status TEXT NOT NULL,
                ts REAL NOT NULL,
                detail TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX IF NOT EXISTS async_task_events_id ON async_task_events (id, seq);
            CREATE TABLE IF NOT EXISTS async_deliveries (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL,
                condition TEXT NOT NULL,
                destination TEXT NOT NULL,
                payload TEXT NOT NULL,
                ts REAL NOT NULL
            );
            """,
        ),
    ),
)

_COLUMNS = (
    "id, request_id, service, function, qualifier, payload, http, stateful, status, attempts, "
    "throttles, created, next_at, max_retry_attempts, max_event_age_s, on_success, on_failure, "
    "started, ended, error_message, return_payload, instance_id, duration_ms, destination_status, "
    "version_id"
)
_WAITING = tuple(str(s) for s in WAITING)
_INTAKE_COLUMNS = (
    "id",
    "request_id",
    "service",
    "function",
    "qualifier",
    "payload",
    "http",
    "stateful",
    "status",
    "created",
    "next_at",
    "max_retry_attempts",
    "max_event_age_s",
    "on_success",
    "on_failure",
)


class SqliteAsyncQueueStore:
    schema = SCHEMA

    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(self.schema)
        self._insert = database.dialect.insert_new("async_events", _INTAKE_COLUMNS, ("id",))
        self._claim = (
            f"SELECT {_COLUMNS} FROM async_events WHERE status IN (?, ?) AND next_at <= ? "
            f"ORDER BY next_at LIMIT ? {database.dialect.claim_clause}"
        )

    def close(self) -> None:
        self.database.close()

    def transaction(self) -> AbstractContextManager[object]:
        return self.database.transaction()

    # -- writes -------------------------------------------------------------------------------

    def insert_many(self, submissions: Sequence[AsyncSubmission], now: float) -> list[bool]:
        """Store submissions durably in one transaction; per item, False when the id existed."""
        created: list[bool] = []
        with self.database.transaction(durable=True) as db:
            for sub in submissions:
                cursor = db.execute(
                    self._insert,
                    (
                        sub.invocation_id,
                        sub.request_id,
                        sub.service,
                        sub.function,
                        sub.qualifier,
                        sub.payload,
                        http_to_json(sub.http),
                        int(sub.stateful),
                        str(TaskStatus.ENQUEUED),
                        now,
                        now + max(0.0, sub.delay_s),
                        sub.max_retry_attempts,
                        sub.max_event_age_s,
                        sub.on_success,
                        sub.on_failure,
                    ),
                )
                fresh = cursor.rowcount == 1
                created.append(fresh)
                if fresh and sub.stateful:
                    _add_event(db, sub.invocation_id, TaskStatus.ENQUEUED, now, "")
        return created

    def claim_due(self, now: float, limit: int) -> tuple[list[AsyncEvent], list[AsyncEvent]]:
        """Mark up to ``limit`` due events Running and return (to run, expired meanwhile)."""
        to_run: list[AsyncEvent] = []
        expired: list[AsyncEvent] = []
        with self.database.transaction() as db:
            rows = db.execute(self._claim, (*_WAITING, now, limit)).fetchall()
            for row in rows:
                event = _row_to_event(row)
                if now >= event.created + event.max_event_age_s:
                    _update(
                        db,
                        event.invocation_id,
                        status=str(TaskStatus.EXPIRED),
                        ended=now,
                        error_message=f"event older than maxAsyncEventAgeInSeconds "
                        f"({int(event.max_event_age_s)} s)",
                    )
                    _maybe_event(db, event, TaskStatus.EXPIRED, now, "message expired")
                    event.status, event.ended = TaskStatus.EXPIRED, now
                    expired.append(event)
                    continue
                event.attempts += 1
                event.started = event.started if event.started is not None else now
                event.status = TaskStatus.RUNNING
                _update(
                    db,
                    event.invocation_id,
                    status=str(TaskStatus.RUNNING),
                    attempts=event.attempts,
                    started=event.started,
                )
                _maybe_event(db, event, TaskStatus.RUNNING, now, f"attempt {event.attempts}")
                to_run.append(event)
        return to_run, expired

    def finish(self, event: AsyncEvent, status: TaskStatus, now: float, **fields: Any) -> bool:
        """Record a final state unless the event already finished (a stop raced us)."""
        with self.database.transaction() as db:
            current = _status(db, event.invocation_id)
            if current is None or current in FINISHED:
                return False
            if current == TaskStatus.STOPPING:  # a stop was requested meanwhile: it wins
                status = TaskStatus.STOPPED
                fields["error_message"] = "stopped by user"
            _update(db, event.invocation_id, status=str(status), ended=now, **fields)
            _maybe_event(db, event, status, now, fields.get("error_message") or "")
        return True

    def retry_later(self, event: AsyncEvent, next_at: float, now: float, **fields: Any) -> bool:
        with self.database.transaction() as db:
            current = _status(db, event.invocation_id)
            if current == TaskStatus.STOPPING:
                _update(
                    db,
                    event.invocation_id,
                    status=str(TaskStatus.STOPPED),
                    ended=now,
                    error_message="stopped by user",
                )
                _maybe_event(db, event, TaskStatus.STOPPED, now, "stopped by user")
                return False
            if current != TaskStatus.RUNNING:
                return False
            _update(db, event.invocation_id, status=str(TaskStatus.RETRYING), next_at=next_at, **fields)
            _maybe_event(db, event, TaskStatus.RETRYING, now, fields.get("error_message") or "")
        return True

    def request_stop(self, invocation_id: str, now: float) -> TaskStatus | None:
        """Stop a task: waiting ones stop at once, running ones go to Stopping. Returns the
        status before the call (None if unknown)."""
        with self.database.transaction() as db:
            current = _status(db, invocation_id)
            if current is None or current in FINISHED:
                return current
            stateful = bool(
                db.execute("SELECT stateful FROM async_events WHERE id=?", (invocation_id,)).fetchone()[0]
            )
            if current in WAITING:
                _update(
                    db,
                    invocation_id,
                    status=str(TaskStatus.STOPPED),
                    ended=now,
                    error_message="stopped by user",
                )
                new = TaskStatus.STOPPED
            else:
                _update(db, invocation_id, status=str(TaskStatus.STOPPING))
                new = TaskStatus.STOPPING
            if stateful:
                _add_event(db, invocation_id, new, now, "stop requested")
        return current

    def recover(self, now: float) -> int:
        """After a restart: events that were Running are due again (at-least-once); Stopping
        ones are Stopped. Returns how many were re-queued."""
        with self.database.transaction() as db:
            rows = db.execute(
                "SELECT id, stateful FROM async_events WHERE status=?", (str(TaskStatus.RUNNING),)
            ).fetchall()
            for invocation_id, stateful in rows:
                _update(db, invocation_id, status=str(TaskStatus.ENQUEUED), next_at=now)
                if stateful:
                    _add_event(db, invocation_id, TaskStatus.ENQUEUED, now, "re-queued after restart")
            db.execute(
                "UPDATE async_events SET status=?, ended=? WHERE status=?",
                (str(TaskStatus.STOPPED), now, str(TaskStatus.STOPPING)),
            )
        return len(rows)

    def record_delivery(
        self, invocation_id: str, condition: str, destination: str, payload: dict[str, Any], now: float
    ) -> None:
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO async_deliveries (id, condition, destination, payload, ts) VALUES (?,?,?,?,?)",
                (invocation_id, condition, destination, json.dumps(payload), now),
            )

    def set_destination_status(self, invocation_id: str, status: str) -> None:
        with self.database.transaction() as db:
            _update(db, invocation_id, destination_status=status)

    # -- reads --------------------------------------------------------------------------------

    def get(self, invocation_id: str) -> AsyncEvent | None:
        with self.database.reading() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM async_events WHERE id=?", (invocation_id,)).fetchone()
            if row is None:
                return None
            event = _row_to_event(row)
            event.events = _events_of(db, event.invocation_id)
        return event

    def list(
        self,
        service: str | None = None,
        function: str | None = None,
        *,
        status: str | None = None,
        prefix: str | None = None,
        stateful_only: bool = False,
        started_begin: float | None = None,
        started_end: float | None = None,
        limit: int = 100,
        offset: int = 0,
        descending: bool = False,
    ) -> builtins.list[AsyncEvent]:
        where: builtins.list[str] = ["1=1"]
        args: builtins.list[Any] = []
        for column, value in (("service", service), ("function", function), ("status", status)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if prefix:
            where.append("substr(id, 1, ?)=?")
            args += [len(prefix), prefix]
        if stateful_only:
            where.append("stateful=1")
        if started_begin is not None:
            where.append("created>=?")
            args.append(started_begin)
        if started_end is not None:
            where.append("created<=?")
            args.append(started_end)
        order = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {_COLUMNS} FROM async_events WHERE {' AND '.join(where)} "
            f"ORDER BY created {order}, id {order} LIMIT ? OFFSET ?"
        )
        with self.database.reading() as db:
            rows = db.execute(sql, (*args, limit, offset)).fetchall()
            events = [_row_to_event(r) for r in rows]
            for event in events:
                if event.stateful:
                    event.events = _events_of(db, event.invocation_id)
        return events

    def stateful_functions(self) -> builtins.list[tuple[str, str, str]]:
        """Distinct ``(service, function, qualifier)`` that hold task records (task listing API)."""
        with self.database.reading() as db:
            rows = db.execute(
                "SELECT DISTINCT service, function, qualifier FROM async_events WHERE stateful=1"
            ).fetchall()
        return [(s, f, q) for s, f, q in rows]

    def next_due(self) -> float | None:
        with self.database.reading() as db:
            row = db.execute(
                "SELECT min(next_at) FROM async_events WHERE status IN (?, ?)", _WAITING
            ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        with self.database.reading() as db:
            rows = db.execute("SELECT status, count(*) FROM async_events GROUP BY status").fetchall()
        return {status: n for status, n in rows}

    def deliveries(self, invocation_id: str | None = None) -> builtins.list[dict[str, Any]]:
        with self.database.reading() as db:
            rows = db.execute(
                "SELECT id, condition, destination, payload, ts FROM async_deliveries "
                + ("WHERE id=? " if invocation_id else "")
                + "ORDER BY seq",
                (invocation_id,) if invocation_id else (),
            ).fetchall()
        return [
            {"id": r[0], "condition": r[1], "destination": r[2], "payload": json.loads(r[3]), "ts": r[4]}
            for r in rows
        ]


def _status(db: Session, invocation_id: str) -> TaskStatus | None:
    row = db.execute("SELECT status FROM async_events WHERE id=?", (invocation_id,)).fetchone()
    return TaskStatus(row[0]) if row else None


def _update(db: Session, invocation_id: str, **fields: Any) -> None:
    names = ", ".join(f"{k}=?" for k in fields)
    db.execute(f"UPDATE async_events SET {names} WHERE id=?", (*fields.values(), invocation_id))


def _maybe_event(db: Session, event: AsyncEvent, status: TaskStatus, now: float, detail: str) -> None:
    if event.stateful:
        _add_event(db, event.invocation_id, status, now, detail)


def _add_event(db: Session, invocation_id: str, status: TaskStatus, now: float, detail: str) -> None:
    db.execute(
        "INSERT INTO async_task_events (id, status, ts, detail) VALUES (?,?,?,?)",
        (invocation_id, str(status), now, detail),
    )


def _events_of(db: Session, invocation_id: str) -> builtins.list[dict[str, Any]]:
    rows = db.execute(
        "SELECT seq, status, ts, detail FROM async_task_events WHERE id=? ORDER BY seq", (invocation_id,)
    ).fetchall()
    return [
        {"eventId": i + 1, "status": status, "timestamp": int(round(ts * 1000)), "eventDetail": detail}
        for i, (_, status, ts, detail) in enumerate(rows)
    ]


def _row_to_event(row: Iterable[Any]) -> AsyncEvent:
    (
        invocation_id,
        request_id,
        service,
        function,
        qualifier,
        payload,
        http,
        stateful,
        status,
        attempts,
        throttles,
        created,
        next_at,
        max_retry,
        max_age,
        on_success,
        on_failure,
        started,
        ended,
        error_message,
        return_payload,
        instance_id,
        duration_ms,
        destination_status,
        version_id,
    ) = row
    return AsyncEvent(
        invocation_id=invocation_id,
        request_id=request_id,
        service=service,
        function=function,
        qualifier=qualifier,
        payload=bytes(payload),
        http=http_from_json(http),
        stateful=bool(stateful),
        status=TaskStatus(status),
        attempts=attempts,
        throttles=throttles,
        created=created,
        next_at=next_at,
        max_retry_attempts=max_retry,
        max_event_age_s=max_age,
        on_success=on_success,
        on_failure=on_failure,
        started=started,
        ended=ended,
        error_message=error_message,
        return_payload=bytes(return_payload) if return_payload is not None else None,
        instance_id=instance_id,
        duration_ms=duration_ms,
        destination_status=destination_status,
        version_id=version_id,
    )
