"""An SQLite database file opened the one way every store needs it.

Pragmas, and why:

* ``journal_mode=WAL``: readers (``ros stack describe`` in another terminal, ``ros fc
  invocations``) never wait for a writer and a writer never waits for readers; a commit is an
  append to the log.
* ``synchronous``: ``NORMAL`` for :attr:`Durability.CRASH_SAFE` (in WAL mode a commit survives a
  kill of the process without an fsync; only a power cut can lose the newest commits), ``FULL``
  for :attr:`Durability.POWER_SAFE` and for every ``transaction(durable=True)``.
* ``busy_timeout``: another process writing the same file makes us wait, not fail.
* ``foreign_keys=ON``: declared references are enforced (SQLite leaves them off by default).

One connection per file, shared by threads under a re-entrant lock: SQLite admits one writer per
file anyway, and one connection keeps its statement cache warm. Transactions take the write lock
at ``BEGIN IMMEDIATE``, so a read-check-write never fails half-way on a lock upgrade.
"""

from __future__ import annotations

import fcntl
import re
import sqlite3
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

from sqlstore.database import Database, Durability
from sqlstore.dialect import SqliteDialect
from sqlstore.errors import DatabaseError
from sqlstore.url import DatabaseUrl

_SYNCHRONOUS = {Durability.CRASH_SAFE: "NORMAL", Durability.POWER_SAFE: "FULL"}


class SqliteDatabase(Database):
    dialect = SqliteDialect()

    def __init__(
        self,
        url: DatabaseUrl | Path | str,
        *,
        durability: Durability = Durability.CRASH_SAFE,
        busy_timeout_s: float = 5.0,
    ) -> None:
        if not isinstance(url, DatabaseUrl):
            url = DatabaseUrl.sqlite(url)
        if url.scheme != "sqlite":
            raise DatabaseError(f"{url} is not an SQLite database URL")
        self.url = url
        self.path = url.path
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                str(self.path) if self.path is not None else ":memory:",
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
                timeout=busy_timeout_s,
            )
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open {url}: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        self._default_sync = _SYNCHRONOUS[durability]
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._sync = ""
        self._set_synchronous(self._default_sync)
        self._write = _Transaction(self, durable=False)
        self._durable_write = _Transaction(self, durable=True)
        self._read = _Read(self)
        self._held_locks: dict[str, IO[bytes] | None] = {}
        self._shares = 1

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection, for SQLite-only work such as ``row_factory``; hold :meth:`reading`
        or :meth:`transaction` while using it."""
        return self._conn

    def transaction(self, *, durable: bool = False, row_locks: bool = False) -> _Transaction:
        return self._durable_write if durable else self._write

    def reading(self) -> _Read:
        return self._read

    def retain(self) -> SqliteDatabase:
        with self._lock:
            if self._shares == 0:
                raise DatabaseError(f"{self.url} is closed")
            self._shares += 1
        return self

    def close(self) -> None:
        with self._lock:
            if self._shares == 0:
                return
            self._shares -= 1
            if self._shares:
                return
            for name in list(self._held_locks):
                self.release_advisory_lock(name)
            self._conn.close()

    @property
    def closed(self) -> bool:
        return self._shares == 0

    # -- advisory locks -----------------------------------------------------------------------

    def try_advisory_lock(self, name: str) -> bool:
        """An exclusive ``flock`` on ``<file>-lock-<name>`` next to the database: released by the
        kernel when the process dies, so a killed leader never blocks the next one. In memory
        nobody else can open the database: always granted."""
        with self._lock:
            if name in self._held_locks:
                return True
            if self.path is None:
                self._held_locks[name] = None
                return True
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            handle = open(self.path.with_name(f"{self.path.name}-lock-{safe}"), "ab")  # noqa: SIM115
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._held_locks[name] = handle
            return True

    def release_advisory_lock(self, name: str) -> None:
        with self._lock:
            handle = self._held_locks.pop(name, None)
            if handle is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                handle.close()

    # -- internals ----------------------------------------------------------------------------

    def _set_synchronous(self, level: str) -> None:
        # The level cannot change inside a transaction; callers switch it only at depth 0.
        if level != self._sync:
            self._conn.execute(f"PRAGMA synchronous={level}")
            self._sync = level

    def _begin(self, durable: bool) -> None:
        self._lock.acquire()
        try:
            if self._depth == 0:
                self._set_synchronous("FULL" if durable else self._default_sync)
                self._conn.execute("BEGIN IMMEDIATE")
            elif durable and self._sync != "FULL":
                raise DatabaseError(
                    f"{self.url}: a durable transaction cannot join a transaction that is not durable"
                )
            self._depth += 1
        except BaseException:
            self._lock.release()
            raise

    def _end(self, failed: bool) -> None:
        try:
            self._depth -= 1
            if self._depth == 0:
                if failed:
                    self._conn.execute("ROLLBACK")
                else:
                    try:
                        self._conn.execute("COMMIT")
                    except BaseException:
                        if self._conn.in_transaction:
                            self._conn.execute("ROLLBACK")
                        raise
        finally:
            self._lock.release()


class _Transaction:
    """``with db.transaction() as session``: one object per kind, reused (no allocation per use)."""

    __slots__ = ("_db", "_durable")

    def __init__(self, db: SqliteDatabase, *, durable: bool) -> None:
        self._db = db
        self._durable = durable

    def __enter__(self) -> sqlite3.Connection:
        self._db._begin(self._durable)
        return self._db._conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._db._end(exc_type is not None)


class _Read:
    __slots__ = ("_db",)

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db._lock.acquire()
        return self._db._conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._db._lock.release()
