"""Where the SLS twin keeps its projects, logstores, indexes, logs and records.

Why an interface (:class:`SlsStore`) with an SQLite implementation on the shared database layer
(``sls.db`` by default, opened by ``fcbackend.store_factory``): the service must not care where
rows live, and every operation the service needs is here, each one atomic. Documents (a project,
a logstore, an index, a machine group) are stored as the API's JSON; logs are rows with their time
indexed, their fields as a JSON array of ``[key, value]`` pairs (order and repeated keys kept),
and their text lower-cased once for full-text search.

Deleting a project deletes its logstores, indexes, logs and records in the same transaction;
deleting a logstore its index and logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlstore import Database, Migration, Schema

SCHEMA = Schema(
    "sls",
    (
        # IF NOT EXISTS: a database from before the migrations ledger has exactly these tables.
        Migration(
            1,
            "projects, logstores, indexes, records, logs",
            """
            CREATE TABLE IF NOT EXISTS projects (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS logstores (
                project TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (project, name));
            CREATE TABLE IF NOT EXISTS indexes (
                project TEXT NOT NULL, logstore TEXT NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (project, logstore));
            CREATE TABLE IF NOT EXISTS records (
                kind TEXT NOT NULL, project TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (kind, project, name));
            CREATE TABLE IF NOT EXISTS logs (
                id INTEGER PRIMARY KEY, project TEXT NOT NULL, logstore TEXT NOT NULL,
                time INTEGER NOT NULL, time_ns INTEGER NOT NULL, topic TEXT NOT NULL,
                source TEXT NOT NULL, fields TEXT NOT NULL, tags TEXT NOT NULL, text TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS logs_by_time ON logs (project, logstore, time);
            """,
        ),
    ),
)


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
    """:class:`SlsStore` in an SQLite database; thread-safe."""

    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)
        dialect = database.dialect
        self._new_project = dialect.insert_new("projects", ("name", "doc"), ("name",))
        self._new_logstore = dialect.insert_new("logstores", ("project", "name", "doc"), ("project", "name"))
        self._put_index = dialect.upsert("indexes", ("project", "logstore", "doc"), ("project", "logstore"))
        record_columns, record_key = ("kind", "project", "name", "doc"), ("kind", "project", "name")
        self._new_record = dialect.insert_new("records", record_columns, record_key)
        self._put_record = dialect.upsert("records", record_columns, record_key)

    def close(self) -> None:
        self.database.close()

    def _one(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        with self.database.reading() as session:
            row = session.execute(sql, params).fetchone()
        return json.loads(row[0]) if row else None

    def _all(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self.database.reading() as session:
            rows = session.execute(sql, params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        """One statement in its own transaction; how many rows it changed."""
        with self.database.transaction() as session:
            return session.execute(sql, params).rowcount

    # -- projects ------------------------------------------------------------------------------

    def insert_project(self, name: str, doc: dict[str, Any]) -> bool:
        return self._write(self._new_project, (name, json.dumps(doc))) == 1

    def put_project(self, name: str, doc: dict[str, Any]) -> None:
        self._write("UPDATE projects SET doc=? WHERE name=?", (json.dumps(doc), name))

    def get_project(self, name: str) -> dict[str, Any] | None:
        return self._one("SELECT doc FROM projects WHERE name=?", (name,))

    def list_projects(self) -> list[dict[str, Any]]:
        return self._all("SELECT doc FROM projects ORDER BY name", ())

    def delete_project(self, name: str) -> bool:
        with self.database.transaction() as session:
            gone = session.execute("DELETE FROM projects WHERE name=?", (name,)).rowcount > 0
            for table in ("logstores", "indexes", "records", "logs"):
                session.execute(f"DELETE FROM {table} WHERE project=?", (name,))
        return gone

    # -- logstores -----------------------------------------------------------------------------

    def insert_logstore(self, project: str, name: str, doc: dict[str, Any]) -> bool:
        return self._write(self._new_logstore, (project, name, json.dumps(doc))) == 1

    def put_logstore(self, project: str, name: str, doc: dict[str, Any]) -> None:
        self._write("UPDATE logstores SET doc=? WHERE project=? AND name=?", (json.dumps(doc), project, name))

    def get_logstore(self, project: str, name: str) -> dict[str, Any] | None:
        return self._one("SELECT doc FROM logstores WHERE project=? AND name=?", (project, name))

    def list_logstores(self, project: str) -> list[dict[str, Any]]:
        return self._all("SELECT doc FROM logstores WHERE project=? ORDER BY name", (project,))

    def delete_logstore(self, project: str, name: str) -> bool:
        with self.database.transaction() as session:
            gone = session.execute(
                "DELETE FROM logstores WHERE project=? AND name=?", (project, name)
            ).rowcount
            session.execute("DELETE FROM indexes WHERE project=? AND logstore=?", (project, name))
            session.execute("DELETE FROM logs WHERE project=? AND logstore=?", (project, name))
        return gone > 0

    # -- indexes -------------------------------------------------------------------------------

    def put_index(self, project: str, logstore: str, doc: dict[str, Any]) -> None:
        self._write(self._put_index, (project, logstore, json.dumps(doc)))

    def get_index(self, project: str, logstore: str) -> dict[str, Any] | None:
        return self._one("SELECT doc FROM indexes WHERE project=? AND logstore=?", (project, logstore))

    def delete_index(self, project: str, logstore: str) -> bool:
        return self._write("DELETE FROM indexes WHERE project=? AND logstore=?", (project, logstore)) > 0

    # -- records (machine groups, logtail configs) ---------------------------------------------

    def insert_record(self, kind: str, project: str, name: str, doc: dict[str, Any]) -> bool:
        return self._write(self._new_record, (kind, project, name, json.dumps(doc))) == 1

    def put_record(self, kind: str, project: str, name: str, doc: dict[str, Any]) -> None:
        self._write(self._put_record, (kind, project, name, json.dumps(doc)))

    def get_record(self, kind: str, project: str, name: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT doc FROM records WHERE kind=? AND project=? AND name=?", (kind, project, name)
        )

    def list_records(self, kind: str, project: str) -> list[dict[str, Any]]:
        return self._all("SELECT doc FROM records WHERE kind=? AND project=? ORDER BY name", (kind, project))

    def delete_record(self, kind: str, project: str, name: str) -> bool:
        return (
            self._write("DELETE FROM records WHERE kind=? AND project=? AND name=?", (kind, project, name))
            > 0
        )

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
        with self.database.transaction() as session:
            session.executemany(
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
            with self.database.reading() as session:
                rows = session.execute(
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
