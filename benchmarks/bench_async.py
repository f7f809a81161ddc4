"""Async invocation benchmarks: acceptance throughput (durable, fsync'd 202s) and crash recovery.

Run: ``python benchmarks/bench_async.py [--count 1000] [--driver process]``

1. **accept**: N async task submissions against a real ``ros fc serve`` process; how fast 202s
   come back (each one's event is fsync'd first; concurrent callers share an fsync).
2. **crash**: the backend is killed with SIGKILL halfway through submitting N invocations (each
   deferred 1 s with ``X-Fc-Async-Delay``, so many are queued or running at the kill), restarted, and we
   wait until every one has completed (at-least-once; ids deduplicated: a
   resubmission answers 409). Prints how many were unfinished at the kill and how long recovery
   took.
3. **store**: the raw queue (no HTTP): inserts per second with group commit vs one fsync each.
4. **complete**: N async invocations without delay, from the first submission until the queue
   shows every one Succeeded (each outcome committed after its invocation record, in groups).

The crash scenario is also the body of ``tests/fcbackend/asyncq/test_restart.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

DELAY_S = "1"  # each invocation is deferred 1 s, so the kill always finds a backlog queued
# Trivial on purpose: the scenario tests the queue's durability, not the function; a sleeping
# handler only made recovery slower (20-80 s on a loaded 2-core CI machine).
HANDLER = "def handler(event, context):\n    return event\n"
# Why so few connections: httpx's async pool slows down sharply with many concurrent
# connections (64 gave ~100 submissions/s here, 8 gives ~600/s); the backend batches the fsyncs
# of concurrent submissions either way.
SUBMIT_CONNECTIONS = 8


def _zip() -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", HANDLER)
    return base64.b64encode(buf.getvalue()).decode()


class Backend:
    """``ros fc serve`` in a subprocess over a state directory that survives restarts."""

    def __init__(self, state_dir: Path, driver: str | None) -> None:
        self.state_dir = state_dir
        self.driver = driver
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoint = ""

    def start(self, timeout: float = 30.0) -> None:
        info_file = self.state_dir / "backend.json"
        info_file.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "rosengine.cli",
            "fc",
            "serve",
            "--no-auth",
            "--port",
            "0",
            "--state-dir",
            str(self.state_dir),
            "--log-level",
            "warning",
        ]
        if self.driver:
            cmd += ["--driver", self.driver]
        env = {**os.environ, "ROS_HOME": str(self.state_dir.parent)}
        code = "from rosengine.cli import main; import sys; sys.argv[0] = 'ros'; main()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *cmd[3:]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"backend exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                info = json.loads(info_file.read_text())
                if info.get("pid") == self.proc.pid:
                    self.endpoint = info["endpoint"]
                    httpx.get(self.endpoint + "/oss", timeout=2)
                    return
            except (OSError, ValueError, httpx.HTTPError):
                pass
            time.sleep(0.05)
        raise TimeoutError("backend did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._close_pipe()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._close_pipe()

    def _close_pipe(self) -> None:
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()


def statuses(state_dir: Path) -> dict[str, str]:
    """Task id -> status, read straight from the queue database (WAL allows a second reader)."""
    db = sqlite3.connect(f"file:{state_dir / 'async.db'}?mode=ro", uri=True, timeout=5)
    try:
        return dict(db.execute("SELECT id, status FROM async_events WHERE function='worker'"))
    finally:
        db.close()


def setup_function(endpoint: str) -> None:
    api = endpoint + "/2016-08-15"
    httpx.post(api + "/services", json={"serviceName": "bench"}, timeout=30).raise_for_status()
    httpx.post(
        api + "/services/bench/functions",
        timeout=60,
        json={
            "functionName": "worker",
            "runtime": "python3",
            "handler": "index.handler",
            "timeout": 30,
            "instanceConcurrency": 32,
            "code": {"zipFile": _zip()},
        },
    ).raise_for_status()


async def submit_all(
    endpoint: str,
    ids: list[str],
    concurrency: int = SUBMIT_CONNECTIONS,
    results: dict[str, int] | None = None,
    delay_s: str = DELAY_S,
) -> dict[str, int]:
    """Submit each id as an async task; returns id -> HTTP status (0 = connection failed)."""
    url = endpoint + "/2016-08-15/services/bench/functions/worker/invocations"
    results = {} if results is None else results
    queue: asyncio.Queue[str] = asyncio.Queue()
    for task_id in ids:
        queue.put_nowait(task_id)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                task_id = queue.get_nowait()
                try:
                    response = await client.post(
                        url,
                        content=task_id.encode(),
                        headers={
                            "x-fc-invocation-type": "Async",
                            "x-fc-stateful-async-invocation-id": task_id,
                            "x-fc-async-delay": delay_s,
                        },
                    )
                    results[task_id] = response.status_code
                except httpx.HTTPError:
                    results[task_id] = 0

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def crash_recovery(
    count: int = 1000,
    *,
    driver: str | None = "process",
    deadline_s: float = 50.0,
    state_root: Path | None = None,
) -> dict[str, Any]:
    root = Path(state_root or tempfile.mkdtemp(prefix="bench-async-"))
    state_dir = root / "fc"
    state_dir.mkdir(parents=True, exist_ok=True)
    backend = Backend(state_dir, driver)
    ids = [f"task-{i:05d}" for i in range(count)]
    try:
        backend.start()
        setup_function(backend.endpoint)
        # submit from another thread and SIGKILL the backend halfway through the submissions
        accepted: dict[str, int] = {}
        started = time.perf_counter()
        submitter = threading.Thread(
            target=lambda: asyncio.run(submit_all(backend.endpoint, ids, results=accepted))
        )
        submitter.start()
        while sum(1 for v in accepted.values() if v == 202) < count // 2 and submitter.is_alive():
            time.sleep(0.005)
        accept_s = time.perf_counter() - started
        acknowledged = sum(1 for v in accepted.values() if v == 202)
        backend.kill()
        submitter.join(60)
        before = statuses(state_dir)
        unfinished = sum(1 for s in before.values() if s != "Succeeded")
        restart_at = time.perf_counter()
        backend.start()
        missing = [i for i in ids if accepted.get(i) != 202]  # the caller retries what was not acknowledged
        resubmitted = asyncio.run(submit_all(backend.endpoint, missing)) if missing else {}
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            now = statuses(state_dir)
            if len(now) == count and all(s == "Succeeded" for s in now.values()):
                break
            time.sleep(0.05)
        recovery_s = time.perf_counter() - restart_at
        final = statuses(state_dir)
        return {
            "count": count,
            "accepted_202": acknowledged,
            "stored_at_kill": len(before),
            "accept_s": accept_s,
            "accept_per_s": acknowledged / accept_s if accept_s else 0.0,
            "unfinished_at_kill": unfinished,
            "resubmitted": len(resubmitted),
            "resubmit_statuses": sorted(set(resubmitted.values())),
            "succeeded": sum(1 for s in final.values() if s == "Succeeded"),
            "recovery_s": recovery_s,
        }
    finally:
        backend.stop()


def end_to_end(count: int = 1000, *, driver: str | None = "process") -> float:
    """Seconds from the first submission until all ``count`` invocations are Succeeded."""
    root = Path(tempfile.mkdtemp(prefix="bench-async-"))
    state_dir = root / "fc"
    state_dir.mkdir(parents=True)
    backend = Backend(state_dir, driver)
    ids = [f"now-{i:05d}" for i in range(count)]
    try:
        backend.start()
        setup_function(backend.endpoint)
        started = time.perf_counter()
        asyncio.run(submit_all(backend.endpoint, ids, delay_s="0"))
        while sum(1 for s in statuses(state_dir).values() if s == "Succeeded") < count:
            time.sleep(0.01)
        return time.perf_counter() - started
    finally:
        backend.stop()


def store_throughput(count: int = 2000) -> dict[str, float]:
    from fcbackend.asyncq import AsyncSubmission, SqliteAsyncQueueStore
    from sqlstore import SqliteDatabase

    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteAsyncQueueStore(SqliteDatabase(Path(tmp) / "a.db"))
        subs = [AsyncSubmission(f"g{i}", f"g{i}", "s", "f", payload=b"x" * 100) for i in range(count)]
        t = time.perf_counter()
        for i in range(0, count, 50):
            store.insert_many(subs[i : i + 50], time.time())
        grouped = count / (time.perf_counter() - t)
        singles = [AsyncSubmission(f"s{i}", f"s{i}", "s", "f", payload=b"x" * 100) for i in range(count // 4)]
        t = time.perf_counter()
        for sub in singles:
            store.insert_many([sub], time.time())
        single = len(singles) / (time.perf_counter() - t)
        store.close()
    return {"group_commit_per_s": grouped, "one_fsync_each_per_s": single}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--driver", default="process", help="instance driver of the backend (process|sandbox)"
    )
    args = parser.parse_args()
    store = store_throughput()
    print(
        f"queue store: {store['group_commit_per_s']:,.0f} inserts/s with group commit (50 per fsync), "
        f"{store['one_fsync_each_per_s']:,.0f}/s with one fsync each "
        f"(x{store['group_commit_per_s'] / store['one_fsync_each_per_s']:.1f})"
    )
    result = crash_recovery(args.count, driver=args.driver)
    print(
        f"accept: {result['accepted_202']} async tasks acknowledged (202, fsync'd) in "
        f"{result['accept_s']:.2f} s = {result['accept_per_s']:,.0f}/s over HTTP "
        f"({SUBMIT_CONNECTIONS} concurrent callers)"
    )
    print(
        f"crash: SIGKILL halfway through the submissions: {result['stored_at_kill']} stored, "
        f"{result['unfinished_at_kill']} of them not yet finished"
    )
    print(
        f"resubmit: {result['resubmitted']} unacknowledged ids sent again -> statuses "
        f"{result['resubmit_statuses']} (409 = already stored before the kill, deduplicated)"
    )
    print(
        f"recovery: {result['succeeded']}/{result['count']} succeeded {result['recovery_s']:.2f} s after "
        f"the restart (at-least-once, deduplicated by task id)"
    )
    seconds = end_to_end(args.count, driver=args.driver)
    print(
        f"complete: {args.count} async invocations submitted and all Succeeded in {seconds:.2f} s "
        f"= {args.count / seconds:,.0f}/s end to end"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
