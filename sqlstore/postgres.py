"""A PostgreSQL database shared by several processes (psycopg 3 and its connection pool).

Why PostgreSQL: several backends (on several hosts) and several ``ros`` processes must see one set
of stacks, functions, keys and one async queue. A server database gives them that, with row locks
(``FOR UPDATE SKIP LOCKED``) for claims and session advisory locks for electing one leader.

How the :class:`~sqlstore.database.Database` contract is kept:

* **Write transactions serialise** like SQLite's ``BEGIN IMMEDIATE``: a transaction takes the
  transaction-level advisory lock :data:`WRITE_LOCK` first, so two read-check-write transactions
  (a stack's owner, a RAM key's uniqueness) never interleave, whichever process runs them. A
  transaction opened with ``row_locks=True`` skips it: its statements lock the rows they touch
  themselves (the async queue's claims), so claims of several backends run side by side.
* **Batches** (:meth:`PostgresDatabase.run_batch`): statements that need no answer before the
  next is sent travel as one message, which the server runs as one transaction: one round trip
  for a unit of work (a resource's row and its event). A statement a connection sends a second
  time is prepared there, in the message that runs it when the message is its own transaction
  (else all of a batch's in one message before it), and from then on the message runs it with
  ``EXECUTE``; values are quoted by the driver (``ClientCursor``), statement by statement.
* **Re-entrant per thread**: a thread's inner transaction (and its reads) join the outer one on the
  same connection, so reads inside a transaction see its own writes, as on SQLite.
* **Durability**: :attr:`Durability.CRASH_SAFE` sets ``synchronous_commit=off`` on the pool's
  connections (a kill of any client never loses a commit; a crash of the server may lose the last
  few), ``POWER_SAFE`` and ``transaction(durable=True)`` wait for the server's WAL flush.
* **Placeholders**: stores write ``?``; they are translated to psycopg's ``%s`` once per statement
  text (``%`` doubled, string literals left alone). Booleans are stored as 0/1, as on SQLite.
* **Migrations** are written once, with SQLite's type names; :func:`postgres_ddl` maps them
  (``INTEGER`` -> ``BIGINT``, ``REAL`` -> ``DOUBLE PRECISION``, ``BLOB`` -> ``BYTEA``, an
  ``INTEGER PRIMARY KEY`` -> an identity column, ``TEXT`` compared bytewise like SQLite's).
* **Faults**: a connection the server dropped is replaced on the next use (a transaction that
  cannot even begin is retried once on a fresh connection); a failure inside a transaction rolls
  it back and is raised as :class:`DatabaseUnavailable` naming the database. Nothing half-written
  survives: the server discards an uncommitted transaction with its connection.
* **Opening** connects once at once, so a wrong host, port, database name, user or password is
  refused when the store opens, with the server's own reason; that connection is kept and used
  first (a ``ros`` command pays for one connection), the pool makes more when threads need them.
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.adapt import AdaptersMap, Dumper
from psycopg_pool import ConnectionPool, PoolTimeout

from sqlstore.database import Cursor, Database, Durability, Outcome, Session, Statement
from sqlstore.dialect import Dialect, split_statements
from sqlstore.errors import DatabaseError, DatabaseUnavailable
from sqlstore.url import DatabaseUrl

# The transaction-level advisory lock every serialising write transaction takes first.
WRITE_LOCK = "sqlstore.write"
# Connections the pool keeps for one process: the API's request threads, the async workers and
# the invocation recorder write at once; more would only queue on the write lock.
POOL_MAX = 10
CONNECT_TIMEOUT_S = 5
# Prepared statements one connection keeps at most (stores send a few dozen distinct writes).
MAX_PREPARED = 256
# How long to wait for a pooled connection before connecting directly (see _getconn).
FAST_GETCONN_S = 0.5


def lock_key(name: str) -> int:
    """The signed 64-bit key PostgreSQL's advisory locks take, derived from a lock's name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


_WRITE_KEY = lock_key(WRITE_LOCK)
_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|%")


@dataclass(frozen=True, slots=True)
class PreparedForm:
    """A statement as a named server-side prepared statement: its ``PREPARE`` and the
    ``EXECUTE`` text that runs it with psycopg's ``%s`` parameters."""

    name: str
    prepare: str
    execute: str


def prepared_form(sql: str) -> PreparedForm:
    """``?`` placeholders numbered ``$1, $2, ...`` (outside string literals) for ``PREPARE``."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group(0)
        if token != "?":
            return token
        count += 1
        return f"${count}"

    numbered = _TOKENS.sub(number, sql)
    name = "sqlstore_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    arguments = f"({', '.join('%s' for _ in range(count))})" if count else ""
    return PreparedForm(name, f"PREPARE {name} AS {numbered}", f"EXECUTE {name}{arguments}")


def translate_placeholders(sql: str) -> str:
    """``?`` -> ``%s`` and ``%`` -> ``%%`` outside string literals (psycopg's parameter style)."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        return "%s" if token == "?" else "%%" if token == "%" else token

    return _TOKENS.sub(swap, sql)


# SQLite type names in migration scripts and what they mean on PostgreSQL (64-bit integers: the
# stores keep epoch milliseconds and sizes; REAL is float4 on PostgreSQL, too narrow for times; an
# INTEGER PRIMARY KEY numbers rows by itself on SQLite).
_DDL_TYPES = (
    (
        re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b"),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    # Byte order, as SQLite compares text: listings sort the same on both.
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


class PostgresDialect(Dialect):
    name = "postgresql"
    has_legacy_layouts = False
    integrity_errors: tuple[type[Exception], ...] = (psycopg.IntegrityError,)

    @property
    def claim_clause(self) -> str:
        return "FOR UPDATE SKIP LOCKED"

    @property
    def row_lock_clause(self) -> str:
        return "FOR UPDATE"

    def run_script(self, session: Session, script: str) -> None:
        for statement in split_statements(postgres_ddl(script)):
            session.execute(statement)


def postgres_ddl(script: str) -> str:
    """A migration script written with SQLite's type names, in PostgreSQL's."""
    for pattern, replacement in _DDL_TYPES:
        script = pattern.sub(replacement, script)
    return script


class _BoolAsInteger(Dumper):
    """Python booleans as 0/1 integers, as SQLite stores them: the stores' columns are integers
    (their migrations are written once for both kinds of database) and read back with ``bool()``."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


ADAPTERS = AdaptersMap(psycopg.adapters)
ADAPTERS.register_dumper(bool, _BoolAsInteger)


class _Session:
    """A psycopg connection seen through the :class:`Session` protocol (``?`` placeholders).

    A transaction's opening statements (``BEGIN``, the write lock, the durability setting) wait in
    ``begin`` and travel in one pipeline with the transaction's first statement: one round trip
    to the server instead of two, on every write."""

    __slots__ = ("_db", "_cache", "conn", "begin", "answered")

    def __init__(
        self,
        db: PostgresDatabase,
        conn: psycopg.Connection[Any],
        cache: dict[str, str],
        begin: tuple[str, ...] = (),
    ) -> None:
        self._db = db
        self._cache = cache
        self.conn = conn
        self.begin = begin
        # Whether the server answered any statement of a batch that then failed.
        self.answered = False

    def _sql(self, sql: str) -> str:
        translated = self._cache.get(sql)
        if translated is None:
            translated = self._cache[sql] = translate_placeholders(sql)
        return translated

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        if self.begin:
            return self._first(lambda conn: conn.execute(self._sql(sql), parameters or None))
        return self.conn.execute(self._sql(sql), parameters or None)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        def run(conn: psycopg.Connection[Any]) -> Cursor:
            cursor = conn.cursor()
            cursor.executemany(self._sql(sql), parameters)
            return cursor

        return self._first(run) if self.begin else run(self.conn)

    def run_together(
        self,
        statements: Sequence[Statement],
        tail: Sequence[str] = (),
        *,
        prepare: bool = False,
        fold: bool = False,
    ) -> list[Outcome]:
        """``statements`` as one query text, after the transaction's pending opening statements
        and before ``tail`` (``COMMIT``): one message and one round trip for all of them.
        ``prepare``: nothing of a transaction ran on the connection yet, so statements new to it
        may be prepared first (a failing ``PREPARE`` must not abort an open transaction).

        Why one text and not a pipeline: the statements of a batch are a handful of small writes,
        and psycopg's pipeline costs the client more work per batch than the round trips it
        saves. A statement the connection has sent before is prepared (``PREPARE``,
        :meth:`PostgresDatabase._prepare_new`) and the text runs it (``EXECUTE name(values)``), so
        the server neither parses nor plans it again. The values are quoted as literals by the
        driver (psycopg's ``ClientCursor``) one statement at a time: the driver keeps each
        statement's parsed form, where a whole message of a new shape (a wave of the engine
        groups as many steps as were ready) would be parsed anew. A statement with ``many`` rows
        is repeated once per row.

        ``fold``: the message is its own transaction (no ``BEGIN`` in it), so the statements due
        to be prepared are prepared in the same message, ahead of it, instead of one round trip
        before it. ``PREPARE`` is not undone when the message fails (the server keeps what it
        prepared), so after a failure the connection's prepared statements are asked for, and
        the message, which changed nothing, is sent again as without ``fold``: one that the
        server refuses to prepare is then found out and sent as it is."""
        cursor = psycopg.ClientCursor(self.conn)
        sqls = [statement.sql for statement in statements]
        folded = self._db._due_forms(self.conn, sqls) if prepare and fold else {}
        if prepare and not fold:
            self._db._prepare_new(self.conn, sqls)
        opening = self.begin
        parts = [form.prepare for form in folded.values()]
        parts.extend(self.begin)
        counts: list[int] = []  # how many results each statement gives
        for statement in statements:
            if prepare:
                sql = self._db._executable(self.conn, statement.sql, folded)
            else:
                sql = self._sql(statement.sql)
            rows = list(statement.parameters) if statement.many else [statement.parameters]
            parts.extend(cursor.mogrify(sql, tuple(row)) for row in rows)
            counts.append(len(rows))
        parts.extend(tail)
        self.begin = ()  # sent with this message: whatever happens, the transaction has begun
        try:
            cursor.execute("; ".join(parts))
        except psycopg.OperationalError:
            self.answered = cursor.pgresult is not None
            raise
        except psycopg.Error:
            if not folded:
                raise
            self._db._learn_prepared(self.conn)
            self.begin = opening
            return self.run_together(statements, tail, prepare=True)
        if folded:
            self._db._mark_prepared(self.conn, folded)
        for _ in range(len(parts) - len(tail) - sum(counts)):
            cursor.nextset()  # the opening statements' results
        outcomes = []
        for count in counts:
            rows_out: list[Any] = []
            rowcount = 0
            for _ in range(count):
                if cursor.description is not None:
                    rows_out.extend(cursor.fetchall())
                rowcount += max(cursor.rowcount, 0)
                cursor.nextset()
            outcomes.append(Outcome(rows_out, rowcount))
        return outcomes

    def _first(self, run: Callable[[psycopg.Connection[Any]], Cursor]) -> Cursor:
        """The transaction's first statement, sent with its opening statements. A connection the
        server had dropped (found out only now) is replaced once: nothing had begun on it. Where
        the server answered, even with an error, the transaction has begun and is ended by the
        caller's rollback."""
        for attempt in (1, 2):
            try:
                with self.conn.pipeline():
                    for statement in self.begin:
                        self.conn.execute(statement)
                    cursor = run(self.conn)
                self.begin = ()
                return cursor
            except psycopg.OperationalError:
                if not (self.conn.broken or self.conn.closed):
                    self.begin = ()
                    raise
                if attempt == 2:
                    raise
                self.conn = self._db._replace(self.conn)
            except psycopg.Error:
                self.begin = ()
                raise
        raise AssertionError("unreachable")


_UNSEEN = object()
IDLE = psycopg.pq.TransactionStatus.IDLE


def _lock(row_locks: bool) -> tuple[str, ...]:
    return () if row_locks else (f"SELECT pg_advisory_xact_lock({_WRITE_KEY})",)


def _opening(durable: bool, row_locks: bool) -> tuple[str, ...]:
    """What a write transaction sends first: ``BEGIN``, the durability it asks for, and the write
    lock unless its statements lock their own rows."""
    durability = ("SET LOCAL synchronous_commit TO on",) if durable else ()
    return ("BEGIN", *durability, *_lock(row_locks))


class _ThreadState(threading.local):
    session: _Session | None = None
    depth: int = 0
    durable: bool = False


class PostgresDatabase(Database):
    dialect = PostgresDialect()

    def __init__(
        self,
        url: DatabaseUrl,
        *,
        durability: Durability = Durability.CRASH_SAFE,
        busy_timeout_s: float = 5.0,
        pool_max: int = POOL_MAX,
    ) -> None:
        if url.scheme != "postgresql":
            raise DatabaseError(f"{url} is not a PostgreSQL database URL")
        self.url = url
        self._conninfo = "postgresql" + url.text[url.text.index(":") :]
        options = f"-c lock_timeout={int(busy_timeout_s * 1000)}"
        if durability is Durability.CRASH_SAFE:
            options += " -c synchronous_commit=off"
        self._kwargs: dict[str, Any] = {"autocommit": True, "options": options, "context": ADAPTERS}
        # The connection that checked the URL is kept and used first (the keeper), so opening
        # costs one connection and its authentication, not two; the pool makes more on demand.
        self._keeper: psycopg.Connection[Any] | None = self._check_reachable()
        self._spare: psycopg.Connection[Any] | None = self._keeper  # the keeper while unused
        # Connections not from the pool (the keeper, and those made when the pool had none).
        self._foreign: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet([self._keeper])
        # A database dropped without close() closes its keeper too, as the pool's connections are.
        weakref.finalize(self, self._keeper.close)
        self._pool = ConnectionPool(
            self._conninfo,
            min_size=0,
            max_size=pool_max,
            kwargs=self._kwargs,
            timeout=busy_timeout_s + CONNECT_TIMEOUT_S,
            reconnect_timeout=60.0,
            open=False,
            name=f"sqlstore {url}",
        )
        self._pool.open()
        self._local = _ThreadState()
        self._sql_cache: dict[str, str] = {}
        self._lock = threading.RLock()
        self._shares = 1
        self._lock_conn: psycopg.Connection[Any] | None = None
        self._held_locks: set[str] = set()
        # Statement text -> its prepared form; per connection, the names prepared on it, and
        # those sent on it once (prepared the next time).
        self._forms: dict[str, PreparedForm | None] = {}
        self._prepared: weakref.WeakKeyDictionary[psycopg.Connection[Any], set[str]] = (
            weakref.WeakKeyDictionary()
        )
        self._sighted: weakref.WeakKeyDictionary[psycopg.Connection[Any], set[str]] = (
            weakref.WeakKeyDictionary()
        )

    def _check_reachable(self) -> psycopg.Connection[Any]:
        """Connect once, so a wrong URL or credentials are refused now with the server's reason
        (the pool would only retry in the background and time out without saying why)."""
        try:
            return psycopg.connect(self._conninfo, connect_timeout=CONNECT_TIMEOUT_S, **self._kwargs)
        except psycopg.ProgrammingError as exc:  # a malformed connection string
            raise DatabaseError(f"database URL {self.url}: {exc}") from exc
        except psycopg.OperationalError as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines()) or type(exc).__name__
            raise DatabaseUnavailable(f"cannot connect to {self.url}: {reason}") from exc

    # -- transactions and reads ---------------------------------------------------------------

    def transaction(self, *, durable: bool = False, row_locks: bool = False) -> Any:
        return self._transaction(durable, row_locks)

    @contextmanager
    def _transaction(self, durable: bool, row_locks: bool) -> Iterator[Session]:
        state = self._local
        if state.depth:
            if durable and not state.durable:
                raise DatabaseError(
                    f"{self.url}: a durable transaction cannot join a transaction that is not durable"
                )
            state.depth += 1
            try:
                assert state.session is not None
                yield state.session
            finally:
                state.depth -= 1
            return
        session = _Session(self, self._getconn(), self._sql_cache, _opening(durable, row_locks))
        state.session, state.depth, state.durable = session, 1, durable
        failed = True
        try:
            yield session
            failed = False
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(f"{self.url}: the transaction was rolled back: {exc}") from exc
        finally:
            state.session, state.depth, state.durable = None, 0, False
            if session.begin:  # no statement ran: nothing was begun on the server
                self._release(session.conn)
            else:
                self._end(session.conn, failed)

    def run_batch(
        self, statements: Sequence[Statement], *, durable: bool = False, row_locks: bool = False
    ) -> list[Outcome]:
        """The write lock and the statements in one message, one transaction: one round trip.

        A pooled connection the server had ended while it was idle (a restart,
        ``pg_terminate_backend``) is found out only by this use; when no answer at all came back
        on it, the batch is sent once more on a fresh connection. A failure after an answer came
        back is raised as :class:`DatabaseUnavailable` (the server discarded the transaction
        unless its ``COMMIT`` had run, as with any commit whose reply is lost)."""
        state = self._local
        if state.depth:
            if durable and not state.durable:
                raise DatabaseError(
                    f"{self.url}: a durable transaction cannot join a transaction that is not durable"
                )
            assert state.session is not None
            session = state.session
            return session.run_together(statements, prepare=bool(session.begin))
        # Without durability asked for, the statements need no BEGIN and COMMIT: the server runs
        # the statements of one message as one transaction (all or nothing) by itself.
        opening, closing = (_opening(durable, row_locks), ("COMMIT",)) if durable else (_lock(row_locks), ())
        conn = self._getconn()
        for attempt in (1, 2):
            session = _Session(self, conn, self._sql_cache, opening)
            try:
                return_value = session.run_together(statements, closing, prepare=True, fold=not durable)
            except psycopg.OperationalError as exc:
                if not (conn.broken or conn.closed):
                    self._abandon(conn)
                    raise DatabaseUnavailable(f"{self.url}: the transaction was rolled back: {exc}") from exc
                self._discard(conn)
                if attempt == 2 or session.answered:
                    raise DatabaseUnavailable(f"{self.url}: the transaction did not complete: {exc}") from exc
                conn = self._getconn()
                continue
            except BaseException:
                self._abandon(conn)
                raise
            self._release(conn)
            return return_value
        raise AssertionError("unreachable")

    def _prepare_new(self, conn: psycopg.Connection[Any], statements: Sequence[str]) -> None:
        """Prepare on ``conn`` the statements of a batch that are due (:meth:`_due_forms`), all in
        one message (one round trip for them all, not one each). When the message fails (a
        statement the server does not prepare), each is prepared alone and the one that fails
        is sent as it is from then on."""
        due = self._due_forms(conn, statements)
        if not due:
            return
        with self._lock:
            names = self._prepared.setdefault(conn, set())
        try:
            conn.execute("; ".join(form.prepare for form in due.values()))
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError):  # the connection: the caller's concern
                raise
            for form in due.values():
                self._prepare_one(conn, form, names)
            return
        self._mark_prepared(conn, due)

    def _due_forms(self, conn: psycopg.Connection[Any], statements: Sequence[str]) -> dict[str, PreparedForm]:
        """The statements of a batch to prepare on ``conn`` now: those it sees for the second
        time (before, or twice in this batch) and has not prepared, by name; none once
        ``MAX_PREPARED`` would be passed.

        Why not at the first sighting: a statement a process sends once (a stack's insert, its
        lock) would hold a prepared statement and never profit; one sent again (a resource's
        row, an event) is prepared then and its later runs are neither parsed nor planned."""
        with self._lock:
            names = self._prepared.setdefault(conn, set())
            seen = self._sighted.setdefault(conn, set())
        due: dict[str, PreparedForm] = {}
        for sql in statements:
            form = self._forms.get(sql, _UNSEEN)
            if form is _UNSEEN:
                form = self._forms[sql] = prepared_form(sql)
            if not isinstance(form, PreparedForm) or form.name in names:
                continue
            if form.name in seen:
                due[form.name] = form
            seen.add(form.name)
        if len(names) + len(due) > MAX_PREPARED:
            return {}
        return due

    def _mark_prepared(self, conn: psycopg.Connection[Any], forms: Mapping[str, PreparedForm]) -> None:
        with self._lock:
            self._prepared.setdefault(conn, set()).update(forms)

    def _learn_prepared(self, conn: psycopg.Connection[Any]) -> None:
        """Ask the server which of our statements ``conn`` has prepared (after a message that
        prepared some failed: what it prepared stays)."""
        rows = conn.execute(
            "SELECT name FROM pg_prepared_statements WHERE starts_with(name, 'sqlstore_')"
        ).fetchall()
        with self._lock:
            self._prepared[conn] = {str(row[0]) for row in rows}

    def _prepare_one(self, conn: psycopg.Connection[Any], form: PreparedForm, names: set[str]) -> None:
        try:
            conn.execute(form.prepare)
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError):
                raise
            for sql, known in list(self._forms.items()):
                if known == form:
                    self._forms[sql] = None  # not a statement the server prepares: sent as it is
            return
        names.add(form.name)

    def _executable(
        self, conn: psycopg.Connection[Any], sql: str, preparing: Mapping[str, PreparedForm] | None = None
    ) -> str:
        """The text that runs ``sql`` on ``conn``: ``EXECUTE`` of its prepared statement where
        :meth:`_prepare_new` prepared it on this connection (or the same message prepares it
        first: ``preparing``), else the statement itself."""
        form = self._forms.get(sql)
        if form is not None:
            if preparing and form.name in preparing:
                return form.execute
            with self._lock:
                prepared = form.name in self._prepared.get(conn, ())
            if prepared:
                return form.execute
        return translate_placeholders(sql)

    def _abandon(self, conn: psycopg.Connection[Any]) -> None:
        """Roll back what a failed batch left open on ``conn`` and give the connection back."""
        try:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
        except psycopg.Error:
            self._discard(conn)
            return
        self._release(conn)

    def _replace(self, conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
        """A fresh connection for one the server dropped (failing at once, with the reason, if the
        server is not there at all: :meth:`_getconn`)."""
        self._discard(conn)
        return self._getconn()

    def _end(self, conn: psycopg.Connection[Any], failed: bool) -> None:
        try:
            conn.execute("ROLLBACK" if failed else "COMMIT")
        except psycopg.OperationalError as exc:
            self._discard(conn)
            if not failed:
                raise DatabaseUnavailable(f"{self.url}: the commit did not complete: {exc}") from exc
            return
        except BaseException:
            self._discard(conn)
            raise
        self._release(conn)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """Reads run on an autocommit connection with no probe first (a round trip per read would
        double their cost): a read on a connection the server dropped fails once with
        :class:`DatabaseUnavailable`, and the connection is replaced for the next one."""
        state = self._local
        if state.depth:
            assert state.session is not None
            yield state.session
            return
        conn = self._getconn()
        try:
            yield _Session(self, conn, self._sql_cache)
        except psycopg.OperationalError as exc:
            self._discard(conn)
            raise DatabaseUnavailable(f"{self.url}: {exc}") from exc
        except BaseException:
            self._release(conn)
            raise
        else:
            self._release(conn)

    def reading(self) -> Any:
        return self._read()

    def _getconn(self) -> psycopg.Connection[Any]:
        """A pooled connection. When none comes at once, ask whether the server is there at all:
        if not, fail now with its reason (rather than after the pool's timeout); if it is (it
        came back while the pool still waits to reconnect, or every connection is busy), use a
        connection of our own for this one use."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            if not (spare.closed or spare.broken):
                return spare
            self._release(spare)  # ended while idle (found out by a failed use): closed for good
        try:
            return self._pool.getconn(timeout=FAST_GETCONN_S)
        except PoolTimeout:
            pass
        try:
            conn = psycopg.connect(self._conninfo, connect_timeout=CONNECT_TIMEOUT_S, **self._kwargs)
        except psycopg.OperationalError as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines()) or type(exc).__name__
            raise DatabaseUnavailable(f"cannot connect to {self.url}: {reason}") from exc
        with self._lock:
            self._foreign.add(conn)
        return conn

    def _release(self, conn: psycopg.Connection[Any]) -> None:
        keeper = conn is self._keeper
        if keeper and not conn.closed and conn.info.transaction_status != IDLE:
            try:  # a safety net, as the pool has for its own: every transaction ends itself
                conn.execute("ROLLBACK")
            except psycopg.Error:
                conn.close()
        with self._lock:
            if keeper:
                if self._shares > 0 and not (conn.closed or conn.broken):
                    self._spare = conn  # kept for the next use
                    return
                self._keeper = None  # gone for good: the pool's connections from now on
            foreign = conn in self._foreign
        if foreign:
            conn.close()
        else:
            self._pool.putconn(conn)

    def _discard(self, conn: psycopg.Connection[Any]) -> None:
        """Give back a connection that failed; the pool replaces it if it is broken."""
        if not conn.closed:
            conn.close()
        self._release(conn)

    # -- advisory locks -----------------------------------------------------------------------

    def try_advisory_lock(self, name: str) -> bool:
        """A session-level ``pg_try_advisory_lock`` on a connection of its own, held until released
        or until that connection ends: the server frees it when the holder dies or loses its
        connection, and then another process takes it. A holder whose connection was lost is
        asked again, so it learns whether it still leads."""
        with self._lock:
            conn = self._lock_conn
            if conn is not None and name in self._held_locks:
                try:
                    conn.execute("SELECT 1")
                    return True
                except psycopg.OperationalError:
                    conn.close()
            if conn is None or conn.closed or conn.broken:
                self._held_locks.clear()
                try:
                    conn = self._lock_conn = psycopg.connect(
                        self._conninfo, connect_timeout=CONNECT_TIMEOUT_S, **self._kwargs
                    )
                except psycopg.OperationalError:
                    self._lock_conn = None
                    return False
            try:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
            except psycopg.OperationalError:
                conn.close()
                return False
            if row and row[0]:
                self._held_locks.add(name)
                return True
            return False

    def release_advisory_lock(self, name: str) -> None:
        with self._lock:
            if name not in self._held_locks or self._lock_conn is None:
                return
            self._held_locks.discard(name)
            try:
                self._lock_conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))
            except psycopg.OperationalError:
                self._lock_conn.close()

    # -- lifetime ----------------------------------------------------------------------------

    def retain(self) -> PostgresDatabase:
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
            if self._lock_conn is not None:
                if self._held_locks:  # handed over now: the server ends a closed session later
                    try:
                        self._lock_conn.execute("SELECT pg_advisory_unlock_all()")
                    except psycopg.Error:
                        pass
                self._lock_conn.close()
                self._lock_conn = None
            self._held_locks.clear()
            spare, self._spare, self._keeper = self._spare, None, None
        if spare is not None:
            spare.close()
        self._pool.close()

    @property
    def closed(self) -> bool:
        return self._shares == 0
