"""Ordered, numbered migrations per store, recorded in one table, applied when a store opens.

Why one style for every store: users keep their state across upgrades, so a new column must never
mean "delete your state dir", and a database may hold several stores (the backend's ``fc.db`` holds
the FC metadata and the invocation log; a server database holds them all). Each store names its
migrations ``1..n``; the table ``schema_migrations`` records which ones a database has, per store.
:func:`apply_migrations` runs the missing ones in order inside one write transaction together with
their records, so a crash leaves either all of them or none, and two processes opening the same
database at once apply each migration once. Append new migrations; never edit released ones.

Databases written before this table existed are adopted: a store's first migration creates its
tables only where missing, so on such a database it changes nothing and is recorded as applied;
a store whose old layout kept its own version number gives :attr:`Schema.adopt`, which reads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlstore.errors import SchemaTooNew

if TYPE_CHECKING:  # the database module calls into this one
    from sqlstore.database import Database, Session

LEDGER = "schema_migrations"
_LEDGER_DDL = (
    f"CREATE TABLE IF NOT EXISTS {LEDGER} (store TEXT NOT NULL, version INTEGER NOT NULL, "
    "name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (store, version))"
)


@dataclass(frozen=True)
class Migration:
    """One step: an SQL script (several statements) or a function of the open session."""

    version: int
    name: str
    apply: str | Callable[[Session], None]


@dataclass(frozen=True)
class Schema:
    """A store's migrations, numbered from 1 without gaps.

    ``adopt``: for databases of a layout that predates the ledger and kept its own record of how
    far it was migrated, how many of these migrations such a database already has (it may also
    drop the old record). It is asked only when the ledger knows nothing of this store."""

    store: str
    migrations: tuple[Migration, ...]
    adopt: Callable[[Session], int] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        numbers = [m.version for m in self.migrations]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(
                f"store {self.store!r}: migrations must be numbered 1..n in order, got {numbers}"
            )

    @property
    def version(self) -> int:
        return len(self.migrations)


def applied_versions(session: Session, store: str) -> set[int]:
    rows = session.execute(f"SELECT version FROM {LEDGER} WHERE store = ?", (store,)).fetchall()
    return {int(row[0]) for row in rows}


def apply_migrations(database: Database, schema: Schema) -> int:
    """Apply what ``schema`` has and ``database`` lacks; returns the version reached.

    A database that has them all (every open after the first) is found so by one read, without
    the write lock: on a shared server each process that opens a store pays one round trip and
    does not queue behind the others' writes."""
    if _up_to_date(database, schema):
        return schema.version
    with database.transaction() as session:
        session.execute(_LEDGER_DDL)
        done = applied_versions(session, schema.store)
        if not done and schema.adopt is not None and database.dialect.has_legacy_layouts:
            adopted = schema.adopt(session)
            for migration in schema.migrations[:adopted]:
                _record(session, schema.store, migration, "adopted")
            done = set(range(1, adopted + 1))
        newest = max(done, default=0)
        if newest > schema.version:
            raise SchemaTooNew(str(database.url), schema.store, newest, schema.version)
        for migration in schema.migrations:
            if migration.version in done:
                continue
            if isinstance(migration.apply, str):
                database.dialect.run_script(session, migration.apply)
            else:
                migration.apply(session)
            _record(session, schema.store, migration, "")
    return schema.version


def _up_to_date(database: Database, schema: Schema) -> bool:
    """Whether the ledger lists exactly this schema's migrations (a missing ledger, a missing
    migration or a newer database: no, and the write transaction decides what to do)."""
    try:
        with database.reading() as session:
            done = applied_versions(session, schema.store)
    except Exception:  # no ledger yet (each driver names that error its own way)
        return False
    return done == set(range(1, schema.version + 1))


def _record(session: Session, store: str, migration: Migration, note: str) -> None:
    name = f"{migration.name} ({note})" if note else migration.name
    session.execute(
        f"INSERT INTO {LEDGER} (store, version, name, applied_at) VALUES (?, ?, ?, ?)",
        (store, migration.version, name, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
    )
