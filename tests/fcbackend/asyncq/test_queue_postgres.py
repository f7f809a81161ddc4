"""The async queue on PostgreSQL: the queue's contract (every test of ``test_queue`` that builds
its store from a database file runs here on PostgreSQL), claims exactly once across backends,
and a killed backend's running events taken over by the living."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tests.fcbackend.asyncq.test_queue as contract
from fcbackend.asyncq import AsyncEvent, TaskStatus
from fcbackend.asyncq.postgres_store import PostgresAsyncQueueStore
from sqlstore import Database, DatabaseUnavailable, open_database
from tests.fcbackend.asyncq.test_queue import submission
from tests.support.paths import REPO
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.multinode

CONTRACT = sorted(
    name
    for name, fn in vars(contract).items()
    if name.startswith("test_") and "tmp_path" in inspect.signature(fn).parameters
)


@pytest.fixture
def queue_on_postgres(monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer) -> Iterator[None]:
    """``test_queue``'s database files become PostgreSQL databases (one per file name), and its
    store the PostgreSQL one. Databases a test leaves open are closed after it."""
    urls: dict[str, str] = {}
    opened: list[Database] = []

    def database(path: Path | str) -> Database:
        url = urls.setdefault(str(path), postgres_server.new_database())
        opened.append(open_database(url))
        return opened[-1]

    monkeypatch.setattr(contract, "SqliteDatabase", database)
    monkeypatch.setattr(contract, "SqliteAsyncQueueStore", PostgresAsyncQueueStore)
    yield
    for db in opened:
        while not db.closed:
            db.close()


@pytest.mark.parametrize("name", CONTRACT)
def test_the_queue_contract_holds_on_postgresql(name: str, queue_on_postgres: None, tmp_path: Path) -> None:
    getattr(contract, name)(tmp_path)


@pytest.fixture
def two_backends(postgres_url: str) -> Iterator[tuple[PostgresAsyncQueueStore, PostgresAsyncQueueStore]]:
    first = PostgresAsyncQueueStore(open_database(postgres_url))
    second = PostgresAsyncQueueStore(open_database(postgres_url))
    yield first, second
    first.close()
    second.close()


def test_claims_of_two_backends_are_exactly_once(
    two_backends: tuple[PostgresAsyncQueueStore, PostgresAsyncQueueStore],
) -> None:
    first, second = two_backends
    now = time.time()
    ids = [f"job-{i}" for i in range(300)]
    first.insert_many([submission(i) for i in ids[:150]], now)
    second.insert_many([submission(i) for i in ids[150:]], now)
    claimed: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(store: PostgresAsyncQueueStore, name: str) -> None:
        while True:
            to_run, _expired = store.claim_due(time.time(), 7)
            if not to_run:
                return
            for event in to_run:
                assert store.finish(event, TaskStatus.SUCCEEDED, time.time())
            with lock:
                claimed.extend((event.invocation_id, name) for event in to_run)

    threads = [
        threading.Thread(target=work, args=(store, f"{label}{n}"))
        for n in range(2)
        for store, label in ((first, "a"), (second, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i for i, _ in claimed) == sorted(ids)  # every job once, none twice
    assert {who[0] for _, who in claimed} == {"a", "b"}  # both backends took part
    assert first.counts() == {"Succeeded": 300}


def test_a_living_backends_running_events_are_never_taken(
    two_backends: tuple[PostgresAsyncQueueStore, PostgresAsyncQueueStore],
) -> None:
    first, second = two_backends
    first.insert_many([submission("slow")], time.time())
    [event], _ = first.claim_due(time.time(), 1)
    assert second.recover(time.time()) == 0
    assert second.claim_due(time.time() + 60, 10) == ([], [])
    assert first.finish(event, TaskStatus.SUCCEEDED, time.time())


def _backend_that_claims_then_hangs(url: str) -> subprocess.Popen[str]:
    program = (
        "import sys, time\n"
        "from fcbackend.asyncq.postgres_store import PostgresAsyncQueueStore\n"
        "from sqlstore import open_database\n"
        "store = PostgresAsyncQueueStore(open_database(sys.argv[1]))\n"
        "to_run, _ = store.claim_due(time.time(), 100)\n"
        "print(len(to_run), flush=True)\n"
        "time.sleep(600)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", program, url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_events_of_a_backend_killed_with_sigkill_run_once_elsewhere(postgres_url: str) -> None:
    survivor = PostgresAsyncQueueStore(open_database(postgres_url))
    try:
        survivor.insert_many([submission(f"k{i}", stateful=True) for i in range(5)], time.time())
        victim = _backend_that_claims_then_hangs(postgres_url)
        assert victim.stdout is not None
        assert victim.stdout.readline().strip() == "5"  # it holds all five, Running
        assert survivor.claim_due(time.time() + 2, 10) == ([], [])  # alive: not taken
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        victim.stdout.close()
        taken: list[str] = []

        def adopted() -> bool:
            to_run, _ = survivor.claim_due(time.time() + 2, 10)  # past the adoption interval
            taken.extend(e.invocation_id for e in to_run)
            return len(taken) >= 5

        _until(adopted)
        assert sorted(taken) == [f"k{i}" for i in range(5)]
        event = survivor.get("k0")
        assert event is not None and event.attempts == 2
        assert "re-queued after restart" in [e["eventDetail"] for e in event.events]
    finally:
        survivor.close()


def test_an_outcome_lost_to_a_vanished_server_is_run_again() -> None:
    """The server goes away while an invocation runs: recording its outcome fails clearly, the
    dispatcher's next wake-up is still answered, and once the server is back the invocation is
    queued again (at-least-once) rather than left Running for ever."""
    server = PostgresServer()
    store = None
    try:
        store = PostgresAsyncQueueStore(open_database(server.new_database()))
        store.insert_many([submission("lost")], time.time())
        [event], _ = store.claim_due(time.time(), 1)
        server.stop()
        with pytest.raises(DatabaseUnavailable):
            store.finish(event, TaskStatus.SUCCEEDED, time.time())
        assert store.next_due() is not None  # no exception for the dispatcher's loop
        server.start()
        taken: list[AsyncEvent] = []

        def claimed_again() -> bool:
            try:
                to_run, _ = store.claim_due(time.time() + 2, 1)  # type: ignore[union-attr]
            except DatabaseUnavailable:
                return False  # a pooled connection from before the restart, replaced now
            taken.extend(to_run)
            return bool(taken)

        _until(claimed_again)
        assert taken[0].invocation_id == "lost" and taken[0].attempts == 2
    finally:
        if store is not None:
            store.close()
        server.destroy()
