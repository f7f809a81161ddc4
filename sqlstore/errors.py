"""Errors of the shared database layer, each naming the database and what was expected."""

from __future__ import annotations


class DatabaseError(Exception):
    """Base of everything :mod:`sqlstore` raises on purpose."""


class DatabaseUrlError(DatabaseError, ValueError):
    """A database URL that cannot be used: malformed, or a scheme no implementation serves."""


class SchemaTooNew(DatabaseError):
    """The database was written by a newer release: its store has migrations this code lacks.

    Opening it anyway could write rows the newer schema does not expect, so it is refused."""

    def __init__(self, database: str, store: str, found: int, known: int) -> None:
        super().__init__(
            f"{database}: store {store!r} is at schema version {found}, newer than this rosengine "
            f"knows ({known}); upgrade rosengine to open it"
        )
        self.store, self.found, self.known = store, found, known


class UnsupportedDatabase(DatabaseError):
    """A store has no implementation for the kind of database it was asked to open on."""


class DatabaseUnavailable(DatabaseError):
    """A database server that cannot be reached or refused us (wrong host, credentials, a server
    that went away); the message carries the server's reason. A transaction it interrupted was
    rolled back whole; the next use reconnects."""
