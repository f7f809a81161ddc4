"""Code and layer package contents in the database, for backends that share one.

Why: a function created on one backend must start on any other backend of the same service,
possibly on another host, so the zip cannot live only on the disk of the backend that received
it. On a shared (PostgreSQL) database every package's bytes are a row here, keyed by sha256;
each backend's ``code/`` directory is then a cache filled on first use
(:class:`~fcbackend.store.code.CodeStore`). On SQLite (one backend per state directory) this
store is not used: the files are the contents, as before.
"""

from __future__ import annotations

from typing import Protocol

from sqlstore import Database, Migration, Schema

SCHEMA = Schema(
    "fc.code_contents",
    (
        Migration(
            1,
            "code and layer package bytes by sha256",
            "CREATE TABLE code_contents (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL)",
        ),
    ),
)


class CodeContents(Protocol):
    def put(self, sha256: str, data: bytes) -> None:
        """Keep ``data`` under its sha256 (a second put of the same package writes nothing)."""
        ...

    def get(self, sha256: str) -> bytes | None: ...


class SqlCodeContents:
    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)
        self._insert = database.dialect.insert_new("code_contents", ("sha256", "data"), ("sha256",))

    def put(self, sha256: str, data: bytes) -> None:
        # A row lock suffices: the insert writes nothing when the package is there already.
        with self.database.transaction(row_locks=True) as session:
            session.execute(self._insert, (sha256, data))

    def get(self, sha256: str) -> bytes | None:
        with self.database.reading() as session:
            row = session.execute("SELECT data FROM code_contents WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        self.database.close()
