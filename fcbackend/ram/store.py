"""Where RAM keeps its account: users, keys, groups, roles, policies, attachments, STS sessions.

Why documents behind a small interface: RAM's objects are small JSON records echoed back by the
API, and the service layer is the only place that knows their fields. :class:`RamStore` is all
:class:`~fcbackend.ram.service.RamService` needs (get/insert/put/delete/list by kind and key, a
transaction, and purging expired STS sessions); :class:`SqliteRamStore` implements it on the
shared database layer (``ram.db`` by default, ``fcbackend.store_factory``). Keys are lower-cased
names (RAM names are unique without regard to case) or ids; composite keys join their parts with
``/``.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlstore import Database, Migration, Schema


class RamStore(Protocol):
    def transaction(self) -> AbstractContextManager[object]:
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


SCHEMA = Schema(
    "ram",
    (
        # IF NOT EXISTS: a database from before the migrations ledger has exactly this table.
        Migration(
            1,
            "RAM documents",
            """
            CREATE TABLE IF NOT EXISTS ram_objects (
                kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, expires REAL,
                PRIMARY KEY (kind, key));
            CREATE INDEX IF NOT EXISTS ram_objects_expiry ON ram_objects (kind, expires)
                WHERE expires IS NOT NULL;
            """,
        ),
    ),
)


class SqliteRamStore:
    """:class:`RamStore` in an SQLite database, safe to share between threads."""

    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)
        dialect = database.dialect
        self._insert = dialect.insert_new("ram_objects", ("kind", "key", "data", "expires"), ("kind", "key"))
        self._put = dialect.upsert("ram_objects", ("kind", "key", "data"), ("kind", "key"))

    def close(self) -> None:
        self.database.close()

    def transaction(self) -> AbstractContextManager[object]:
        return self.database.transaction()

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self.database.reading() as session:
            row = session.execute(
                "SELECT data FROM ram_objects WHERE kind=? AND key=?", (kind, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def insert(self, kind: str, key: str, doc: dict[str, Any], *, expires: float | None = None) -> bool:
        with self.database.transaction() as session:
            return session.execute(self._insert, (kind, key, json.dumps(doc), expires)).rowcount == 1

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        with self.database.transaction() as session:
            session.execute(self._put, (kind, key, json.dumps(doc)))

    def delete(self, kind: str, key: str) -> bool:
        with self.database.transaction() as session:
            return session.execute("DELETE FROM ram_objects WHERE kind=? AND key=?", (kind, key)).rowcount > 0

    def list(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        sql = "SELECT data FROM ram_objects WHERE kind=?"
        params: tuple[Any, ...] = (kind,)
        if prefix:
            sql += " AND substr(key, 1, ?) = ?"
            params += (len(prefix), prefix)
        with self.database.reading() as session:
            rows = session.execute(sql + " ORDER BY key", params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def purge_expired(self, kind: str, before: float) -> int:
        with self.database.transaction() as session:
            return session.execute(
                "DELETE FROM ram_objects WHERE kind=? AND expires IS NOT NULL AND expires < ?", (kind, before)
            ).rowcount
