"""The invocation recorder's table (``invocation_log``): newest first, a re-recorded request id
shown once (newest wins), per-function filtering, and rows of the older ``invocations`` table
carried over when an existing state directory is opened."""

from __future__ import annotations

import sqlite3
import types
from pathlib import Path

from fcbackend.models import InvocationResult
from fcbackend.store.invocations import InvocationRecorder
from fcbackend.store.sqlite_invocation_log import SqliteInvocationLog
from sqlstore import SqliteDatabase


def _spec(function: str = "echo") -> types.SimpleNamespace:
    return types.SimpleNamespace(service="svc", function=function, qualifier=None, version_id="LATEST")


def _recorder(tmp_path: Path) -> InvocationRecorder:
    return InvocationRecorder(SqliteInvocationLog(SqliteDatabase(tmp_path / "fc.db")), tmp_path / "logs")


def _rows(recorder: InvocationRecorder, sql: str) -> list[tuple[object, ...]]:
    assert isinstance(recorder.log, SqliteInvocationLog)
    with recorder.log.database.reading() as session:
        return session.execute(sql).fetchall()


def test_newest_first_and_a_retried_request_id_shows_once(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    for request_id, status in [("a", 200), ("b", 200), ("a", 500), ("c", 200)]:
        recorder.record(_spec(), InvocationResult(request_id=request_id, status=status, body=b""))
    records = recorder.query("svc", "echo")
    assert [(r["requestId"], r["status"]) for r in records] == [("c", 200), ("a", 500), ("b", 200)]
    assert [r["requestId"] for r in recorder.query(limit=2)] == ["c", "a"]


def test_limit_counts_distinct_requests_even_behind_many_duplicates(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    recorder.record(_spec(), InvocationResult(request_id="old", status=200, body=b""))
    for _ in range(100):
        recorder.record(_spec(), InvocationResult(request_id="busy", status=200, body=b""))
    assert [r["requestId"] for r in recorder.query(limit=2)] == ["busy", "old"]


def test_filters_by_function(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    recorder.record(_spec("one"), InvocationResult(request_id="r1", status=200, body=b""))
    recorder.record(_spec("two"), InvocationResult(request_id="r2", status=200, body=b""))
    assert [r["requestId"] for r in recorder.query("svc", "two")] == ["r2"]
    assert [r["functionName"] for r in recorder.query("svc")] == ["two", "one"]


def test_rows_of_the_older_table_are_migrated(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "fc.db")
    conn.executescript("""
        CREATE TABLE invocations (request_id TEXT PRIMARY KEY, time REAL NOT NULL, service TEXT NOT NULL,
            function TEXT NOT NULL, qualifier TEXT, version TEXT, instance_id TEXT, cold INTEGER,
            init_ms REAL, duration_ms REAL, memory_mb REAL, status INTEGER, error TEXT);
        INSERT INTO invocations VALUES ('later', 2.0, 'svc', 'echo', NULL, '1', 'i', 0, 0, 1, 1, 200, NULL);
        INSERT INTO invocations VALUES ('earlier', 1.0, 'svc', 'echo', NULL, '1', 'i', 1, 5, 1, 1, 200, NULL);
    """)
    conn.commit()
    conn.close()
    recorder = _recorder(tmp_path)
    recorder.record(_spec(), InvocationResult(request_id="new", status=200, body=b""))
    assert [r["requestId"] for r in recorder.query("svc", "echo")] == ["new", "later", "earlier"]
    tables = {row[0] for row in _rows(recorder, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert "invocations" not in tables


def test_a_batch_keeps_every_field_with_its_type(tmp_path: Path) -> None:
    """A flush writes the batch as one JSON-backed statement: values must come back as they were
    recorded (integers, floats, NULLs, non-ASCII text), in recording order."""
    recorder = _recorder(tmp_path)
    results = [
        InvocationResult(
            request_id=f"r{i}",
            status=200 if i % 2 else 500,
            body=b"",
            cold=i == 0,
            init_ms=1.25 if i == 0 else 0.0,
            duration_ms=0.5 + i,
            memory_peak_mb=12.75,
            instance_id="i-中",
            error_type=None if i % 2 else "UnhandledInvocationError",
        )
        for i in range(300)
    ]
    for result in results:
        recorder.record(_spec(), result)
    recorder.flush()
    rows = _rows(
        recorder,
        "SELECT request_id, cold, init_ms, duration_ms, memory_mb, status, error, "
        "instance_id, typeof(time) FROM invocation_log ORDER BY rowid",
    )
    assert len(rows) == 300
    assert rows[0] == ("r0", 1, 1.25, 0.5, 12.75, 500, "UnhandledInvocationError", "i-中", "real")
    assert rows[1] == ("r1", 0, 0.0, 1.5, 12.75, 200, None, "i-中", "real")
    assert [r[0] for r in rows] == [f"r{i}" for i in range(300)]
