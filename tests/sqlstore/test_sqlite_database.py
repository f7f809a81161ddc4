"""The shared SQLite layer: pragmas, transactions, advisory locks, URLs, the set of databases."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from sqlstore import (
    DatabaseError,
    DatabaseSet,
    DatabaseUrl,
    DatabaseUrlError,
    Durability,
    SqliteDatabase,
    open_database,
)
from sqlstore.dialect import split_statements
from tests.support.paths import REPO


def _pragma(database: SqliteDatabase, name: str) -> object:
    with database.reading() as session:
        return session.execute(f"PRAGMA {name}").fetchone()[0]


def _table(database: SqliteDatabase) -> None:
    with database.transaction() as session:
        session.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")


def _values(database: SqliteDatabase) -> list[tuple[str, int]]:
    with database.reading() as session:
        return [(k, v) for k, v in session.execute("SELECT k, v FROM t ORDER BY k").fetchall()]


def test_a_file_opens_in_wal_with_the_durability_asked_for(tmp_path: Path) -> None:
    crash_safe = SqliteDatabase(tmp_path / "a.db")
    power_safe = SqliteDatabase(tmp_path / "b.db", durability=Durability.POWER_SAFE, busy_timeout_s=7)
    assert _pragma(crash_safe, "journal_mode") == "wal"
    assert _pragma(crash_safe, "synchronous") == 1  # NORMAL
    assert _pragma(power_safe, "synchronous") == 2  # FULL
    assert _pragma(power_safe, "busy_timeout") == 7000
    assert _pragma(crash_safe, "foreign_keys") == 1
    crash_safe.close()
    power_safe.close()


def test_a_durable_transaction_commits_with_full_sync_then_the_default_returns(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "a.db")
    _table(database)
    seen: list[object] = []
    with database.transaction(durable=True) as session:
        seen.append(session.execute("PRAGMA synchronous").fetchone()[0])
        session.execute("INSERT INTO t VALUES ('a', 1)")
    with database.transaction() as session:
        seen.append(session.execute("PRAGMA synchronous").fetchone()[0])
    assert seen == [2, 1]
    with database.transaction(), pytest.raises(DatabaseError, match="cannot join"):  # noqa: SIM117
        with database.transaction(durable=True):
            pass
    database.close()


def test_a_failed_transaction_leaves_nothing_and_nested_ones_join_the_outer(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "a.db")
    _table(database)
    with pytest.raises(ValueError), database.transaction() as session:
        session.execute("INSERT INTO t VALUES ('a', 1)")
        with database.transaction() as inner:
            inner.execute("INSERT INTO t VALUES ('b', 2)")
        raise ValueError("boom")
    assert _values(database) == []
    with database.transaction() as session:
        session.execute("INSERT INTO t VALUES ('a', 1)")
        with database.transaction() as inner:
            inner.execute("INSERT INTO t VALUES ('b', 2)")
    assert _values(database) == [("a", 1), ("b", 2)]
    database.close()


def test_racing_writers_never_interleave_a_read_check_write(tmp_path: Path) -> None:
    """Each thread reads the counter and writes it plus one inside a transaction: no increment
    may be lost, whichever connection (the shared one, or a second opening of the file) runs it."""
    first = SqliteDatabase(tmp_path / "a.db")
    second = SqliteDatabase(tmp_path / "a.db")
    _table(first)
    with first.transaction() as session:
        session.execute("INSERT INTO t VALUES ('n', 0)")

    def bump(database: SqliteDatabase) -> None:
        for _ in range(50):
            with database.transaction() as session:
                value = session.execute("SELECT v FROM t WHERE k = 'n'").fetchone()[0]
                session.execute("UPDATE t SET v = ? WHERE k = 'n'", (value + 1,))

    threads = [threading.Thread(target=bump, args=(db,)) for db in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _values(first) == [("n", 200)]
    first.close()
    second.close()


def test_a_failed_commit_is_rolled_back_and_reported(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "a.db")
    with database.transaction() as session:
        session.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)")
        session.execute(
            "CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
        )
    with pytest.raises(sqlite3.IntegrityError), database.transaction() as session:
        session.execute("INSERT INTO child VALUES ('missing')")  # checked at COMMIT
    with database.reading() as session:
        assert session.execute("SELECT count(*) FROM child").fetchone()[0] == 0
    with database.transaction() as session:  # the connection is usable again
        session.execute("INSERT INTO parent VALUES ('p')")
    database.close()


def test_the_advisory_lock_elects_one_process_and_frees_with_it(tmp_path: Path) -> None:
    holder = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from sqlstore import SqliteDatabase
        database = SqliteDatabase(sys.argv[1])
        print(database.try_advisory_lock("leader"), flush=True)
        sys.stdin.read()
    """)
    path = tmp_path / "a.db"
    with subprocess.Popen(
        [sys.executable, "-c", holder, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as other:
        assert other.stdout is not None and other.stdout.readline().strip() == "True"
        database = SqliteDatabase(path)
        assert not database.try_advisory_lock("leader")
        assert database.try_advisory_lock("another lock")
        other.kill()
        other.wait()
    assert database.try_advisory_lock("leader")
    assert database.try_advisory_lock("leader")  # held: asking again is a yes
    database.release_advisory_lock("leader")
    database.close()


def test_in_memory_databases_are_private() -> None:
    one, two = open_database("sqlite://"), open_database("sqlite:///:memory:")
    _table(one)  # type: ignore[arg-type]
    with two.reading() as session:
        assert session.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    assert one.try_advisory_lock("x")
    one.close()
    two.close()


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("sqlite:///tmp/x/state.db", Path("/tmp/x/state.db")),
        ("sqlite:////tmp/x/state.db", Path("/tmp/x/state.db")),
        ("SQLITE:///tmp/x.db", Path("/tmp/x.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
    ],
)
def test_sqlite_urls(text: str, path: Path | None) -> None:
    url = DatabaseUrl.parse(text)
    assert (url.scheme, url.path) == ("sqlite", path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/var/lib/state.db", "has no scheme"),
        ("sqlite://host/state.db", "names a file, not a host"),
        ("sqlite:///x.db?mode=ro", "no query"),
        ("mysql://root@db/ros", "no support for 'mysql' databases \\(supported: postgresql, sqlite\\)"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(DatabaseUrlError, match=message):
        open_database(text)


def test_a_password_never_appears_in_messages() -> None:
    with pytest.raises(DatabaseUrlError) as caught:
        open_database("mysql://ros:s3cret@db.example:5432/ros")
    assert "s3cret" not in str(caught.value)
    assert "ros:***@db.example:5432" in str(caught.value)


def test_a_database_set_gives_each_group_its_file_or_everyone_one_database(tmp_path: Path) -> None:
    separate = DatabaseSet(tmp_path / "state")
    fc, queue = separate.open("fc"), separate.open("async")
    assert fc is separate.open("fc") and fc is not queue
    assert (tmp_path / "state" / "fc.db").exists() and (tmp_path / "state" / "async.db").exists()
    separate.close()
    shared = DatabaseSet(tmp_path / "unused", f"sqlite://{tmp_path / 'all.db'}")
    assert shared.open("fc") is shared.open("async")
    assert not (tmp_path / "unused").exists()
    shared.close()


def test_scripts_split_into_statements_keeping_semicolons_in_strings_and_triggers() -> None:
    script = """
        CREATE TABLE a (x TEXT DEFAULT 'a;b'); CREATE TABLE b (y INTEGER);
        CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); END;
        -- a comment; with a semicolon
    """
    statements = split_statements(script)
    assert statements[0] == "CREATE TABLE a (x TEXT DEFAULT 'a;b');"
    assert statements[1] == "CREATE TABLE b (y INTEGER);"
    assert statements[2].startswith("CREATE TRIGGER") and statements[2].endswith("END;")
    database = SqliteDatabase(DatabaseUrl.memory())
    with database.transaction() as session:
        for statement in statements:
            session.execute(statement)
        session.execute("INSERT INTO a VALUES ('z')")
        assert session.execute("SELECT y FROM b").fetchall() == [(1,)]
    database.close()


def test_stores_sharing_a_database_close_independently(tmp_path: Path) -> None:
    databases = DatabaseSet(tmp_path, f"sqlite://{tmp_path / 'one.db'}")
    first, second = databases.open("fc"), databases.open("async")
    assert first is second
    first.close()  # one user done: the other still works
    with second.transaction() as session:
        session.execute("CREATE TABLE t (x INTEGER)")
    second.close()
    assert second.closed
    third = databases.open("timers")  # opened afresh once everyone had closed it
    assert third is not second and not third.closed
    databases.close()
    assert third.closed
