"""Walk a dependency graph, running ready nodes in parallel on worker threads.

Why our own small pool instead of ``ThreadPoolExecutor``: a provider call still running at the
stack deadline must not keep the process alive (``ThreadPoolExecutor`` joins its threads at exit),
so workers are daemon threads and a timed-out call is simply abandoned.

The walker is deliberately ignorant of stacks: the caller's ``start(node)`` runs on the walking
thread (it records intent in the state store and returns the work to run, or ``None`` when the
node needs no work), the work runs on a worker, and ``finish(node, outcome)`` runs on the walking
thread again (it records the result). All state writes therefore happen on one thread. On the
first failure no new node is started; running nodes are let finish (bounded by the deadline).

Why waves: the walker starts every ready node (up to ``concurrency``) in one pass, and results
often arrive together. Each pass of the walk runs inside one ``grouped()`` block (the engine
passes a state-store batch): the results already waiting when the walker wakes are settled, then
the nodes that became ready are started, and their intents are committed together when the block
ends (on a server database: one round trip per wave instead of one per resource). A started
node's work is submitted only after that block ended, so a node's intent is committed before its
work runs (recovery relies on it); a result is recorded only after its work returned.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from rosengine.engine.deadline import Deadline

Work = Callable[[], Any]


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class WalkResult:
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)  # still running at the deadline
    not_started: list[str] = field(default_factory=list)
    deadline_passed: bool = False
    errors: dict[str, BaseException] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.timed_out or self.not_started or self.deadline_passed)


class _Workers:
    """Daemon threads taking (node, work) from a queue and posting (node, outcome) back."""

    def __init__(self, size: int):
        self._tasks: queue.SimpleQueue[tuple[str, Work] | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[tuple[str, Outcome]] = queue.SimpleQueue()
        self._size = size
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, node: str, work: Work) -> None:
        with self._lock:
            if self._idle == 0 and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._loop, name=f"ros-provider-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1 if self._idle else 0
        self._tasks.put((node, work))

    def _loop(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            node, work = task
            began = time.monotonic()
            try:
                outcome = Outcome(value=work(), seconds=time.monotonic() - began)
            except BaseException as exc:
                outcome = Outcome(error=exc, seconds=time.monotonic() - began)
            with self._lock:
                self._idle += 1
            self.results.put((node, outcome))

    def stop(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)

    def waiting(self) -> list[tuple[str, Outcome]]:
        """The results already posted, without blocking."""
        found = []
        while True:
            try:
                found.append(self.results.get_nowait())
            except queue.Empty:
                return found


def walk(
    nodes: Iterable[str],
    dependencies: Mapping[str, Iterable[str]],
    start: Callable[[str], Work | None],
    finish: Callable[[str, Outcome], bool],
    *,
    concurrency: int,
    deadline: Deadline,
    grouped: Callable[[], AbstractContextManager[object]] | None = None,
) -> WalkResult:
    """Run every node after its dependencies succeeded.

    ``dependencies[n]`` lists nodes that must succeed before ``n`` starts (names outside
    ``nodes`` are ignored: they are already done). ``start`` raising counts as that node failing
    (``finish`` is called with the error). ``grouped``: a context manager around each pass of
    ``finish`` and ``start`` calls (see the module's docstring); the works started in a pass are
    submitted only after its block ended without an exception (one that raises ends the walk
    with it, and nothing of that pass runs). Returns which nodes succeeded, failed, were still
    running at the deadline, or never started.
    """
    order = list(nodes)
    members = set(order)
    waiting_on: dict[str, set[str]] = {n: {d for d in dependencies.get(n, ()) if d in members} for n in order}
    dependents: dict[str, list[str]] = {n: [] for n in order}
    for node, deps in waiting_on.items():
        for dep in deps:
            dependents[dep].append(node)
    ready = [n for n in order if not waiting_on[n]]
    ready.reverse()  # pop() from the end keeps the caller's order
    result = WalkResult()
    running: set[str] = set()
    stopping = False
    workers = _Workers(max(1, concurrency))

    def settle(node: str, outcome: Outcome) -> None:
        nonlocal stopping
        running.discard(node)
        try:
            ok = finish(node, outcome) and outcome.ok
        except BaseException as exc:
            ok = False
            outcome.error = outcome.error or exc
        if ok:
            result.succeeded.append(node)
            for child in dependents[node]:
                waiting_on[child].discard(node)
                if not waiting_on[child]:
                    ready.append(child)
        else:
            result.failed.append(node)
            if outcome.error is not None:
                result.errors[node] = outcome.error
            stopping = True

    group = grouped or nullcontext
    arrived: list[tuple[str, Outcome]] = []
    try:
        while True:
            if deadline.expired():
                result.deadline_passed = stopping = True
            submissions: list[tuple[str, Work]] = []
            with group():
                for node, outcome in arrived + workers.waiting():
                    settle(node, outcome)
                arrived = []
                while ready and not stopping and len(running) < concurrency:
                    node = ready.pop()
                    try:
                        work = start(node)
                    except BaseException as exc:
                        settle(node, Outcome(error=exc))
                        continue
                    if work is None:
                        settle(node, Outcome())
                    else:
                        running.add(node)
                        submissions.append((node, work))
            for node, work in submissions:
                workers.submit(node, work)
            if not running:
                break
            try:
                arrived.append(workers.results.get(timeout=deadline.remaining() or 0.000001))
            except queue.Empty:
                result.deadline_passed = True
                result.timed_out.extend(sorted(running))
                running.clear()
                break
    finally:
        workers.stop()
    done = set(result.succeeded) | set(result.failed) | set(result.timed_out)
    result.not_started = [n for n in order if n not in done]
    return result
