"""Where the NAS twin records its file systems: what was asked for and when, by id.

Why a Protocol with an implementation on the shared database layer (``nas.db`` by default, opened
by ``fcbackend.store_factory``): the directories are the data plane, the rows are what ``describe``
answers and what tells our file systems from directories an unknown mount address created, and
the service must not care where the rows live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlstore import Database, Migration, Schema

SCHEMA = Schema(
    "nas",
    (
        # IF NOT EXISTS: a database from before the migrations ledger has exactly this table.
        Migration(
            1,
            "file_systems",
            """
            CREATE TABLE IF NOT EXISTS file_systems (
                id TEXT PRIMARY KEY, properties TEXT NOT NULL, created REAL NOT NULL);
            """,
        ),
    ),
)


@dataclass(frozen=True)
class FileSystemRecord:
    file_system_id: str
    properties: str  # the properties asked for, as JSON
    created: float  # epoch seconds


class NasStore(Protocol):
    def add(self, record: FileSystemRecord) -> None: ...

    def get(self, file_system_id: str) -> FileSystemRecord | None: ...

    def ids(self) -> list[str]:
        """Every file system's id, oldest first."""
        ...

    def delete(self, file_system_id: str) -> None: ...

    def close(self) -> None: ...


class SqliteNasStore:
    """:class:`NasStore` in an SQLite database; thread-safe (the database's sessions serialise its
    users)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        database.migrate(SCHEMA)

    def close(self) -> None:
        self.database.close()

    def add(self, record: FileSystemRecord) -> None:
        with self.database.transaction() as session:
            session.execute(
                "INSERT INTO file_systems (id, properties, created) VALUES (?, ?, ?)",
                (record.file_system_id, record.properties, record.created),
            )

    def get(self, file_system_id: str) -> FileSystemRecord | None:
        with self.database.reading() as session:
            row = session.execute(
                "SELECT properties, created FROM file_systems WHERE id = ?", (file_system_id,)
            ).fetchone()
        return FileSystemRecord(file_system_id, row[0], row[1]) if row else None

    def ids(self) -> list[str]:
        with self.database.reading() as session:
            rows = session.execute("SELECT id FROM file_systems ORDER BY created").fetchall()
        return [row[0] for row in rows]

    def delete(self, file_system_id: str) -> None:
        with self.database.transaction() as session:
            session.execute("DELETE FROM file_systems WHERE id = ?", (file_system_id,))
