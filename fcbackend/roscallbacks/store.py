"""Where ROS callbacks are kept: handles and their signals, custom-resource requests and their
responses.

Why a Protocol and one SQLite file of its own (``ros-callbacks.db``): signals must survive a
backend restart (a function may signal while the backend is being restarted by ``ros fc start``),
and the service must not care how they are kept — the store can move into a shared database
without the service changing. Every method is one transaction.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS handles (
    stack_id TEXT NOT NULL, logical_id TEXT NOT NULL, stack_name TEXT NOT NULL, region TEXT NOT NULL,
    mode TEXT NOT NULL, count INTEGER NOT NULL, expire INTEGER NOT NULL, created REAL NOT NULL,
    waiters INTEGER NOT NULL DEFAULT 0, finished TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (stack_id, logical_id));
CREATE TABLE IF NOT EXISTS signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, stack_id TEXT NOT NULL, logical_id TEXT NOT NULL,
    unique_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, data TEXT NOT NULL,
    received REAL NOT NULL, UNIQUE (stack_id, logical_id, unique_id));
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, stack_id TEXT NOT NULL,
    logical_id TEXT NOT NULL, created REAL NOT NULL, response TEXT, refusals TEXT NOT NULL DEFAULT '[]');
"""


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


class SqliteCallbackStore:
    """:class:`CallbackStore` on one SQLite file (WAL); thread-safe."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        self._secret: bytes | None = None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self._conn.execute(sql, args)

    def secret(self) -> bytes:
        if self._secret is None:
            with self._lock:
                self._conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('secret', ?)", (secrets.token_hex(32),)
                )
                row = self._conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
                self._secret = bytes.fromhex(row[0])
        return self._secret

    # -- handles --------------------------------------------------------------------------------
    def put_handle(self, handle: Handle) -> None:
        self._write(
            "INSERT INTO handles (stack_id, logical_id, stack_name, region, mode, count, expire, created,"
            " waiters, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '') ON CONFLICT (stack_id, logical_id)"
            " DO UPDATE SET stack_name = excluded.stack_name, region = excluded.region,"
            " mode = excluded.mode, count = excluded.count, expire = excluded.expire",
            (
                handle.stack_id,
                handle.logical_id,
                handle.stack_name,
                handle.region,
                handle.mode,
                handle.count,
                handle.expire,
                time.time(),
            ),
        )

    def get_handle(self, stack_id: str, logical_id: str) -> Handle | None:
        rows = self._rows(
            "SELECT stack_id, logical_id, stack_name, region, mode, count, expire, waiters, finished"
            " FROM handles WHERE stack_id = ? AND logical_id = ?",
            (stack_id, logical_id),
        )
        return Handle(*rows[0]) if rows else None

    def delete_handle(self, stack_id: str, logical_id: str) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for table in ("handles", "signals"):
                    self._conn.execute(
                        f"DELETE FROM {table} WHERE stack_id = ? AND logical_id = ?", (stack_id, logical_id)
                    )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def set_waiting(self, stack_id: str, logical_id: str, delta: int, finished: str) -> None:
        self._write(
            "UPDATE handles SET waiters = MAX(waiters + ?, 0), finished = ?"
            " WHERE stack_id = ? AND logical_id = ?",
            (delta, finished, stack_id, logical_id),
        )

    # -- signals --------------------------------------------------------------------------------
    def put_signal(self, stack_id: str, logical_id: str, signal: Signal) -> Signal:
        data = json.dumps(signal.data, ensure_ascii=False)
        with self._lock:
            self._conn.execute(
                "INSERT INTO signals (stack_id, logical_id, unique_id, status, reason, data, received)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (stack_id, logical_id, unique_id) DO UPDATE SET"
                " status = excluded.status, reason = excluded.reason, data = excluded.data,"
                " received = excluded.received",
                (stack_id, logical_id, signal.unique_id, signal.status, signal.reason, data, signal.received),
            )
            row = self._conn.execute(
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
        with self._lock:
            self._conn.executemany(
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

    _REQUEST_COLUMNS = "request_id, token, stack_id, logical_id, created, response, refusals"

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
        with self._lock:
            row = self._conn.execute(
                "SELECT refusals FROM requests WHERE request_id = ?", (request_id,)
            ).fetchone()
            if row is None:
                return
            refusals = json.loads(row[0])[-9:] + [message]  # the last ten are enough to explain
            self._conn.execute(
                "UPDATE requests SET refusals = ? WHERE request_id = ?", (json.dumps(refusals), request_id)
            )

    def delete_request(self, request_id: str) -> None:
        self._write("DELETE FROM requests WHERE request_id = ?", (request_id,))
