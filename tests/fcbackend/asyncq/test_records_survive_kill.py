"""A completed invocation's record survives a kill -9 of the backend.

A real ``ros fc serve`` process runs N async invocations; the moment the queue says all N
Succeeded, the process is killed with SIGKILL and started again: ``ros fc invocations`` (the
``/local/invocations`` route it reads) must list all N. Sync invocations' records reach the
database on their own within the documented window (no reader has to ask), so they survive too.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.support.paths import REPO

COUNT = 200
API = "/2016-08-15"


def _bench_async() -> ModuleType:
    """The async benchmark's ``Backend`` (a ``ros fc serve`` subprocess) and function set-up."""
    spec = importlib.util.spec_from_file_location("bench_async", REPO / "benchmarks" / "bench_async.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Any]:
    bench = _bench_async()
    process = bench.Backend(tmp_path / "fc", "process")
    (tmp_path / "fc").mkdir()
    try:
        process.start(timeout=60)
        bench.setup_function(process.endpoint)
        yield process
    finally:
        process.stop()


def _poll(condition: Callable[[], bool], deadline_s: float, what: str, interval_s: float = 0.002) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval_s)


def _succeeded(state_dir: Path) -> int:
    db = sqlite3.connect(f"file:{state_dir / 'async.db'}?mode=ro", uri=True, timeout=5)
    try:
        return int(db.execute("SELECT count(*) FROM async_events WHERE status='Succeeded'").fetchone()[0])
    finally:
        db.close()


def _records(endpoint: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{endpoint}{API}/local/invocations", params={"limit": 10000}, timeout=30)
    response.raise_for_status()
    return list(response.json()["invocations"])


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_async_completions_keep_their_records_after_kill_9(backend: Any) -> None:
    url = f"{backend.endpoint}{API}/services/bench/functions/worker/invocations"
    with httpx.Client(timeout=30) as client:
        for i in range(COUNT):
            response = client.post(
                url,
                content=b"{}",
                headers={"x-fc-invocation-type": "Async", "x-fc-stateful-async-invocation-id": f"t-{i:04d}"},
            )
            assert response.status_code == 202, response.text
    _poll(lambda: _succeeded(backend.state_dir) == COUNT, 120, f"{COUNT} Succeeded tasks")
    backend.kill()  # at once: the last completions are milliseconds old

    backend.start(timeout=60)
    records = _records(backend.endpoint)
    async_ids = {r["requestId"] for r in records if r["functionName"] == "worker"}
    assert len(async_ids) == COUNT, f"{COUNT - len(async_ids)} completed invocations lost their record"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sync_records_reach_the_database_unasked_and_survive_kill_9(backend: Any) -> None:
    url = f"{backend.endpoint}{API}/services/bench/functions/worker/invocations"
    with httpx.Client(timeout=30) as client:
        ids = [client.post(url, content=b"{}").headers["x-fc-request-id"] for _ in range(20)]

    def stored() -> int:  # read the file itself: the API's read would flush the buffer first
        db = sqlite3.connect(f"file:{backend.state_dir / 'fc.db'}?mode=ro", uri=True, timeout=5)
        try:
            marks = ",".join("?" * len(ids))
            return int(
                db.execute(
                    f"SELECT count(DISTINCT request_id) FROM invocation_log WHERE request_id IN ({marks})",
                    ids,
                ).fetchone()[0]
            )
        finally:
            db.close()

    _poll(lambda: stored() == len(ids), 30, "the recorder's periodic flush", interval_s=0.05)
    backend.kill()
    backend.start(timeout=60)
    assert {r["requestId"] for r in _records(backend.endpoint)} >= set(ids)
