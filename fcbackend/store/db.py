"""The backend's metadata store: one SQLite database (WAL) of JSON documents.

Why documents rather than a table per FC object: FC objects are JSON with many optional, nested
fields that the API echoes back; storing the API shape as-is keeps the API layer the only place
that knows it. Every object lives under ``(kind, scope, name)`` — e.g. ``("function", "svc",
"fn")``, ``("trigger", "svc/fn", "t1")`` — with a ``sort_key`` that gives FC's listing order
(names, or zero-padded numbers for versions). Counters hand out ids that are never reused.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, sort_key TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (kind, scope, name));
CREATE INDEX IF NOT EXISTS objects_by_sort ON objects (kind, scope, sort_key);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY, checksum TEXT NOT NULL, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS invocation_log (
    request_id TEXT NOT NULL, time REAL NOT NULL, service TEXT NOT NULL, function TEXT NOT NULL,
    qualifier TEXT, version TEXT, instance_id TEXT, cold INTEGER, init_ms REAL, duration_ms REAL,
    memory_mb REAL, status INTEGER, error TEXT);
CREATE INDEX IF NOT EXISTS invocation_log_by_function ON invocation_log (service, function);
"""
# Why ``invocation_log`` replaced ``invocations`` (request id as TEXT PRIMARY KEY plus two indexes):
# the recorder writes thousands of rows a second, and every row cost four B-tree inserts, one at
# a random place (the request id). Now a row is an append to the rowid table (rowid order is
# recording order, i.e. newest last) plus one insert into the per-function index, whose implicit
# rowid suffix also serves "newest first" per function. A re-recorded request id (a retried async
# call) is de-duplicated when read, newest wins — what ``INSERT OR REPLACE`` used to do on write.
_MIGRATE_INVOCATIONS = """
INSERT INTO invocation_log SELECT request_id, time, service, function, qualifier, version, instance_id,
    cold, init_ms, duration_ms, memory_mb, status, error FROM invocations ORDER BY time;
DROP TABLE invocations;
"""


class MetadataStore:
    """Thread-safe access to ``fc.db``. Writes inside :meth:`transaction` are atomic."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        if self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='invocations'"
        ).fetchall():
            self._conn.executescript("BEGIN IMMEDIATE;" + _MIGRATE_INVOCATIONS + "COMMIT;")
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[MetadataStore]:
        """Hold the store for a read-check-write sequence; commits at the outermost exit."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def execute_in_transaction(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """One writing statement in its own transaction (rolled back if it fails)."""
        with self.transaction():
            self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.transaction():
            self._conn.executemany(sql, rows)

    # -- documents -------------------------------------------------------------------------

    def get(self, kind: str, scope: str, name: str) -> dict[str, Any] | None:
        rows = self.execute(
            "SELECT data FROM objects WHERE kind=? AND scope=? AND name=?", (kind, scope, name)
        )
        return json.loads(rows[0][0]) if rows else None

    def insert(
        self, kind: str, scope: str, name: str, data: dict[str, Any], sort_key: str | None = None
    ) -> bool:
        """Add a new document; False (and nothing written) when the name is taken."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO objects (kind, scope, name, sort_key, data) VALUES (?,?,?,?,?)",
                (kind, scope, name, sort_key or name, json.dumps(data)),
            )
            return cur.rowcount == 1

    def put(
        self, kind: str, scope: str, name: str, data: dict[str, Any], sort_key: str | None = None
    ) -> None:
        """Create or replace a document."""
        self.execute(
            "INSERT OR REPLACE INTO objects (kind, scope, name, sort_key, data) VALUES (?,?,?,?,?)",
            (kind, scope, name, sort_key or name, json.dumps(data)),
        )

    def delete(self, kind: str, scope: str, name: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM objects WHERE kind=? AND scope=? AND name=?", (kind, scope, name)
            )
            return cur.rowcount > 0

    def delete_scope(self, kind: str, scope: str) -> int:
        with self._lock:
            return self._conn.execute("DELETE FROM objects WHERE kind=? AND scope=?", (kind, scope)).rowcount

    def count(self, kind: str, scope: str) -> int:
        return int(self.execute("SELECT COUNT(*) FROM objects WHERE kind=? AND scope=?", (kind, scope))[0][0])

    def list(
        self,
        kind: str,
        scope: str | None,
        *,
        prefix: str | None = None,
        start: str | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """``(scope, name, data)`` rows in sort order; ``start`` is an inclusive sort-key bound
        (upper bound when ``descending``); ``scope=None`` lists across scopes."""
        sql = "SELECT scope, name, data FROM objects WHERE kind=?"
        params: list[Any] = [kind]
        if scope is not None:
            sql += " AND scope=?"
            params.append(scope)
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            params += [len(prefix), prefix]
        if start is not None:
            sql += " AND sort_key <= ?" if descending else " AND sort_key >= ?"
            params.append(start)
        sql += " ORDER BY scope, sort_key DESC" if descending else " ORDER BY scope, sort_key"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [(s, n, json.loads(d)) for s, n, d in self.execute(sql, tuple(params))]

    def next_id(self, key: str) -> int:
        """The next value of a counter that never goes back (version ids, layer versions)."""
        with self.transaction():
            rows = self._conn.execute("SELECT value FROM counters WHERE key=?", (key,)).fetchall()
            value = (rows[0][0] if rows else 0) + 1
            self._conn.execute("INSERT OR REPLACE INTO counters (key, value) VALUES (?, ?)", (key, value))
            return value
