"""Where ROS callbacks are kept: handles and their signals, custom-resource requests and their
responses.

Why a Protocol with an implementation on the shared database layer (``ros-callbacks.db`` by
default, opened by ``fcbackend.store_factory``): signals must survive a backend restart (a function
may signal while the backend is being restarted by ``ros fc start``), and the service must not care
where they are kept. Every method is one transaction.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlstore import Database, Migration, Schema

SCHEMA = Schema(
    "ros_callbacks",
    (
        # IF NOT EXISTS: a database from before the migrations ledger has exactly these tables.
        Migration(
            1,
            "meta, handles, signals, requests",
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS handles (
                stack_id TEXT NOT NULL, logical_id TEXT NOT NULL, stack_name TEXT NOT NULL,
                region TEXT NOT NULL, mode TEXT NOT NULL, count INTEGER NOT NULL, expire INTEGER NOT NULL,
                created REAL NOT NULL, waiters INTEGER NOT NULL DEFAULT 0, finished TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (stack_id, logical_id));
            CREATE TABLE IF NOT EXISTS signals (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, stack_id TEXT NOT NULL, logical_id TEXT NOT NULL,
                unique_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, data TEXT NOT NULL,
                received REAL NOT NULL, UNIQUE (stack_id, logical_id, unique_id));
            CREATE TABLE IF NOT EXISTS requests (
                request_id TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, stack_id TEXT NOT NULL,
                logical_id TEXT NOT NULL, created REAL NOT NULL, response TEXT,
                refusals TEXT NOT NULL DEFAULT '[]');
            """,
        ),
    ),
)


@dataclass(frozen=True)
class Handle:
    stack_id: str
    logical_id: str
    stack_name: str
    region: str
    mode: str  # Full | Increment
    count: int  # -1: keep every signal on update
    expire: int  # epoch seconds the URL stops working
    waiters: int = 0  # WaitConditions waiting on it now
    finished: str = ""  # why signals are refused: the last WaitCondition finished ("" while open)


@dataclass(frozen=True)
class Signal:
    unique_id: str
    status: str  # SUCCESS | FAILURE | WARNING
    reason: str
    data: Any
    received: float
    seq: int = 0

    def as_api(self) -> dict[str, Any]:
        return {
            "UniqueId": self.unique_id,
            "Status": self.status,
            "Reason": self.reason,
            "Data": self.data,
            "Received": self.received,
            "Seq": self.seq,
        }


@dataclass(frozen=True)
class PendingRequest:
    request_id: str
    token: str
    stack_id: str
    logical_id: str
    created: float
    response: dict[str, Any] | None = None
    refusals: list[str] = field(default_factory=list)


class CallbackStore(Protocol):
    def secret(self) -> bytes:
        """This backend's key for signing handle URLs (made on first use, kept)."""
        ...

    def put_handle(self, handle: Handle) -> None:
        """Add or replace a handle (its signals stay)."""
        ...

    def get_handle(self, stack_id: str, logical_id: str) -> Handle | None: ...

    def delete_handle(self, stack_id: str, logical_id: str) -> None:
        """Forget a handle and its signals."""
        ...

    def set_waiting(self, stack_id: str, logical_id: str, delta: int, finished: str) -> None:
        """Count a WaitCondition starting (+1) or ending (-1, with why) its wait."""
        ...

    def put_signal(self, stack_id: str, logical_id: str, signal: Signal) -> Signal:
        """Record a signal; one with the same unique id replaces it. Returns it with its seq."""
        ...

    def signals(self, stack_id: str, logical_id: str) -> list[Signal]:
        """A handle's signals in the order they first arrived."""
        ...

    def delete_signals(self, stack_id: str, logical_id: str, unique_ids: list[str]) -> None: ...

    def add_request(self, request: PendingRequest) -> None: ...

    def request_by_id(self, request_id: str) -> PendingRequest | None: ...

    def request_by_token(self, token: str) -> PendingRequest | None: ...

    def set_response(self, request_id: str, response: dict[str, Any]) -> None: ...

    def add_refusal(self, request_id: str, message: str) -> None: ...

    def delete_request(self, request_id: str) -> None: ...

    def close(self) -> None: ...


class SqliteCallbackStore:
    """:class:`CallbackStore` in an SQLite database; thread-safe (the database's sessions
    serialise its users)."""

    _HANDLE_COLUMNS = (
        "stack_id, logical_id, stack_name, region, mode, count, expire, created, waiters, finished"
    )
    _REQUEST_COLUMNS = "request_id, token, stack_id, logical_id, created, response, refusals"

    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)
        dialect = database.dialect
        self._new_secret = dialect.insert_new("meta", ("key", "value"), ("key",))
        self._new_handle = dialect.insert_new(
            "handles", tuple(self._HANDLE_COLUMNS.split(", ")), ("stack_id", "logical_id")
        )
        self._put_signal = dialect.upsert(
            "signals",
            ("stack_id", "logical_id", "unique_id", "status", "reason", "data", "received"),
            ("stack_id", "logical_id", "unique_id"),
        )
        self._secret: bytes | None = None

    def close(self) -> None:
        self.database.close()

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.database.reading() as session:
            return [tuple(row) for row in session.execute(sql, args).fetchall()]

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        with self.database.transaction() as session:
            session.execute(sql, args)

    def secret(self) -> bytes:
        if self._secret is None:
            with self.database.transaction() as session:
                session.execute(self._new_secret, ("secret", secrets.token_hex(32)))
                row = session.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            self._secret = bytes.fromhex(row[0])
        return self._secret

    # -- handles --------------------------------------------------------------------------------
    def put_handle(self, handle: Handle) -> None:
        """A new handle starts with nobody waiting; an existing one keeps its waiters, its
        finished note and when it was created (only what the template says changes)."""
        with self.database.transaction() as session:
            key = (handle.stack_id, handle.logical_id)
            described = (handle.stack_name, handle.region, handle.mode, handle.count, handle.expire)
            added = session.execute(self._new_handle, (*key, *described, time.time(), 0, "")).rowcount
            if not added:
                session.execute(
                    "UPDATE handles SET stack_name = ?, region = ?, mode = ?, count = ?, expire = ?"
                    " WHERE stack_id = ? AND logical_id = ?",
                    (*described, *key),
                )

    def get_handle(self, stack_id: str, logical_id: str) -> Handle | None:
        rows = self._rows(
            "SELECT stack_id, logical_id, stack_name, region, mode, count, expire, waiters, finished"
            " FROM handles WHERE stack_id = ? AND logical_id = ?",
            (stack_id, logical_id),
        )
        return Handle(*rows[0]) if rows else None

    def delete_handle(self, stack_id: str, logical_id: str) -> None:
        with self.database.transaction() as session:
            for table in ("handles", "signals"):
                session.execute(
                    f"DELETE FROM {table} WHERE stack_id = ? AND logical_id = ?", (stack_id, logical_id)
                )

    def set_waiting(self, stack_id: str, logical_id: str, delta: int, finished: str) -> None:
        self._write(
            "UPDATE handles SET waiters = CASE WHEN waiters + ? > 0 THEN waiters + ? ELSE 0 END,"
            " finished = ? WHERE stack_id = ? AND logical_id = ?",
            (delta, delta, finished, stack_id, logical_id),
        )

    # -- signals --------------------------------------------------------------------------------
    def put_signal(self, stack_id: str, logical_id: str, signal: Signal) -> Signal:
        data = json.dumps(signal.data, ensure_ascii=False)
        with self.database.transaction() as session:
            session.execute(
                self._put_signal,
                (stack_id, logical_id, signal.unique_id, signal.status, signal.reason, data, signal.received),
            )
            row = session.execute(
                "SELECT seq FROM signals WHERE stack_id = ? AND logical_id = ? AND unique_id = ?",
                (stack_id, logical_id, signal.unique_id),
            ).fetchone()
        return Signal(signal.unique_id, signal.status, signal.reason, signal.data, signal.received, row[0])

    def signals(self, stack_id: str, logical_id: str) -> list[Signal]:
        rows = self._rows(
            "SELECT unique_id, status, reason, data, received, seq FROM signals"
            " WHERE stack_id = ? AND logical_id = ? ORDER BY seq",
            (stack_id, logical_id),
        )
        return [Signal(u, s, r, json.loads(d), t, q) for u, s, r, d, t, q in rows]

    def delete_signals(self, stack_id: str, logical_id: str, unique_ids: list[str]) -> None:
        with self.database.transaction() as session:
            session.executemany(
                "DELETE FROM signals WHERE stack_id = ? AND logical_id = ? AND unique_id = ?",
                [(stack_id, logical_id, u) for u in unique_ids],
            )

    # -- custom-resource requests ---------------------------------------------------------------
    @staticmethod
    def _request(row: tuple[Any, ...]) -> PendingRequest:
        request_id, token, stack_id, logical_id, created, response, refusals = row
        return PendingRequest(
            request_id,
            token,
            stack_id,
            logical_id,
            created,
            json.loads(response) if response else None,
            json.loads(refusals),
        )

    def add_request(self, request: PendingRequest) -> None:
        self._write(
            f"INSERT INTO requests ({self._REQUEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, '[]')",
            (request.request_id, request.token, request.stack_id, request.logical_id, request.created),
        )

    def request_by_id(self, request_id: str) -> PendingRequest | None:
        rows = self._rows(f"SELECT {self._REQUEST_COLUMNS} FROM requests WHERE request_id = ?", (request_id,))
        return self._request(rows[0]) if rows else None

    def request_by_token(self, token: str) -> PendingRequest | None:
        rows = self._rows(f"SELECT {self._REQUEST_COLUMNS} FROM requests WHERE token = ?", (token,))
        return self._request(rows[0]) if rows else None

    def set_response(self, request_id: str, response: dict[str, Any]) -> None:
        self._write(
            "UPDATE requests SET response = ? WHERE request_id = ?",
            (json.dumps(response, ensure_ascii=False), request_id),
        )

    def add_refusal(self, request_id: str, message: str) -> None:
        with self.database.transaction() as session:
            row = session.execute(
                "SELECT refusals FROM requests WHERE request_id = ?", (request_id,)
            ).fetchone()
            if row is None:
                return
            refusals = json.loads(row[0])[-9:] + [message]  # the last ten are enough to explain
            session.execute(
                "UPDATE requests SET refusals = ? WHERE request_id = ?", (json.dumps(refusals), request_id)
            )

    def delete_request(self, request_id: str) -> None:
        self._write("DELETE FROM requests WHERE request_id = ?", (request_id,))
