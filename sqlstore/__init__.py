"""One database layer for every store of rosengine and of its backend.

Connections with the right pragmas, transactions, ordered migrations recorded in one table, and
the hooks where kinds of database differ (:class:`Dialect`) live here, so each store only writes
its own statements. This package imports neither ``rosengine`` nor ``fcbackend``: both use it.

* :func:`open_database` — a :class:`Database` from a URL (``sqlite:///path/to/file.db``, or
  ``postgresql://user:password@host:port/db`` with the ``cluster`` extra: :mod:`sqlstore.postgres`);
* :class:`DatabaseSet` — the databases of one process's stores (one SQLite file per group by
  default, or one database for all);
* :class:`Schema`, :class:`Migration` — a store's numbered migrations;
* :class:`Durability` — how far a commit has got when it returns.
"""

from sqlstore.database import Cursor, Database, Durability, Outcome, Session, Statement
from sqlstore.dialect import Dialect, SqliteDialect
from sqlstore.errors import (
    DatabaseError,
    DatabaseUnavailable,
    DatabaseUrlError,
    SchemaTooNew,
    UnsupportedDatabase,
)
from sqlstore.migrations import Migration, Schema, apply_migrations
from sqlstore.opening import DatabaseSet, open_database
from sqlstore.sqlite import SqliteDatabase
from sqlstore.url import DATABASE_URL_VARIABLE, DatabaseUrl

__all__ = [
    "DATABASE_URL_VARIABLE",
    "Cursor",
    "Database",
    "DatabaseError",
    "DatabaseSet",
    "DatabaseUnavailable",
    "DatabaseUrl",
    "DatabaseUrlError",
    "Dialect",
    "Durability",
    "Migration",
    "Outcome",
    "Schema",
    "SchemaTooNew",
    "Session",
    "SqliteDatabase",
    "SqliteDialect",
    "Statement",
    "UnsupportedDatabase",
    "apply_migrations",
    "open_database",
]
