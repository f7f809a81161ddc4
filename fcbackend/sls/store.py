"""Where the SLS twin keeps its projects, logstores, indexes, logs and records.

Why an interface (:class:`SlsStore`) with one SQLite implementation: the service must not care
where rows live (the backend's stores are to move onto one shared SQLite layer), and every
operation the service needs is here, each one atomic. Documents (a project, a logstore, an index,
a machine group) are stored as the API's JSON; logs are rows with their time indexed, their
fields as a JSON array of ``[key, value]`` pairs (order and repeated keys kept), and their text
lower-cased once for full-text search.

Deleting a project deletes its logstores, indexes, logs and records in the same transaction;
deleting a logstore its index and logs. ``<state dir>/sls.db``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logstores (
    project TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (project, name));
CREATE TABLE IF NOT EXISTS indexes (
    project TEXT NOT NULL, logstore TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (project, logstore));
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, project TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (kind, project, name));
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY, project TEXT NOT NULL, logstore TEXT NOT NULL, time INTEGER NOT NULL,
    time_ns INTEGER NOT NULL, topic TEXT NOT NULL, source TEXT NOT NULL, fields TEXT NOT NULL,
    tags TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logs_by_time ON logs (project, logstore, time);
"""


@dataclass(frozen=True)
class LogEntry:
    """One log as SLS keeps it: its time (seconds and nanosecond part), the group's topic, source
    and tags, and its ``(key, value)`` fields in the order they were written."""

    time: int
    fields: tuple[tuple[str, str], ...]
    topic: str = ""
    source: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    time_ns: int = 0

    def searchable_text(self) -> str:
        """Everything full-text search looks at, lower-cased: keys, values, topic, source, tags."""
        parts = [self.topic, self.source]
        for key, value in self.fields + self.tags:
            parts += [key, value]
        return "\n".join(parts).lower()


@dataclass(frozen=True)
class StoredLog:
    """A log read back, with its row id (insertion order breaks ties between equal times)."""

    id: int
    entry: LogEntry
    text: str


class SlsStore(Protocol):
    """Every operation the service needs; each is atomic. Documents are JSON-able dicts."""

    def insert_project(self, name: str, doc: dict[str, Any]) -> bool: ...
    def put_project(self, name: str, doc: dict[str, Any]) -> None: ...
    def get_project(self, name: str) -> dict[str, Any] | None: ...
    def list_projects(self) -> list[dict[str, Any]]: ...
    def delete_project(self, name: str) -> bool: ...

    def insert_logstore(self, project: str, name: str, doc: dict[str, Any]) -> bool: ...
    def put_logstore(self, project: str, name: str, doc: dict[str, Any]) -> None: ...
    def get_logstore(self, project: str, name: str) -> dict[str, Any] | None: ...
    def list_logstores(self, project: str) -> list[dict[str, Any]]: ...
    def delete_logstore(self, project: str, name: str) -> bool: ...

    def put_index(self, project: str, logstore: str, doc: dict[str, Any]) -> None: ...
    def get_index(self, project: str, logstore: str) -> dict[str, Any] | None: ...
    def delete_index(self, project: str, logstore: str) -> bool: ...

    def insert_record(self, kind: str, project: str, name: str, doc: dict[str, Any]) -> bool: ...
    def put_record(self, kind: str, project: str, name: str, doc: dict[str, Any]) -> None: ...
    def get_record(self, kind: str, project: str, name: str) -> dict[str, Any] | None: ...
    def list_records(self, kind: str, project: str) -> list[dict[str, Any]]: ...
    def delete_record(self, kind: str, project: str, name: str) -> bool: ...

    def append_logs(self, project: str, logstore: str, entries: Sequence[LogEntry]) -> None: ...
    def scan_logs(
        self, project: str, logstore: str, start: int, end: int, *, topic: str | None, newest_first: bool
    ) -> Iterator[StoredLog]: ...
    def close(self) -> None: ...


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text))


class SqliteSlsStore:
    """:class:`SlsStore` over one SQLite file (WAL); thread-safe through one connection and a lock."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _one(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return json.loads(row[0]) if row else None

    def _all(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def _insert(self, sql: str, params: tuple[Any, ...]) -> bool:
        with self._lock:
            try:
                self._conn.execute(sql, params)
            except sqlite3.IntegrityError:
                return False
        return True

    def _changed(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._conn.execute(sql, params)

    # -- projects ------------------------------------------------------------------------------

    def insert_project(self, name: str, doc: dict[str, Any]) -> bool:
        return self._insert("INSERT INTO projects VALUES (?, ?)", (name, json.dumps(doc)))

    def put_project(self, name: str, doc: dict[str, Any]) -> None:
        self._changed("UPDATE projects SET doc=? WHERE name=?", (json.dumps(doc), name))

    def get_project(self, name: str) -> dict[str, Any] | None:
        return self._one("SELECT doc FROM projects WHERE name=?", (name,))

    def list_projects(self) -> list[dict[str, Any]]:
        return self._all("SELECT doc FROM projects ORDER BY name", ())

    def delete_project(self, name: str) -> bool:
        with self._transaction() as conn:
            gone = conn.execute("DELETE FROM projects WHERE name=?", (name,)).rowcount > 0
            for table in ("logstores", "indexes", "records", "logs"):
                conn.execute(f"DELETE FROM {table} WHERE project=?", (name,))
        return gone

    # -- logstores -----------------------------------------------------------------------------

    def insert_logstore(self, project: str, name: str, doc: dict[str, Any]) -> bool:
        return self._insert("INSERT INTO logstores VALUES (?, ?, ?)", (project, name, json.dumps(doc)))

    def put_logstore(self, project: str, name: str, doc: dict[str, Any]) -> None:
        self._changed(
            "UPDATE logstores SET doc=? WHERE project=? AND name=?", (json.dumps(doc), project, name)
        )

    def get_logstore(self, project: str, name: str) -> dict[str, Any] | None:
        return self._one("SELECT doc FROM logstores WHERE project=? AND name=?", (project, name))

    def list_logstores(self, project: str) -> list[dict[str, Any]]:
        return self._all("SELECT doc FROM logstores WHERE project=? ORDER BY name", (project,))

    def delete_logstore(self, project: str, name: str) -> bool:
        with self._transaction() as conn:
            gone = conn.execute("DELETE FROM logstores WHERE project=? AND name=?", (project, name)).rowcount
            conn.execute("DELETE FROM indexes WHERE project=? AND logstore=?", (project, name))
            conn.execute("DELETE FROM logs WHERE project=? AND logstore=?", (project, name))
        return gone > 0

    # -- indexes -------------------------------------------------------------------------------

    def put_index(self, project: str, logstore: str, doc: dict[str, Any]) -> None:
        self._changed("INSERT OR REPLACE INTO indexes VALUES (?, ?, ?)", (project, logstore, json.dumps(doc)))

    def get_index(self, project: str, logstore: str) -> dict[str, Any] | None:
        return self._one("SELECT doc FROM indexes WHERE project=? AND logstore=?", (project, logstore))

    def delete_index(self, project: str, logstore: str) -> bool:
        with self._lock:
            cursor = self._conn.execute(
                "DELETE FROM indexes WHERE project=? AND logstore=?", (project, logstore)
            )
        return cursor.rowcount > 0

    # -- records (machine groups, logtail configs) ---------------------------------------------

    def insert_record(self, kind: str, project: str, name: str, doc: dict[str, Any]) -> bool:
        return self._insert("INSERT INTO records VALUES (?, ?, ?, ?)", (kind, project, name, json.dumps(doc)))

    def put_record(self, kind: str, project: str, name: str, doc: dict[str, Any]) -> None:
        self._changed(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", (kind, project, name, json.dumps(doc))
        )

    def get_record(self, kind: str, project: str, name: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT doc FROM records WHERE kind=? AND project=? AND name=?", (kind, project, name)
        )

    def list_records(self, kind: str, project: str) -> list[dict[str, Any]]:
        return self._all("SELECT doc FROM records WHERE kind=? AND project=? ORDER BY name", (kind, project))

    def delete_record(self, kind: str, project: str, name: str) -> bool:
        with self._lock:
            cursor = self._conn.execute(
                "DELETE FROM records WHERE kind=? AND project=? AND name=?", (kind, project, name)
            )
        return cursor.rowcount > 0

    # -- logs ----------------------------------------------------------------------------------

    def append_logs(self, project: str, logstore: str, entries: Sequence[LogEntry]) -> None:
        rows = [
            (
                project,
                logstore,
                entry.time,
                entry.time_ns,
                entry.topic,
                entry.source,
                json.dumps(entry.fields),
                json.dumps(entry.tags),
                entry.searchable_text(),
            )
            for entry in entries
        ]
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO logs (project, logstore, time, time_ns, topic, source, fields, tags, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def scan_logs(
        self, project: str, logstore: str, start: int, end: int, *, topic: str | None, newest_first: bool
    ) -> Iterator[StoredLog]:
        """Logs with ``start <= time < end`` (and ``topic`` when given), oldest first unless
        ``newest_first``. Read in pages, so a large logstore is never held in memory at once."""
        order = "DESC" if newest_first else "ASC"
        where = "project=? AND logstore=? AND time>=? AND time<?"
        params: list[Any] = [project, logstore, start, end]
        if topic is not None:
            where += " AND topic=?"
            params.append(topic)
        last: tuple[int, int] | None = None
        while True:
            page_where = where
            page_params = list(params)
            if last is not None:
                compare = "<" if newest_first else ">"
                page_where += f" AND (time, id) {compare} (?, ?)"
                page_params += list(last)
            with self._lock:
                rows = self._conn.execute(
                    "SELECT id, time, time_ns, topic, source, fields, tags, text FROM logs "
                    f"WHERE {page_where} ORDER BY time {order}, id {order} LIMIT 500",
                    page_params,
                ).fetchall()
            if not rows:
                return
            for row_id, time, time_ns, row_topic, source, fields, tags, text in rows:
                entry = LogEntry(time, _pairs(fields), row_topic, source, _pairs(tags), time_ns)
                yield StoredLog(row_id, entry, text)
            last = (rows[-1][1], rows[-1][0])
