"""PostgreSQL as the shared state: async claims with two backends, stack state ops vs SQLite.

Run: ``python benchmarks/bench_pg.py [--database-url postgresql://...] [--jobs 4000]``

Without ``--database-url`` a throw-away PostgreSQL cluster is started from Debian's binaries
(``tests/support/postgres.py``) with the server's durable defaults (fsync on).

1. **claims**: two backend processes, each a :class:`PostgresAsyncQueueStore` with two worker
   threads, drain ``--jobs`` queued invocations: every worker claims up to 8 events in one
   statement (``FOR UPDATE SKIP LOCKED``, no write lock) and records their outcomes in one
   transaction, as the dispatcher does. Prints jobs/s and
   how many jobs were claimed more than once (must be 0). Target: >= 2,000/s.
2. **stack state**: the same stack life (create, lock, 20 resources written twice, 40 events,
   outputs, reads, release, delete) on SQLite (``state.db``) and on PostgreSQL; per-stack time and
   the ratio. Target: PostgreSQL <= 2x SQLite.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fcbackend.asyncq import AsyncSubmission, TaskStatus
from fcbackend.asyncq.postgres_store import PostgresAsyncQueueStore
from rosengine.state import EventRecord, OutputRecord, Owner, ResourceRecord, StackRecord, open_store
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


def stack_life(location: str | Path, n: int) -> float:
    store = open_store(location)
    owner = Owner.current()
    started = time.perf_counter()
    stack_id = f"stack-{n}"
    store.insert_stack(StackRecord(id=stack_id, name=f"s{n}", status=Status.CREATE_IN_PROGRESS))
    store.acquire(stack_id, owner, allow_interrupted=True)
    for round_ in range(2):
        for r in range(20):
            store.put_resource(
                ResourceRecord(
                    stack_id, f"R{r}", "ALIYUN::FC::Function", properties={"round": round_, "i": r}
                )
            )
            store.add_event(
                EventRecord(
                    f"{stack_id}-e{round_}-{r}",
                    stack_id,
                    f"s{n}",
                    f"R{r}",
                    "",
                    "T",
                    Status.CREATE_COMPLETE,
                    "",
                    "t",
                )
            )
        store.beat(stack_id, owner)
    store.set_outputs(stack_id, [OutputRecord(f"O{i}", i) for i in range(5)])
    store.update_stack(stack_id, status=Status.CREATE_COMPLETE)
    store.get_resources(stack_id)
    store.list_events(stack_id)
    store.find_stack(f"s{n}")
    store.release(stack_id, owner)
    store.update_stack(stack_id, status=Status.DELETE_COMPLETE)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def bench_stack_state(url: str, stacks: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = [stack_life(Path(tmp) / "state.db", n) for n in range(stacks)]
    postgres = [stack_life(url, n) for n in range(stacks)]
    s, p = statistics.median(sqlite) * 1000, statistics.median(postgres) * 1000
    print(
        f"stack state: one stack's life (~90 operations) SQLite {s:.1f} ms, PostgreSQL {p:.1f} ms "
        f"(median of {stacks}); ratio {p / s:.2f}x  [target <= 2x]"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--jobs", type=int, default=4000)
    parser.add_argument("--stacks", type=int, default=20)
    args = parser.parse_args()
    server = None
    if args.database_url is None:
        from tests.support.postgres import PostgresServer

        server = PostgresServer(throwaway=False)
    try:
        claims_url = args.database_url or server.new_database()  # type: ignore[union-attr]
        state_url = args.database_url or server.new_database()  # type: ignore[union-attr]
        bench_claims(claims_url, args.jobs)
        bench_stack_state(state_url, args.stacks)
    finally:
        if server is not None:
            server.destroy()


if __name__ == "__main__":
    main()
