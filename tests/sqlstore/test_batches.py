"""``Database.run_batch``: several statements as one transaction, on SQLite and on a real
PostgreSQL (where they travel in one message, each prepared once per connection)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlstore import Database, DatabaseUnavailable, Migration, Schema, Statement, open_database
from tests.support.postgres import PostgresServer

SCHEMA = Schema(
    "test.batch",
    (
        Migration(
            1,
            "items",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER NOT NULL, "
            "body BLOB)",
        ),
    ),
)

INSERT = "INSERT INTO items (name, n, body) VALUES (?, ?, ?) RETURNING id"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.multinode)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = open_database(f"sqlite:///{tmp_path / 'batch.db'}")
    else:
        db = open_database(request.getfixturevalue("postgres_url"))
    db.migrate(SCHEMA)
    yield db
    db.close()


def _names(db: Database) -> list[str]:
    with db.reading() as session:
        return [row[0] for row in session.execute("SELECT name FROM items ORDER BY name").fetchall()]


def test_a_statement_the_server_cannot_prepare_is_sent_as_it_is(database: Database) -> None:
    """A batch's statements seen a second time are prepared in one message; one the server does
    not prepare (``LOCK`` is not a statement ``PREPARE`` takes) fails that message, and then runs
    unprepared while the others of the batch are prepared: every batch still runs whole."""
    batch = [
        Statement("LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE")
        if database.dialect.name == "postgresql"
        else Statement("DELETE FROM items WHERE n < 0"),
        Statement(INSERT, ("x", 1, None)),
        Statement("UPDATE items SET n = n + 1 WHERE name = ?", ("x",)),
        Statement("UPDATE items SET n = n + 1 WHERE name = ?", ("x",)),
        Statement("DELETE FROM items WHERE name = ?", ("x",)),
    ]
    for _ in range(3):
        outcomes = database.run_batch(batch)
        assert [outcome.rowcount for outcome in outcomes[1:]] == [1, 1, 1, 1]
    assert _names(database) == []


def test_a_batch_gives_each_statement_its_rows_and_rowcount(database: Database) -> None:
    for _ in range(7):  # past any prepare threshold: the same statements, prepared or not
        database.run_batch([Statement("DELETE FROM items")])
        outcomes = database.run_batch(
            [
                Statement(INSERT, ("a", 1, b"\x00'%?")),
                Statement("INSERT INTO items (name, n) VALUES (?, ?)", [("b", 2), ("c", 3)], many=True),
                Statement("UPDATE items SET n = n + 1 WHERE n >= ?", (2,)),
                Statement("SELECT name, body FROM items WHERE name = ?", ("a",)),
            ]
        )
        assert len(outcomes[0].rows) == 1 and outcomes[0].rowcount == 1
        assert outcomes[1].rowcount == 2 and outcomes[1].rows == []
        assert outcomes[2].rowcount == 2
        assert [tuple(row) for row in outcomes[3].rows] == [("a", b"\x00'%?")]
    assert _names(database) == ["a", "b", "c"]


def test_a_failing_statement_leaves_nothing_of_its_batch(database: Database) -> None:
    database.run_batch([Statement(INSERT, ("taken", 1, None))])
    for row_locks in (False, True):
        with pytest.raises(database.dialect.integrity_errors):
            database.run_batch(
                [Statement(INSERT, ("new", 1, None)), Statement(INSERT, ("taken", 2, None))],
                row_locks=row_locks,
            )
        assert _names(database) == ["taken"]
    database.run_batch([Statement(INSERT, ("after", 1, None))])  # the connection is usable again
    assert _names(database) == ["after", "taken"]


def test_a_batch_inside_a_transaction_joins_it(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.execute("INSERT INTO items (name, n) VALUES ('outer', 1)")
        database.run_batch([Statement(INSERT, ("inner", 1, None))])
        with database.reading() as read:  # the transaction sees its own batch
            assert read.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2
        raise RuntimeError("roll back")
    assert _names(database) == []


def test_a_durable_batch_commits(database: Database) -> None:
    database.run_batch([Statement(INSERT, ("kept", 1, None))], durable=True)
    assert _names(database) == ["kept"]


@pytest.mark.multinode
def test_a_batch_on_a_connection_the_server_ended_is_sent_again(postgres_url: str) -> None:
    """The pooled connection's server process is ended while idle (as a restart or an operator
    would): the next batch finds out, and goes through on a fresh connection, once."""
    db = open_database(postgres_url)
    try:
        db.migrate(SCHEMA)
        db.run_batch([Statement(INSERT, ("first", 1, None))])
        with db.reading() as session:
            pid = session.execute("SELECT pg_backend_pid()").fetchone()[0]
        killer = open_database(postgres_url)
        with killer.reading() as session:
            assert session.execute("SELECT pg_terminate_backend(?)", (pid,)).fetchone()[0]
        killer.close()
        db.run_batch([Statement(INSERT, ("second", 1, None))])
        assert _names(db) == ["first", "second"]
    finally:
        db.close()


@pytest.mark.multinode
def test_a_batch_while_the_server_is_down_fails_clearly() -> None:
    server = PostgresServer()
    try:
        db = open_database(server.new_database())
        db.migrate(SCHEMA)
        server.stop()
        with pytest.raises(DatabaseUnavailable):
            db.run_batch([Statement(INSERT, ("lost", 1, None))])
        server.start()
        db.run_batch([Statement(INSERT, ("after", 1, None))])
        assert _names(db) == ["after"]
        db.close()
    finally:
        server.destroy()


def test_a_failing_batch_inside_a_transaction_fails_it_and_leaves_the_database_usable(
    database: Database,
) -> None:
    database.run_batch([Statement(INSERT, ("taken", 1, None))])
    with pytest.raises(database.dialect.integrity_errors), database.transaction():
        database.run_batch([Statement(INSERT, ("new", 1, None)), Statement(INSERT, ("taken", 2, None))])
    for _ in range(3):  # every pooled connection is clean again
        database.run_batch([Statement("UPDATE items SET n = n + 1")])
    assert _names(database) == ["taken"]


def _logged_messages(server: PostgresServer, since: int) -> list[str]:
    """The query messages the server logged (``log_statement = all``) after byte ``since``."""
    text = (server.root / "log").read_text(errors="replace")[since:]
    return [match.strip() for match in re.findall(r"LOG:  statement: (.*?)(?=\n\S|\Z)", text, re.S)]


@pytest.fixture
def logged_database(postgres_server: PostgresServer, postgres_url: str) -> Iterator[Database]:
    """A PostgreSQL database whose sessions log every statement they are sent."""
    import psycopg

    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {postgres_url.rsplit('/', 1)[1]} SET log_statement = 'all'")
    db = open_database(postgres_url)
    db.migrate(SCHEMA)
    yield db
    db.close()


UPDATE = "UPDATE items SET n = n + 1 WHERE name = ?"


@pytest.mark.multinode
def test_statements_due_to_be_prepared_are_prepared_in_the_message_that_runs_them(
    postgres_server: PostgresServer, logged_database: Database
) -> None:
    """A batch's statements seen a second time are prepared in the same message that first
    executes them: one round trip for the batch, not a ``PREPARE`` message before it."""
    since = (postgres_server.root / "log").stat().st_size
    for n in range(3):
        logged_database.run_batch([Statement(INSERT, (f"x{n}", 1, None)), Statement(UPDATE, (f"x{n}",))])
    first, second, third = _logged_messages(postgres_server, since)
    assert "PREPARE" not in first and "EXECUTE" not in first
    assert second.count("PREPARE sqlstore_") == 2 and second.count("EXECUTE sqlstore_") == 2
    assert "PREPARE" not in third and third.count("EXECUTE sqlstore_") == 2
    assert _names(logged_database) == ["x0", "x1", "x2"]


@pytest.mark.multinode
def test_statements_prepared_by_a_message_that_failed_stay_prepared(
    postgres_server: PostgresServer, logged_database: Database
) -> None:
    """A message that prepares statements and then fails (a duplicate key) raises the statement's
    error and leaves nothing of its writes; the server kept what it prepared (``PREPARE`` is not
    transactional), and the next batches execute those statements without preparing them again."""
    logged_database.run_batch([Statement(INSERT, ("taken", 1, None)), Statement(UPDATE, ("taken",))])
    with pytest.raises(logged_database.dialect.integrity_errors):
        logged_database.run_batch([Statement(UPDATE, ("taken",)), Statement(INSERT, ("taken", 2, None))])
    assert _names(logged_database) == ["taken"]
    since = (postgres_server.root / "log").stat().st_size
    logged_database.run_batch([Statement(INSERT, ("new", 1, None)), Statement(UPDATE, ("new",))])
    (message,) = _logged_messages(postgres_server, since)
    assert "PREPARE" not in message and message.count("EXECUTE sqlstore_") == 2
    assert _names(logged_database) == ["new", "taken"]
