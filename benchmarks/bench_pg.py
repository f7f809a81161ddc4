"""PostgreSQL as the shared state: async claims with two backends, stack state ops vs SQLite.

Run: ``python benchmarks/bench_pg.py [--database-url postgresql://...] [--jobs 4000] [--stacks 20]
[--only claims|state|engine ...]``; the load average is printed before and after.

Without ``--database-url`` a throw-away PostgreSQL cluster is started from Debian's binaries
(``tests/support/postgres.py``) with the server's durable defaults (fsync on).

1. **claims**: two backend processes, each a :class:`PostgresAsyncQueueStore` with two worker
   threads, drain ``--jobs`` queued invocations: every worker claims up to 8 events in one
   statement (``FOR UPDATE SKIP LOCKED``, no write lock) and records their outcomes in one
   transaction, as the dispatcher does. Prints jobs/s and
   how many jobs were claimed more than once (must be 0). Target: >= 2,000/s.
2. **stack state** (serial replay): the state operations of creating, describing and deleting a
   20-resource stack, one resource step per commit (a resource's row and its event in one
   batch; see ``stack_life``), on SQLite (``state.db``) and on PostgreSQL, the two alternating;
   per-stack time and the ratio. No two resources ever share a commit here: the worst case.
3. **engine**: the same life through the real :class:`StackEngine` (``engine_life``): a stack of
   20 ``ALIYUN::ROS::AutoEnableService`` resources (a provider that does no I/O: a no-op locally)
   in the shape of a real stack (independent resources and ``DependsOn`` chains), created,
   described and deleted, on SQLite and on PostgreSQL alternating; p50 per stack and the ratio.
   What it adds to the replay: the walk's grouping (the resources a wave starts recorded in one
   commit, the results that arrive together settled in one). Target: PostgreSQL <= 2x SQLite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fcbackend.asyncq import AsyncSubmission, TaskStatus
from fcbackend.asyncq.postgres_store import PostgresAsyncQueueStore
from rosengine.engine import StackEngine
from rosengine.state import (
    EventRecord,
    OutputRecord,
    Owner,
    ResourceRecord,
    StackRecord,
    StateStore,
    open_store,
)
from rosengine.state.statuses import Status
from sqlstore import open_database

WORKERS_PER_BACKEND = 2
# Events one claim takes at most: the dispatcher claims as many as it has free slots.
CLAIM_BATCH = 8


def _backend(url: str, start: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = PostgresAsyncQueueStore(open_database(url))
    claimed: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        mine: list[str] = []
        while True:
            to_run, _ = store.claim_due(time.time(), CLAIM_BATCH)
            if not to_run:
                break
            with store.transaction():  # the dispatcher commits a group's outcomes together
                for event in to_run:
                    store.finish(event, TaskStatus.SUCCEEDED, time.time())
                    mine.append(event.invocation_id)
        with lock:
            claimed.extend(mine)

    while time.time() < start:
        time.sleep(0.001)
    threads = [threading.Thread(target=work) for _ in range(WORKERS_PER_BACKEND)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((claimed, time.time()))
    store.close()


def bench_claims(url: str, jobs: int) -> None:
    database = open_database(url)
    setup = PostgresAsyncQueueStore(database)
    now = time.time()
    ids = [f"job-{i}" for i in range(jobs)]
    for chunk in range(0, jobs, 500):
        setup.insert_many(
            [
                AsyncSubmission(invocation_id=i, request_id=i, service="s", function="f")
                for i in ids[chunk : chunk + 500]
            ],
            now,
        )
    setup.close()
    out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    start = time.time() + 1.5  # both processes connected before the clock starts
    procs = [multiprocessing.Process(target=_backend, args=(url, start, out)) for _ in range(2)]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    claimed = [i for ids_, _ in results for i in ids_]
    elapsed = max(end for _, end in results) - start
    duplicates = len(claimed) - len(set(claimed))
    print(
        f"claims: {len(claimed)} jobs by 2 backends x {WORKERS_PER_BACKEND} workers in {elapsed:.2f} s "
        f"= {len(claimed) / elapsed:,.0f} jobs/s (claims of up to {CLAIM_BATCH}, their outcomes in one "
        "transaction); "
        f"duplicates {duplicates}; "
        f"missing {len(set(ids) - set(claimed))}  [target >= 2,000/s]"
    )


RESOURCES = 20


def _event(stack: StackRecord, logical_id: str, status: Status) -> EventRecord:
    return EventRecord(str(uuid.uuid4()), stack.id, stack.name, logical_id, "", "T", status, "", "t")


def _step(store: StateStore, stack: StackRecord, record: ResourceRecord, status: Status) -> None:
    """One resource step as the engine's recorder writes it: the row and its event in one batch."""
    record.status = status
    with store.batch() as batch:
        batch.put_resource(record)
        batch.add_event(_event(stack, record.logical_id, status))


def _stack_status(store: StateStore, stack: StackRecord, status: Status, **fields: object) -> None:
    with store.batch() as batch:
        batch.update_stack(stack.id, status=status, **fields)
        batch.add_event(_event(stack, stack.name, status))


def stack_life(location: str | Path, n: int) -> float:
    """The state operations of ``ros stack create``, ``describe`` and ``delete`` of a stack of
    RESOURCES resources, in the order and grouping the engine uses (its recorder's batches)."""
    store = open_store(location)
    owner = Owner.current()
    started = time.perf_counter()
    stack = StackRecord(id=f"stack-{n}-{uuid.uuid4()}", name=f"s{n}", status=Status.CREATE_IN_PROGRESS)
    stack.owner_pid, stack.owner_host, stack.owner_started = owner.pid, owner.host, owner.started
    stack.heartbeat = time.time()
    # create: the stack inserted already owned, its first status, the pending rows, each resource
    # in progress then complete, two heartbeats, outputs with the final status, release
    store.insert_stack(stack)
    _stack_status(store, stack, Status.CREATE_IN_PROGRESS)
    records = [
        ResourceRecord(stack.id, f"R{r}", "ALIYUN::FC::Function", properties={"i": r})
        for r in range(RESOURCES)
    ]
    with store.batch() as batch:
        for record in records:
            batch.put_resource(record)
    for i, record in enumerate(records):
        _step(store, stack, record, Status.CREATE_IN_PROGRESS)
        record.physical_id, record.attributes = f"fn-{i}", {"ARN": f"acs:fc:::functions/fn-{i}"}
        _step(store, stack, record, Status.CREATE_COMPLETE)
        if i % 10 == 9:
            store.beat(stack.id, owner)
    with store.batch() as batch:
        batch.set_outputs(stack.id, [OutputRecord(f"O{i}", i) for i in range(5)])
        batch.update_stack(stack.id, status=Status.CREATE_COMPLETE)
        batch.add_event(_event(stack, stack.name, Status.CREATE_COMPLETE))
    store.release(stack.id, owner)
    # describe
    store.find_stack(stack.name)
    store.get_resources(stack.id)
    store.get_outputs(stack.id)
    store.list_events(stack.id)
    # delete: take the stack, each resource in progress then forgotten with its event, the end
    store.acquire(stack.id, owner)
    _stack_status(store, stack, Status.DELETE_IN_PROGRESS)
    for record in reversed(records):
        _step(store, stack, record, Status.DELETE_IN_PROGRESS)
        with store.batch() as batch:
            batch.delete_resource(stack.id, record.logical_id, record.role)
            batch.add_event(_event(stack, record.logical_id, Status.DELETE_COMPLETE))
    with store.batch() as batch:
        batch.set_outputs(stack.id, [])
    _stack_status(store, stack, Status.DELETE_COMPLETE)
    store.release(stack.id, owner)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def bench_stack_state(url: str, stacks: int) -> None:
    """SQLite and PostgreSQL stack lives alternate, so both see the same load on the machine."""
    sqlite: list[float] = []
    postgres: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(stacks + 1):
            sqlite.append(stack_life(Path(tmp) / "state.db", n))
            postgres.append(stack_life(url, n))
    s, p = statistics.median(sqlite[1:]) * 1000, statistics.median(postgres[1:]) * 1000
    print(
        f"stack state: create + describe + delete of a {RESOURCES}-resource stack "
        f"({_transactions()} transactions, 5 reads) SQLite {s:.1f} ms, PostgreSQL {p:.1f} ms "
        f"(median of {stacks}, alternating, after one warm-up each); ratio {p / s:.2f}x  "
        "[serial replay: the worst case]"
    )


def _transactions() -> int:
    """Write transactions of one stack life (see stack_life)."""
    create = 1 + 1 + 1 + 2 * RESOURCES + RESOURCES // 10 + 1 + 1
    delete = 1 + 1 + 2 * RESOURCES + 1 + 1 + 1
    return create + delete


def engine_template() -> str:
    """RESOURCES no-op resources shaped like a real stack: 8 independent ones (roles, buckets,
    log projects a stack starts with) and three DependsOn chains of 4 (a service, its
    functions, their triggers), every resource created in its wave as soon as it may be."""
    resources: dict[str, object] = {}
    for i in range(8):
        resources[f"Independent{i}"] = {
            "Type": "ALIYUN::ROS::AutoEnableService",
            "Properties": {"ServiceName": "FC"},
        }
    for chain in range(3):
        for link in range(4):
            node: dict[str, object] = {
                "Type": "ALIYUN::ROS::AutoEnableService",
                "Properties": {"ServiceName": "OSS"},
            }
            if link:
                node["DependsOn"] = [f"Chain{chain}Link{link - 1}"]
            resources[f"Chain{chain}Link{link}"] = node
    assert len(resources) == RESOURCES
    return json.dumps({"ROSTemplateFormatVersion": "2015-09-01", "Resources": resources})


def engine_life(location: str | Path, n: int, body: str) -> float:
    """``ros stack create``, ``describe`` and ``delete`` of the template through the engine (the
    same calls the CLI makes, with a new store as a new ``ros`` process opens one)."""
    store = open_store(location)
    engine = StackEngine(store)
    started = time.perf_counter()
    created = engine.create_stack(f"e{n}", body)
    assert created.status == Status.CREATE_COMPLETE, created.reason
    stack = engine.get_stack(created.name)
    store.get_resources(stack.id)
    store.get_outputs(stack.id)
    store.list_events(stack.id)
    deleted = engine.delete_stack(created.name)
    assert deleted.status == Status.DELETE_COMPLETE, deleted.reason
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def bench_engine(url: str, stacks: int) -> None:
    """SQLite and PostgreSQL alternate, so both see the same load on the machine."""
    body = engine_template()
    sqlite: list[float] = []
    postgres: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(stacks + 1):
            sqlite.append(engine_life(Path(tmp) / "state.db", n, body))
            postgres.append(engine_life(url, n, body))
    s, p = statistics.median(sqlite[1:]) * 1000, statistics.median(postgres[1:]) * 1000
    print(
        f"engine: create + describe + delete of a {RESOURCES}-resource stack (8 independent, 3 chains "
        f"of 4; no-op provider) through StackEngine: SQLite {s:.1f} ms, PostgreSQL {p:.1f} ms "
        f"(p50 of {stacks}, alternating, after one warm-up each); ratio {p / s:.2f}x  [target <= 2x]"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--jobs", type=int, default=4000)
    parser.add_argument("--stacks", type=int, default=20)
    parser.add_argument(
        "--only", choices=["claims", "state", "engine"], action="append", help="run only these parts"
    )
    args = parser.parse_args()
    parts = set(args.only or ["claims", "state", "engine"])
    server = None
    if args.database_url is None:
        from tests.support.postgres import PostgresServer

        server = PostgresServer(throwaway=False)
    try:
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
        if "claims" in parts:
            bench_claims(args.database_url or server.new_database(), args.jobs)  # type: ignore[union-attr]
        if "state" in parts:
            bench_stack_state(args.database_url or server.new_database(), args.stacks)  # type: ignore[union-attr]
        if "engine" in parts:
            bench_engine(args.database_url or server.new_database(), args.stacks)  # type: ignore[union-attr]
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if server is not None:
            server.destroy()


if __name__ == "__main__":
    main()
