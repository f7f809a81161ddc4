""":class:`~fcbackend.store.metadata.MetadataStore` in an SQLite database (``fc.db`` by default)."""

from __future__ import annotations

import builtins
import json
from contextlib import AbstractContextManager
from typing import Any

from fcbackend.store.metadata import CodeBlob
from sqlstore import Database, Migration, Schema

SCHEMA = Schema(
    "fc.metadata",
    (
        # Written with IF NOT EXISTS: databases from before the migrations ledger already have
        # exactly these tables, and adopting them changes nothing.
        Migration(
            1,
            "documents, counters, code blobs",
            """
            CREATE TABLE IF NOT EXISTS objects (
                kind TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, sort_key TEXT NOT NULL,
                data TEXT NOT NULL, PRIMARY KEY (kind, scope, name));
            CREATE INDEX IF NOT EXISTS objects_by_sort ON objects (kind, scope, sort_key);
            CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS blobs (
                sha256 TEXT PRIMARY KEY, checksum TEXT NOT NULL, size INTEGER NOT NULL);
            """,
        ),
    ),
)

_OBJECT_COLUMNS = ("kind", "scope", "name", "sort_key", "data")
_OBJECT_KEY = ("kind", "scope", "name")


class SqliteMetadataStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)
        dialect = database.dialect
        self._insert = dialect.insert_new("objects", _OBJECT_COLUMNS, _OBJECT_KEY)
        self._put = dialect.upsert("objects", _OBJECT_COLUMNS, _OBJECT_KEY)
        self._put_blob = dialect.upsert("blobs", ("sha256", "checksum", "size"), ("sha256",))
        self._bump = (
            "INSERT INTO counters (key, value) VALUES (?, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value"
        )

    def close(self) -> None:
        self.database.close()

    def transaction(self) -> AbstractContextManager[object]:
        return self.database.transaction()

    # -- documents -------------------------------------------------------------------------

    def get(self, kind: str, scope: str, name: str) -> dict[str, Any] | None:
        with self.database.reading() as session:
            row = session.execute(
                "SELECT data FROM objects WHERE kind=? AND scope=? AND name=?", (kind, scope, name)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def insert(
        self, kind: str, scope: str, name: str, data: dict[str, Any], sort_key: str | None = None
    ) -> bool:
        with self.database.transaction() as session:
            cursor = session.execute(self._insert, (kind, scope, name, sort_key or name, json.dumps(data)))
            return cursor.rowcount == 1

    def put(
        self, kind: str, scope: str, name: str, data: dict[str, Any], sort_key: str | None = None
    ) -> None:
        with self.database.transaction() as session:
            session.execute(self._put, (kind, scope, name, sort_key or name, json.dumps(data)))

    def delete(self, kind: str, scope: str, name: str) -> bool:
        with self.database.transaction() as session:
            cursor = session.execute(
                "DELETE FROM objects WHERE kind=? AND scope=? AND name=?", (kind, scope, name)
            )
            return cursor.rowcount > 0

    def delete_scope(self, kind: str, scope: str) -> int:
        with self.database.transaction() as session:
            return session.execute("DELETE FROM objects WHERE kind=? AND scope=?", (kind, scope)).rowcount

    def count(self, kind: str, scope: str) -> int:
        with self.database.reading() as session:
            row = session.execute("SELECT COUNT(*) FROM objects WHERE kind=? AND scope=?", (kind, scope))
            return int(row.fetchone()[0])

    def list(
        self,
        kind: str,
        scope: str | None,
        *,
        prefix: str | None = None,
        start: str | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> builtins.list[tuple[str, str, dict[str, Any]]]:
        sql = "SELECT scope, name, data FROM objects WHERE kind=?"
        params: builtins.list[Any] = [kind]
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
        with self.database.reading() as session:
            rows = session.execute(sql, params).fetchall()
        return [(s, n, json.loads(d)) for s, n, d in rows]

    def next_id(self, key: str) -> int:
        with self.database.transaction() as session:
            return int(session.execute(self._bump, (key,)).fetchall()[0][0])

    # -- code blobs ------------------------------------------------------------------------

    def put_blob(self, blob: CodeBlob) -> None:
        with self.database.transaction() as session:
            session.execute(self._put_blob, (blob.sha256, blob.checksum, blob.size))

    def get_blob(self, sha256: str) -> CodeBlob | None:
        with self.database.reading() as session:
            row = session.execute("SELECT checksum, size FROM blobs WHERE sha256=?", (sha256,)).fetchone()
        return CodeBlob(sha256, row[0], int(row[1])) if row else None
