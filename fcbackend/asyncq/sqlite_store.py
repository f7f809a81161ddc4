"""The durable queue of async invocations: SQLite in WAL mode with ``synchronous=FULL``.

Why SQLite: an accepted async invocation (HTTP 202) must survive a crash of the backend — FC's
guarantee is at-least-once — so the row is fsync'd before the caller hears "accepted": inserts
commit with ``synchronous=FULL`` and :class:`AsyncStore.insert_many` commits many submissions in
one transaction so a burst of concurrent callers shares a single fsync (group commit).

State changes after that (Running, Retrying, Succeeded ...) commit with ``synchronous=NORMAL``:
in WAL mode such a commit survives a crash of the process (kill -9) and can only be lost to a
power cut, and losing one then merely re-runs an invocation — the at-least-once promise holds —
while saving an fsync per state change on the hot path.

All methods are synchronous and thread-safe (one connection behind a lock); the dispatcher calls
them from worker threads.
"""

from __future__ import annotations

import builtins  # a method named like a builtin shadows it in the class body
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
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

_SCHEMA = """
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
"""

_COLUMNS = (
    "id, request_id, service, function, qualifier, payload, http, stateful, status, attempts, "
    "throttles, created, next_at, max_retry_attempts, max_event_age_s, on_success, on_failure, "
    "started, ended, error_message, return_payload, instance_id, duration_ms, destination_status, "
    "version_id"
)
_WAITING = tuple(str(s) for s in WAITING)


class AsyncStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._synchronous = "FULL"
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes -------------------------------------------------------------------------------

    def insert_many(self, submissions: Sequence[AsyncSubmission], now: float) -> list[bool]:
        """Store submissions durably in one transaction; per item, False when the id existed."""
        created: list[bool] = []
        with self._lock, self._transaction(durable=True):
            for sub in submissions:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO async_events (id, request_id, service, function, qualifier, "
                    "payload, http, stateful, status, created, next_at, max_retry_attempts, "
                    "max_event_age_s, on_success, on_failure) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    self._add_event(sub.invocation_id, TaskStatus.ENQUEUED, now, "")
        return created

    def claim_due(self, now: float, limit: int) -> tuple[list[AsyncEvent], list[AsyncEvent]]:
        """Mark up to ``limit`` due events Running and return (to run, expired meanwhile)."""
        to_run: list[AsyncEvent] = []
        expired: list[AsyncEvent] = []
        with self._lock, self._transaction():
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM async_events WHERE status IN (?, ?) AND next_at <= ? "
                "ORDER BY next_at LIMIT ?",
                (*_WAITING, now, limit),
            ).fetchall()
            for row in rows:
                event = _row_to_event(row)
                if now >= event.created + event.max_event_age_s:
                    self._update(
                        event.invocation_id,
                        status=str(TaskStatus.EXPIRED),
                        ended=now,
                        error_message=f"event older than maxAsyncEventAgeInSeconds "
                        f"({int(event.max_event_age_s)} s)",
                    )
                    self._maybe_event(event, TaskStatus.EXPIRED, now, "message expired")
                    event.status, event.ended = TaskStatus.EXPIRED, now
                    expired.append(event)
                    continue
                event.attempts += 1
                event.started = event.started if event.started is not None else now
                event.status = TaskStatus.RUNNING
                self._update(
                    event.invocation_id,
                    status=str(TaskStatus.RUNNING),
                    attempts=event.attempts,
                    started=event.started,
                )
                self._maybe_event(event, TaskStatus.RUNNING, now, f"attempt {event.attempts}")
                to_run.append(event)
        return to_run, expired

    def finish(self, event: AsyncEvent, status: TaskStatus, now: float, **fields: Any) -> bool:
        """Record a final state unless the event already finished (a stop raced us)."""
        with self._lock, self._transaction():
            current = self._status(event.invocation_id)
            if current is None or current in FINISHED:
                return False
            if current == TaskStatus.STOPPING:  # a stop was requested meanwhile: it wins
                status = TaskStatus.STOPPED
                fields["error_message"] = "stopped by user"
            self._update(event.invocation_id, status=str(status), ended=now, **fields)
            self._maybe_event(event, status, now, fields.get("error_message") or "")
        return True

    def retry_later(self, event: AsyncEvent, next_at: float, now: float, **fields: Any) -> bool:
        with self._lock, self._transaction():
            current = self._status(event.invocation_id)
            if current == TaskStatus.STOPPING:
                self._update(
                    event.invocation_id,
                    status=str(TaskStatus.STOPPED),
                    ended=now,
                    error_message="stopped by user",
                )
                self._maybe_event(event, TaskStatus.STOPPED, now, "stopped by user")
                return False
            if current != TaskStatus.RUNNING:
                return False
            self._update(event.invocation_id, status=str(TaskStatus.RETRYING), next_at=next_at, **fields)
            self._maybe_event(event, TaskStatus.RETRYING, now, fields.get("error_message") or "")
        return True

    def request_stop(self, invocation_id: str, now: float) -> TaskStatus | None:
        """Stop a task: waiting ones stop at once, running ones go to Stopping. Returns the
        status before the call (None if unknown)."""
        with self._lock, self._transaction():
            current = self._status(invocation_id)
            if current is None or current in FINISHED:
                return current
            stateful = bool(
                self._db.execute("SELECT stateful FROM async_events WHERE id=?", (invocation_id,)).fetchone()[
                    0
                ]
            )
            if current in WAITING:
                self._update(
                    invocation_id, status=str(TaskStatus.STOPPED), ended=now, error_message="stopped by user"
                )
                new = TaskStatus.STOPPED
            else:
                self._update(invocation_id, status=str(TaskStatus.STOPPING))
                new = TaskStatus.STOPPING
            if stateful:
                self._add_event(invocation_id, new, now, "stop requested")
        return current

    def recover(self, now: float) -> int:
        """After a restart: events that were Running are due again (at-least-once); Stopping
        ones are Stopped. Returns how many were re-queued."""
        with self._lock, self._transaction():
            rows = self._db.execute(
                "SELECT id, stateful FROM async_events WHERE status=?", (str(TaskStatus.RUNNING),)
            ).fetchall()
            for invocation_id, stateful in rows:
                self._update(invocation_id, status=str(TaskStatus.ENQUEUED), next_at=now)
                if stateful:
                    self._add_event(invocation_id, TaskStatus.ENQUEUED, now, "re-queued after restart")
            self._db.execute(
                "UPDATE async_events SET status=?, ended=? WHERE status=?",
                (str(TaskStatus.STOPPED), now, str(TaskStatus.STOPPING)),
            )
        return len(rows)

    def record_delivery(
        self, invocation_id: str, condition: str, destination: str, payload: dict[str, Any], now: float
    ) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO async_deliveries (id, condition, destination, payload, ts) VALUES (?,?,?,?,?)",
                (invocation_id, condition, destination, json.dumps(payload), now),
            )

    def set_destination_status(self, invocation_id: str, status: str) -> None:
        with self._lock, self._transaction():
            self._update(invocation_id, destination_status=status)

    # -- reads --------------------------------------------------------------------------------

    def get(self, invocation_id: str) -> AsyncEvent | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM async_events WHERE id=?", (invocation_id,)
            ).fetchone()
            if row is None:
                return None
            event = _row_to_event(row)
            event.events = self._events_of(event.invocation_id)
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
    ) -> list[AsyncEvent]:
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
        with self._lock:
            rows = self._db.execute(sql, (*args, limit, offset)).fetchall()
            events = [_row_to_event(r) for r in rows]
            for event in events:
                if event.stateful:
                    event.events = self._events_of(event.invocation_id)
        return events

    def stateful_functions(self) -> builtins.list[tuple[str, str, str]]:
        """Distinct ``(service, function, qualifier)`` that hold task records (task listing API)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT service, function, qualifier FROM async_events WHERE stateful=1"
            ).fetchall()
        return [(s, f, q) for s, f, q in rows]

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT min(next_at) FROM async_events WHERE status IN (?, ?)", _WAITING
            ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, count(*) FROM async_events GROUP BY status").fetchall()
        return {status: n for status, n in rows}

    def deliveries(self, invocation_id: str | None = None) -> builtins.list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, condition, destination, payload, ts FROM async_deliveries "
                + ("WHERE id=? " if invocation_id else "")
                + "ORDER BY seq",
                (invocation_id,) if invocation_id else (),
            ).fetchall()
        return [
            {"id": r[0], "condition": r[1], "destination": r[2], "payload": json.loads(r[3]), "ts": r[4]}
            for r in rows
        ]

    # -- helpers ------------------------------------------------------------------------------

    def _transaction(self, durable: bool = False) -> _Transaction:
        level = "FULL" if durable else "NORMAL"
        if level != self._synchronous:  # cannot change inside a transaction; we are outside
            self._db.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level
        return _Transaction(self._db)

    def _status(self, invocation_id: str) -> TaskStatus | None:
        row = self._db.execute("SELECT status FROM async_events WHERE id=?", (invocation_id,)).fetchone()
        return TaskStatus(row[0]) if row else None

    def _update(self, invocation_id: str, **fields: Any) -> None:
        names = ", ".join(f"{k}=?" for k in fields)
        self._db.execute(f"UPDATE async_events SET {names} WHERE id=?", (*fields.values(), invocation_id))

    def _maybe_event(self, event: AsyncEvent, status: TaskStatus, now: float, detail: str) -> None:
        if event.stateful:
            self._add_event(event.invocation_id, status, now, detail)

    def _add_event(self, invocation_id: str, status: TaskStatus, now: float, detail: str) -> None:
        self._db.execute(
            "INSERT INTO async_task_events (id, status, ts, detail) VALUES (?,?,?,?)",
            (invocation_id, str(status), now, detail),
        )

    def _events_of(self, invocation_id: str) -> builtins.list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT seq, status, ts, detail FROM async_task_events WHERE id=? ORDER BY seq", (invocation_id,)
        ).fetchall()
        return [
            {"eventId": i + 1, "status": status, "timestamp": int(round(ts * 1000)), "eventDetail": detail}
            for i, (_, status, ts, detail) in enumerate(rows)
        ]


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (or ROLLBACK on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


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
