"""The SQL that differs between kinds of database, as hooks a store implementation calls.

Why hooks rather than SQL text in the stores: "insert or update", "insert unless present",
"claim rows other workers are not claiming" and "run a migration script" are written differently
by different engines (and ``INSERT OR REPLACE`` deletes the old row first, which is not what an
update means). A store asks the dialect for the statement; each kind of database answers with its
own. SQLite answers most of them with standard SQL, and the claim clause with nothing: a write
transaction there locks the whole database, so no other worker can claim the same rows.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence

from sqlstore.database import Session


class Dialect(ABC):
    name: str
    # Whether databases of this kind may hold a layout from before the migrations ledger (only
    # SQLite files were ever written without it), so a store's ``Schema.adopt`` must look.
    has_legacy_layouts: bool = True
    # What the driver raises when a statement breaks a constraint (a duplicate key).
    integrity_errors: tuple[type[Exception], ...] = ()

    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """``INSERT`` of ``columns`` that updates the non-key columns of an existing row with the
        same ``key`` (the row keeps its identity)."""
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(key)}) {action}"
        )

    def insert_new(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """``INSERT`` that writes nothing when a row with the same ``key`` exists (rowcount 0)."""
        marks = ", ".join("?" for _ in columns)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(key)}) DO NOTHING"
        )

    @property
    @abstractmethod
    def claim_clause(self) -> str:
        """Appended to a ``SELECT`` of rows a worker is about to claim, so that concurrent
        workers each get different rows (PostgreSQL: ``FOR UPDATE SKIP LOCKED``)."""

    @property
    def row_lock_clause(self) -> str:
        """Appended to a ``SELECT`` of rows the transaction will change, so that no other
        transaction changes them first (PostgreSQL: ``FOR UPDATE``). Nothing on SQLite, whose
        write transaction holds the whole database."""
        return ""

    @abstractmethod
    def run_script(self, session: Session, script: str) -> None:
        """Run several statements inside the current transaction."""


class SqliteDialect(Dialect):
    name = "sqlite"
    integrity_errors = (sqlite3.IntegrityError,)

    @property
    def claim_clause(self) -> str:
        return ""

    def run_script(self, session: Session, script: str) -> None:
        # Not executescript(): it commits the open transaction first, and a migration must run
        # inside the transaction that records it.
        for statement in split_statements(script):
            session.execute(statement)


def split_statements(script: str) -> list[str]:
    """The statements of an SQLite script (semicolons inside strings and triggers kept)."""
    statements: list[str] = []
    pending = ""
    *pieces, rest = script.split(";")
    for piece in pieces:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                statements.append(pending.strip())
            pending = ""
    if (pending + rest).strip():
        statements.append((pending + rest).strip())
    return statements
