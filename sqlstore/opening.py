"""Opening databases by URL, and the set of databases one process's stores live in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from sqlstore.database import Database, Durability
from sqlstore.errors import DatabaseUrlError
from sqlstore.sqlite import SqliteDatabase
from sqlstore.url import DatabaseUrl

Opener = Callable[[DatabaseUrl, Durability, float], Database]


# URL scheme -> how to open such a database. A new kind of database is one entry here.
def _open_postgres(url: DatabaseUrl, durability: Durability, busy_timeout_s: float) -> Database:
    # Imported here: psycopg is the optional ``cluster`` extra, and a process that never names a
    # PostgreSQL URL must not need it (or pay for importing it).
    from sqlstore.postgres import PostgresDatabase

    return PostgresDatabase(url, durability=durability, busy_timeout_s=busy_timeout_s)


OPENERS: dict[str, Opener] = {
    "sqlite": lambda url, durability, busy_timeout_s: SqliteDatabase(
        url, durability=durability, busy_timeout_s=busy_timeout_s
    ),
    "postgresql": _open_postgres,
}


def open_database(
    url: DatabaseUrl | str,
    *,
    durability: Durability = Durability.CRASH_SAFE,
    busy_timeout_s: float = 5.0,
) -> Database:
    """Open the database ``url`` names; a scheme nothing here can open is refused by name."""
    if isinstance(url, str):
        url = DatabaseUrl.parse(url)
    opener = OPENERS.get(url.scheme)
    if opener is None:
        raise DatabaseUrlError(
            f"database URL {url}: no support for {url.scheme!r} databases "
            f"(supported: {', '.join(sorted(OPENERS))})"
        )
    return opener(url, durability, busy_timeout_s)


class DatabaseSet:
    """Where a process's stores live, opened once each and closed together.

    Without a URL every group of stores gets its own SQLite file, ``<directory>/<group>.db``:
    SQLite lets one writer at a time into a file, so stores that write independently (the async
    queue's fsync'd intake, the invocation log's batches, timers) do not queue behind each other.
    With a URL, every group lives in that one database (a server database is built for many
    writers; an SQLite URL puts everything in one file).
    """

    def __init__(self, directory: Path, url: DatabaseUrl | str | None = None) -> None:
        self.directory = directory
        self.url = DatabaseUrl.parse(url) if isinstance(url, str) else url
        self._open: dict[str, Database] = {}
        self._lock = threading.Lock()

    def location(self, group: str) -> DatabaseUrl:
        if self.url is not None:
            return self.url
        return DatabaseUrl.sqlite(self.directory / f"{group}.db")

    def open(self, group: str, *, durability: Durability = Durability.CRASH_SAFE) -> Database:
        """The database of ``group`` (the same object for groups that share one database), as a
        share its user closes when done. ``durability`` applies when this call opens it."""
        url = self.location(group)
        with self._lock:
            database = self._open.get(url.text)
            if database is not None and not database.closed:
                return database.retain()
            database = open_database(url, durability=durability)
            self._open[url.text] = database
            return database

    def close(self) -> None:
        """Close every database opened here, whoever still holds a share."""
        with self._lock:
            databases, self._open = list(self._open.values()), {}
        for database in databases:
            while not database.closed:
                database.close()
