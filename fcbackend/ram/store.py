"""Where RAM keeps its account: users, keys, groups, roles, policies, attachments, STS sessions.

Why documents behind a small interface: RAM's objects are small JSON records echoed back by the
API, and the service layer is the only place that knows their fields. :class:`RamStore` is all
:class:`~fcbackend.ram.service.RamService` needs (get/insert/put/delete/list by kind and key, a
transaction, and purging expired STS sessions), so moving RAM onto another SQLite layer means
writing one class. Keys are lower-cased names (RAM names are unique without regard to case) or
ids; composite keys join their parts with ``/``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol


class RamStore(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Group reads and writes; everything inside commits together or not at all (nestable)."""
        ...

    def get(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def insert(self, kind: str, key: str, doc: dict[str, Any], *, expires: float | None = None) -> bool:
        """Add a document; False (nothing written) when ``key`` is taken."""
        ...

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        """Create or replace a document."""
        ...

    def delete(self, kind: str, key: str) -> bool: ...

    def list(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        """Documents of ``kind`` whose key starts with ``prefix``, in key order."""
        ...

    def purge_expired(self, kind: str, before: float) -> int:
        """Delete documents of ``kind`` inserted with an ``expires`` earlier than ``before``."""
        ...

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS ram_objects (
    kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, expires REAL,
    PRIMARY KEY (kind, key));
CREATE INDEX IF NOT EXISTS ram_objects_expiry ON ram_objects (kind, expires) WHERE expires IS NOT NULL;
"""


class SqliteRamStore:
    """:class:`RamStore` on one SQLite file (WAL), safe to share between threads."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM ram_objects WHERE kind=? AND key=?", (kind, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def insert(self, kind: str, key: str, doc: dict[str, Any], *, expires: float | None = None) -> bool:
        with self._lock:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO ram_objects (kind, key, data, expires) VALUES (?, ?, ?, ?)",
                (kind, key, json.dumps(doc), expires),
            )
            return cursor.rowcount == 1

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO ram_objects (kind, key, data) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                (kind, key, json.dumps(doc)),
            )

    def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            return (
                self._conn.execute("DELETE FROM ram_objects WHERE kind=? AND key=?", (kind, key)).rowcount > 0
            )

    def list(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        sql = "SELECT data FROM ram_objects WHERE kind=?"
        params: tuple[Any, ...] = (kind,)
        if prefix:
            sql += " AND substr(key, 1, ?) = ?"
            params += (len(prefix), prefix)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY key", params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def purge_expired(self, kind: str, before: float) -> int:
        with self._lock:
            return self._conn.execute(
                "DELETE FROM ram_objects WHERE kind=? AND expires IS NOT NULL AND expires < ?", (kind, before)
            ).rowcount
