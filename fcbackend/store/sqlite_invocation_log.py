""":class:`~fcbackend.store.invocation_log.InvocationLog` in an SQLite database (``fc.db``).

Why the table has no primary key of its own: the recorder writes thousands of rows a second, and
a row keyed by request id cost a B-tree insert at a random place. A row is an append to the rowid
table (rowid order is recording order) plus one insert into the per-function index, whose
implicit rowid suffix also serves "newest first" per function. A re-recorded request id (a
retried async call) is de-duplicated when read, newest wins.

On PostgreSQL (no rowid) the table gets a ``rowid`` identity column numbering rows as they are
recorded, and an index on (service, function, rowid); a batch is one pipelined ``executemany``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from fcbackend.store.invocation_log import InvocationRecord, InvocationRow
from sqlstore import Database, Migration, Schema, Session, SqliteDatabase

_COLUMNS = InvocationRecord._fields
_CREATE = """
CREATE TABLE IF NOT EXISTS invocation_log (
    request_id TEXT NOT NULL, time REAL NOT NULL, service TEXT NOT NULL, function TEXT NOT NULL,
    qualifier TEXT, version TEXT, instance_id TEXT, cold INTEGER, init_ms REAL, duration_ms REAL,
    memory_mb REAL, status INTEGER, error TEXT);
CREATE INDEX IF NOT EXISTS invocation_log_by_function ON invocation_log (service, function);
"""


def _create_log(session: Session) -> None:
    """The table, created where missing (a database from before the migrations ledger has it),
    and the rows of the older ``invocations`` table (request id as primary key) carried over."""
    SqliteDatabase.dialect.run_script(session, _CREATE)
    older = session.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='invocations'")
    if older.fetchall():
        columns = ", ".join(_COLUMNS)
        session.execute(
            f"INSERT INTO invocation_log ({columns}) SELECT {columns} FROM invocations ORDER BY time"
        )
        session.execute("DROP TABLE invocations")


SCHEMA = Schema("fc.invocation_log", (Migration(1, "invocation log", _create_log),))
POSTGRES_SCHEMA = Schema(
    SCHEMA.store,
    (
        Migration(
            1,
            "invocation log",
            _CREATE
            + """;
            ALTER TABLE invocation_log ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;
            CREATE INDEX invocation_log_newest ON invocation_log (rowid);
            CREATE INDEX invocation_log_newest_by_function ON invocation_log (service, function, rowid)
            """,
        ),
    ),
)

_INSERT = f"INSERT INTO invocation_log ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
# The whole batch as one statement over a JSON array of rows. Why: executemany binds and steps
# row by row, releasing and re-taking the GIL around every step, so a flush of a few hundred rows
# made the request thread hand the GIL over hundreds of times (futex storms under load). One
# json.dumps (C) and one step (SQLite's json1, no GIL) make a flush a single hand-over.
_INSERT_BATCH = (
    f"INSERT INTO invocation_log ({', '.join(_COLUMNS)}) SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS)))
    + " FROM json_each(?)"
)


class SqliteInvocationLog:
    def __init__(self, database: Database) -> None:
        self.database = database
        sqlite = isinstance(database, SqliteDatabase)
        database.migrate(SCHEMA if sqlite else POSTGRES_SCHEMA)
        self._batch_json = sqlite and _has_json(database)

    def close(self) -> None:
        self.database.close()

    def append(self, records: Sequence[InvocationRow]) -> None:
        if not records:
            return
        with self.database.transaction() as session:
            if self._batch_json:
                session.execute(_INSERT_BATCH, (json.dumps(records),))
            else:
                session.executemany(_INSERT, records)

    def recent(
        self, service: str | None = None, function: str | None = None, limit: int = 100
    ) -> list[InvocationRecord]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM invocation_log"
        where, params = [], []
        if service:
            where.append("service=?")
            params.append(service)
        if function:
            where.append("function=?")
            params.append(function)
        if where:
            sql += " WHERE " + " AND ".join(where)
        # Over-fetch a little so that duplicates rarely cost a second query.
        sql += " ORDER BY rowid DESC LIMIT ?"
        out: list[InvocationRecord] = []
        seen: set[str] = set()
        fetch = limit + 16
        while True:
            with self.database.reading() as session:
                rows = session.execute(sql, (*params, fetch)).fetchall()
            out.clear()
            seen.clear()
            for row in rows:
                if row[0] in seen:
                    continue
                seen.add(row[0])
                out.append(_record(row))
                if len(out) == limit:
                    return out
            if len(rows) < fetch:
                return out
            fetch *= 4


def _record(row: tuple[Any, ...]) -> InvocationRecord:
    record = InvocationRecord._make(row)
    return record._replace(cold=bool(record.cold))


def _has_json(database: Database) -> bool:
    """Whether this SQLite has the JSON functions (built in since 3.38; an extension before)."""
    try:
        with database.reading() as session:
            session.execute("SELECT json_extract('[1]', '$[0]')").fetchall()
    except sqlite3.OperationalError:
        return False
    return True
