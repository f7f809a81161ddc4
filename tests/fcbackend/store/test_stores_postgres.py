"""The backend's stores on PostgreSQL, each as several backends share it: FC metadata, the
invocation log, code contents, timers' state and leadership, RAM/STS, SLS."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.fcbackend.store.test_invocation_log as log_contract
from fcbackend.ram.store import SqliteRamStore
from fcbackend.sls.store import LogEntry, SqliteSlsStore
from fcbackend.store.code import CodeStore
from fcbackend.store.code_contents import SqlCodeContents
from fcbackend.store.sqlite_metadata import SqliteMetadataStore
from fcbackend.triggers.timer_state import SqliteTimerStateStore
from sqlstore import Database, open_database

pytestmark = pytest.mark.multinode


@pytest.fixture
def databases(postgres_url: str) -> Iterator[tuple[Database, Database]]:
    """Two opens of one database: what two backend processes have."""
    first, second = open_database(postgres_url), open_database(postgres_url)
    yield first, second
    for db in (first, second):
        while not db.closed:
            db.close()


@pytest.mark.parametrize(
    "name",
    [
        "test_newest_first_and_a_retried_request_id_shows_once",
        "test_limit_counts_distinct_requests_even_behind_many_duplicates",
        "test_filters_by_function",
    ],
)
def test_the_invocation_log_contract_holds_on_postgresql(
    name: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Database] = []

    def database(path: Path) -> Database:
        opened.append(open_database(postgres_url))
        return opened[-1]

    monkeypatch.setattr(log_contract, "SqliteDatabase", database)
    getattr(log_contract, name)(tmp_path)
    for db in opened:
        while not db.closed:
            db.close()


def test_metadata_documents_and_counters_are_shared(databases: tuple[Database, Database]) -> None:
    one, two = (SqliteMetadataStore(db.retain()) for db in databases)
    assert one.insert("function", "svc", "fn", {"runtime": "python3"})
    assert not two.insert("function", "svc", "fn", {"runtime": "nodejs"})  # taken, by the other
    two.put("function", "svc", "fn", {"runtime": "python3.10"})
    assert one.get("function", "svc", "fn") == {"runtime": "python3.10"}
    for name in ("b", "a", "C"):
        one.insert("function", "svc2", name, {})
    assert [n for _, n, _ in two.list("function", "svc2")] == ["C", "a", "b"]  # bytewise, as SQLite
    numbers: list[int] = []

    def count(store: SqliteMetadataStore) -> None:
        for _ in range(50):
            numbers.append(store.next_id("version"))

    threads = [threading.Thread(target=count, args=(store,)) for store in (one, two, one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 201))  # every number once across both backends


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(e, c):\n    return e\n")
    return buf.getvalue()


def test_a_package_stored_by_one_backend_unpacks_on_another(
    databases: tuple[Database, Database], tmp_path: Path
) -> None:
    first_db, second_db = databases
    first = CodeStore(
        tmp_path / "host-a", SqliteMetadataStore(first_db.retain()), SqlCodeContents(first_db.retain())
    )
    second = CodeStore(
        tmp_path / "host-b", SqliteMetadataStore(second_db.retain()), SqlCodeContents(second_db.retain())
    )
    blob = first.put(_zip())
    assert second.blob(blob.sha256) == blob
    tree = second.unpacked(blob.sha256)  # fetched from the database into host-b's cache
    assert (tree / "index.py").read_text().startswith("def handler")
    assert second.read(blob.sha256) == _zip()


def test_one_backend_leads_timers_and_the_next_takes_over(databases: tuple[Database, Database]) -> None:
    first, second = SqliteTimerStateStore(databases[0].retain()), SqliteTimerStateStore(databases[1].retain())
    assert first.try_lead() and not second.try_lead()
    first.set("svc/fn/every-minute", 1_700_000_060.0)
    assert second.get("svc/fn/every-minute") == 1_700_000_060.0  # the next leader resumes from it
    first.close()
    databases[0].close()  # the leading process is gone: its session and lock with it
    assert second.try_lead()


def test_ram_documents_are_unique_and_expire(databases: tuple[Database, Database]) -> None:
    one, two = SqliteRamStore(databases[0].retain()), SqliteRamStore(databases[1].retain())
    assert one.insert("user", "alice", {"name": "alice"})
    assert not two.insert("user", "alice", {"name": "other"})
    two.insert("session", "s1", {"k": 1}, expires=100.0)
    two.insert("session", "s2", {"k": 2}, expires=300.0)
    assert one.purge_expired("session", before=200.0) == 1
    assert [d["k"] for d in one.list("session")] == [2]
    assert two.list("user", prefix="al") == [{"name": "alice"}]


def test_sls_logs_are_appended_and_scanned_in_pages(databases: tuple[Database, Database]) -> None:
    one, two = SqliteSlsStore(databases[0].retain()), SqliteSlsStore(databases[1].retain())
    assert one.insert_project("p", {"projectName": "p"})
    assert one.insert_logstore("p", "ls", {"logstoreName": "ls"})
    one.append_logs("p", "ls", [LogEntry(1000 + i, (("n", str(i)),), topic="t") for i in range(1200)])
    scanned = list(two.scan_logs("p", "ls", 1000, 3000, topic="t", newest_first=True))
    assert len(scanned) == 1200 and scanned[0].entry.fields == (("n", "1199"),)
    assert two.delete_project("p") and one.get_logstore("p", "ls") is None
