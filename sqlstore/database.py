"""What every store sees of a database: sessions, transactions, migrations, advisory locks.

Why an abstraction over the driver: the stores of rosengine (stack state) and of the backend
(FC metadata, invocation log, async queue, timers, the twins') all need the same few things — a
transaction that serialises racing writers, a place where a durable commit is asked for, ordered
migrations recorded in one table, and a lock that elects one leader — and a second kind of
database (a server shared by several processes) must be able to provide them without the stores'
callers changing. Store implementations run SQL through a :class:`Session`; their callers only see
the store's domain methods.

SQL handed to a :class:`Session` uses ``?`` placeholders. A database whose driver expects another
style translates them; everything engine-specific beyond that goes through :attr:`Database.dialect`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from sqlstore.migrations import Schema, apply_migrations
from sqlstore.url import DatabaseUrl

if TYPE_CHECKING:  # the dialect module types its hooks with Session
    from sqlstore.dialect import Dialect


class Cursor(Protocol):
    """The result of one statement (DB-API shape)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any:
        """Column descriptions (DB-API): None for a statement that returns no rows."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Session(Protocol):
    """A connection inside a transaction (or a read): runs statements, ``?`` placeholders."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a :meth:`Database.run_batch`: ``?`` placeholders; ``many``: ``parameters``
    is a sequence of parameter rows, the statement runs once per row (``executemany``)."""

    sql: str
    parameters: Sequence[Any] = ()
    many: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one statement of a batch gave: its rows (``RETURNING``, ``SELECT``) and rowcount."""

    rows: list[Any] = field(default_factory=list)
    rowcount: int = -1


def run_in_session(session: Session, statement: Statement) -> Outcome:
    """Run one batch statement on a session and read its outcome at once."""
    if statement.many:
        cursor = session.executemany(statement.sql, statement.parameters)
        return Outcome([], cursor.rowcount)
    cursor = session.execute(statement.sql, tuple(statement.parameters))
    rows = cursor.fetchall() if cursor.description else []
    return Outcome(rows, cursor.rowcount)


class Durability(Enum):
    """How far a committed transaction has got when the commit returns.

    ``CRASH_SAFE``: it survives a crash or kill -9 of the process; a power cut may lose the last
    commits (SQLite: WAL with ``synchronous=NORMAL``). ``POWER_SAFE``: it is on the disk
    (``synchronous=FULL``, an fsync per commit). Stores choose per database what their default
    commit needs, and ask for a :meth:`Database.transaction` with ``durable=True`` where one
    commit needs more (an accepted async invocation before its 202).
    """

    CRASH_SAFE = "crash-safe"
    POWER_SAFE = "power-safe"


class Database(ABC):
    """One open database. Thread-safe; shared by every store that lives in it."""

    url: DatabaseUrl
    dialect: Dialect

    @abstractmethod
    def transaction(
        self, *, durable: bool = False, row_locks: bool = False
    ) -> AbstractContextManager[Session]:
        """A write transaction, all or nothing, re-entrant (an inner one joins the outer).

        It takes the write lock at the start (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
        transaction lock), so two writers that read-check-write never interleave. ``durable=True``:
        the commit is on the disk when the block ends, whatever the database's default
        :class:`Durability`; it must be the outermost transaction. ``row_locks=True``: the
        statements inside lock what they touch themselves (rows selected with the dialect's
        ``claim_clause``, single updates by key), so a database that can run writers side by
        side need not serialise this one against the others (SQLite serialises it anyway)."""

    def run_batch(
        self, statements: Sequence[Statement], *, durable: bool = False, row_locks: bool = False
    ) -> list[Outcome]:
        """Run ``statements`` in order as one write transaction (all or nothing) and return their
        outcomes; inside a transaction of this thread they join it (as :meth:`transaction` does).

        Why: a unit of work whose writes need no answer before the next one is sent (a resource's
        row and its event) costs one commit, and on a server database one round trip: PostgreSQL
        sends ``BEGIN``, the lock, the statements and ``COMMIT`` in one pipeline. ``durable`` and
        ``row_locks`` mean what they mean for :meth:`transaction`."""
        with self.transaction(durable=durable, row_locks=row_locks) as session:
            return [run_in_session(session, statement) for statement in statements]

    @abstractmethod
    def reading(self) -> AbstractContextManager[Session]:
        """A session for reads outside a transaction; each statement sees committed data."""

    @abstractmethod
    def try_advisory_lock(self, name: str) -> bool:
        """Take the named lock for this database's lifetime unless another process holds it;
        True if this one holds it now (again). Elects one leader among processes sharing the
        database (e.g. which backend fires timers)."""

    @abstractmethod
    def release_advisory_lock(self, name: str) -> None: ...

    @abstractmethod
    def retain(self) -> Database:
        """This database for one more user: every user's :meth:`close` releases its share, and the
        last one closes the database (stores sharing a database close independently)."""

    @abstractmethod
    def close(self) -> None:
        """Release this user's share; the last share closes the connections."""

    @property
    @abstractmethod
    def closed(self) -> bool: ...

    def migrate(self, schema: Schema) -> int:
        """Bring ``schema.store``'s tables to its newest migration; returns that version."""
        return apply_migrations(self, schema)
