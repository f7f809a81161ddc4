#!/usr/bin/env python3
"""Store benchmarks: the hot paths that stand on the shared database layer (sqlstore).

    python benchmarks/bench_stores.py

* **recorder**: the warm path's cost of recording one invocation (memory only), and a flush of a
  batch through the invocation log (one JSON-backed INSERT per batch);
* **invocation log read**: the 20 newest records of a function (``ros fc invocations``);
* **metadata**: a document put (one write transaction) and get;
* **async queue**: claim 32 due events and settle them, each outcome in its own transaction (as
  before the crash fix) and as the dispatcher does now (the group's records flushed first, then
  its outcomes in one transaction); and the group-commit intake (fsync'd), as in
  ``bench_async.py``.

Figures are per operation (best of several rounds on a loaded machine); compare runs on the same
machine. The goal is "as fast as before the shared layer" (docs/design/storage.md).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fcbackend.asyncq import AsyncSubmission, SqliteAsyncQueueStore, TaskStatus
from fcbackend.models import FunctionSpec, InvocationResult
from fcbackend.store import InvocationRecorder
from fcbackend.store.sqlite_invocation_log import SqliteInvocationLog
from fcbackend.store.sqlite_metadata import SqliteMetadataStore
from sqlstore import SqliteDatabase

ROUNDS = 5


def _spec() -> FunctionSpec:
    return FunctionSpec(
        service="s",
        function="f",
        version_id="1",
        qualifier="LATEST",
        handler="index.handler",
        code_dir=Path("/tmp"),
        runtime="python3.10",
    )


def recorder(tmp: Path) -> None:
    log = SqliteInvocationLog(SqliteDatabase(tmp / "fc.db"))
    rec = InvocationRecorder(log, tmp / "logs")
    spec = _spec()
    results = [InvocationResult(request_id=f"r{i}", status=200, body=b"") for i in range(10_000)]
    record_us, flush_ms = [], []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for result in results:
            rec.record(spec, result)
        recorded = time.perf_counter()
        rec.flush()
        flush_ms.append((time.perf_counter() - recorded) * 1000)
        record_us.append((recorded - began) / len(results) * 1e6)
    small = []
    for _ in range(50):
        for result in results[:200]:
            rec.record(spec, result)
        began = time.perf_counter()
        rec.flush()
        small.append((time.perf_counter() - began) * 1000)
    began = time.perf_counter()
    for _ in range(200):
        rec.query("s", "f", limit=20)
    query_ms = (time.perf_counter() - began) / 200 * 1000
    print(
        f"recorder: record {min(record_us):.2f} us/call; flush of 10,000 rows {min(flush_ms):.1f} ms "
        f"({10_000 / min(flush_ms) * 1000:,.0f} rows/s); "
        f"flush of 200 rows p50 {statistics.median(small):.3f} ms"
    )
    print(f"invocation log: 20 newest of a function {query_ms:.3f} ms")
    log.close()


def metadata(tmp: Path) -> None:
    meta = SqliteMetadataStore(SqliteDatabase(tmp / "meta.db"))
    began = time.perf_counter()
    for i in range(2000):
        meta.put("function", "svc", f"fn{i}", {"a": i})
    put = time.perf_counter()
    for i in range(2000):
        meta.get("function", "svc", f"fn{i}")
    got = time.perf_counter()
    print(f"metadata: put {(put - began) / 2000 * 1e6:.1f} us, get {(got - put) / 2000 * 1e6:.1f} us")
    meta.close()


def async_queue(tmp: Path) -> None:
    def cycle(name: str, recorder: InvocationRecorder | None) -> float:
        """Claim 32 due events and settle them. Without a recorder: one transaction per outcome
        (how outcomes were written before the crash fix). With one: the group's records are
        flushed, then its outcomes written in one transaction (what the dispatcher does now)."""
        store = SqliteAsyncQueueStore(SqliteDatabase(tmp / f"{name}.db"))
        subs = [AsyncSubmission(f"g{i}", f"g{i}", "s", "f", payload=b"x" * 100) for i in range(2000)]
        for i in range(0, len(subs), 50):
            store.insert_many(subs[i : i + 50], 0.0)
        spec = _spec()
        began = time.perf_counter()
        done = 0
        while True:
            claimed, _ = store.claim_due(1.0, 32)
            if not claimed:
                break
            if recorder is not None:
                for event in claimed:
                    recorder.record(spec, InvocationResult(request_id=event.request_id, status=200, body=b""))
                recorder.flush()
            with store.transaction() if recorder is not None else contextlib.nullcontext():
                for event in claimed:
                    store.finish(
                        event,
                        TaskStatus.SUCCEEDED,
                        1.0,
                        error_message=None,
                        return_payload=b"ok",
                        instance_id="i",
                        duration_ms=1.0,
                        version_id="1",
                    )
                    done += 1
        rate = done / (time.perf_counter() - began)
        store.close()
        return rate

    single = max(cycle(f"single{i}", None) for i in range(3))
    recorder = InvocationRecorder(SqliteInvocationLog(SqliteDatabase(tmp / "log.db")), tmp / "logs")
    grouped = max(cycle(f"grouped{i}", recorder) for i in range(3))
    print(
        f"async queue: claim(32) + settle, one transaction per outcome {single:,.0f} events/s; "
        f"records flushed then 32 outcomes in one transaction {grouped:,.0f}/s (x{grouped / single:.2f})"
    )
    store = SqliteAsyncQueueStore(SqliteDatabase(tmp / "intake.db"))
    subs = [AsyncSubmission(f"i{i}", f"i{i}", "s", "f", payload=b"x" * 100) for i in range(2000)]
    began = time.perf_counter()
    for i in range(0, len(subs), 50):
        store.insert_many(subs[i : i + 50], time.time())
    print(f"async queue: intake {len(subs) / (time.perf_counter() - began):,.0f}/s (50 per fsync)")
    store.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        recorder(Path(tmp))
        metadata(Path(tmp))
        async_queue(Path(tmp))


if __name__ == "__main__":
    main()
