"""Migrations: numbered per store, recorded in one ledger, applied once, atomically, at open."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sqlstore import Migration, Schema, SchemaTooNew, Session, SqliteDatabase


def _ledger(path: Path) -> list[tuple[str, int, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT store, version, name FROM schema_migrations ORDER BY store, version")
        return [(s, v, n) for s, v, n in rows.fetchall()]
    finally:
        conn.close()


NOTES_V1 = Schema("notes", (Migration(1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"),))
NOTES_V2 = Schema(
    "notes",
    (
        *NOTES_V1.migrations,
        Migration(2, "note authors", "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''"),
    ),
)


def test_each_store_records_its_own_numbered_migrations(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "a.db")
    tags = Schema("tags", (Migration(1, "tags", "CREATE TABLE tags (name TEXT PRIMARY KEY)"),))
    assert database.migrate(NOTES_V1) == 1
    assert database.migrate(tags) == 1
    assert database.migrate(NOTES_V2) == 2
    assert database.migrate(NOTES_V2) == 2  # nothing left to do
    database.close()
    assert _ledger(tmp_path / "a.db") == [
        ("notes", 1, "notes"),
        ("notes", 2, "note authors"),
        ("tags", 1, "tags"),
    ]


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "a.db")
    database.migrate(NOTES_V1)
    broken = Schema(
        "notes",
        (
            *NOTES_V1.migrations,
            Migration(2, "a column", "ALTER TABLE notes ADD COLUMN flag INTEGER"),
            Migration(3, "a typo", "ALTER TABLE nowhere ADD COLUMN x"),
        ),
    )
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        database.migrate(broken)
    with database.reading() as session:
        columns = [row[1] for row in session.execute("PRAGMA table_info(notes)").fetchall()]
    assert columns == ["id", "text"]
    database.close()
    assert _ledger(tmp_path / "a.db") == [("notes", 1, "notes")]


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "a.db")
    database.migrate(NOTES_V2)
    with pytest.raises(SchemaTooNew, match="'notes' is at schema version 2, newer than this rosengine knows"):
        database.migrate(NOTES_V1)
    database.close()


def test_a_layout_older_than_the_ledger_is_adopted_at_its_own_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.executescript("""
        CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);
        INSERT INTO notes (text) VALUES ('kept');
        CREATE TABLE notes_version (v INTEGER);
        INSERT INTO notes_version VALUES (1);
    """)
    conn.close()

    def adopt(session: Session) -> int:
        version = session.execute("SELECT v FROM notes_version").fetchone()[0]
        session.execute("DROP TABLE notes_version")
        return int(version)

    database = SqliteDatabase(tmp_path / "a.db")
    database.migrate(Schema("notes", NOTES_V2.migrations, adopt=adopt))
    with database.reading() as session:
        assert session.execute("SELECT text, author FROM notes").fetchall() == [("kept", "")]
    database.close()
    assert _ledger(tmp_path / "a.db") == [("notes", 1, "notes (adopted)"), ("notes", 2, "note authors")]


def test_two_openers_at_once_apply_each_migration_once(tmp_path: Path) -> None:
    applied: list[int] = []

    def count(session: Session) -> None:
        applied.append(1)
        session.execute("CREATE TABLE counted (x INTEGER)")

    schema = Schema("counted", (Migration(1, "counted", count),))
    databases = [SqliteDatabase(tmp_path / "a.db") for _ in range(4)]
    threads = [threading.Thread(target=db.migrate, args=(schema,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in databases:
        db.close()
    assert applied == [1]


def test_an_up_to_date_database_opens_while_another_process_writes(tmp_path: Path) -> None:
    """Every open after the first finds the migrations applied by one read: it neither takes nor
    waits for the write lock, so a store opens while another process is in a long write."""
    SqliteDatabase(tmp_path / "a.db").migrate(NOTES_V2)
    writer = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process's write transaction, not ending soon
    try:
        database = SqliteDatabase(tmp_path / "a.db", busy_timeout_s=0.2)
        assert database.migrate(NOTES_V2) == 2
        database.close()
        behind = SqliteDatabase(tmp_path / "a.db", busy_timeout_s=0.2)
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # a newer schema must write
            behind.migrate(Schema("notes", (*NOTES_V2.migrations, Migration(3, "x", "SELECT 1"))))
        behind.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_migrations_must_be_numbered_from_one_without_gaps() -> None:
    with pytest.raises(ValueError, match="numbered 1..n"):
        Schema("x", (Migration(1, "a", ""), Migration(3, "c", "")))
