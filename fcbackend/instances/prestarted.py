"""Pre-started sandboxes (the zygote pool): generic workers started ahead of need, per :class:`PoolKey`.

Why: starting a sandbox and an interpreter costs tens of milliseconds (bubblewrap + Python ≈
60–100 ms on a 2-core machine); specialising a worker that is already up costs a few. The pool
keeps ``size`` generic workers per key, hands one out on a cold start and starts a replacement in
the background — one at a time per key, so a burst of cold starts does not turn into a storm of
process starts competing with the functions for the CPU. When the pool is empty the caller starts
a worker itself (cold start without a zygote). Workers are never returned to the pool: a worker that
ran one function's code is never used for another.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from fcbackend.instances.launchers import PoolKey
from fcbackend.instances.worker import Worker


class PrestartedSandboxPool:
    def __init__(self, launch: Callable[[PoolKey], Awaitable[Worker]], size: int = 2):
        self._launch = launch
        self.size = max(0, size)
        self._ready: dict[PoolKey, list[Worker]] = {}
        self._refills: dict[PoolKey, asyncio.Task] = {}
        self._closed = False
        self.last_error: str | None = None
        self.changed = asyncio.Condition()

    def ready_count(self, key: PoolKey) -> int:
        return sum(1 for w in self._ready.get(key, []) if w.alive())

    async def take(self, key: PoolKey) -> tuple[Worker, bool]:
        """A generic worker for ``key``; the flag says whether it came pre-started.

        Refilling is the caller's to trigger (:meth:`ensure_soon`) once its cold start is done, so
        that starting the replacement does not compete with the cold start for the CPU.
        """
        workers = self._ready.setdefault(key, [])
        while workers:
            worker = workers.pop(0)
            if worker.alive():
                return worker, True
            await worker.destroy()
        return await self._launch(key), False

    def ensure_soon(self, key: PoolKey, delay_s: float) -> None:
        """Refill ``key`` after ``delay_s`` (lets the cold start that just took a worker finish)."""
        if self._closed or self.size == 0:
            return
        asyncio.get_running_loop().call_later(delay_s, self.ensure, key)

    def ensure(self, key: PoolKey) -> None:
        """Start background refilling of ``key`` up to ``size`` workers."""
        if self._closed or self.size == 0:
            return
        self._ready.setdefault(key, [])
        task = self._refills.get(key)
        if task is None or task.done():
            self._refills[key] = asyncio.get_running_loop().create_task(self._refill(key))

    async def wait_full(self, key: PoolKey, timeout: float) -> bool:
        """Wait until ``key`` has ``size`` ready workers (benchmarks and tests)."""

        async def full() -> None:
            async with self.changed:
                await self.changed.wait_for(lambda: self.ready_count(key) >= self.size or self._closed)

        self.ensure(key)
        try:
            await asyncio.wait_for(full(), timeout)
        except TimeoutError:
            return False
        return self.ready_count(key) >= self.size

    async def _refill(self, key: PoolKey) -> None:
        failures = 0
        while not self._closed and self.ready_count(key) < self.size:
            try:
                worker = await self._launch(key)
            except Exception as exc:
                self.last_error = str(exc)
                failures += 1
                if failures >= 3:
                    return
                await asyncio.sleep(0.1 * failures)
                continue
            if self._closed:
                await worker.destroy()
                return
            self._ready.setdefault(key, []).append(worker)
            async with self.changed:
                self.changed.notify_all()

    async def close(self) -> None:
        self._closed = True
        for task in self._refills.values():
            task.cancel()
        for task in self._refills.values():
            with contextlib.suppress(BaseException):
                await task
        workers = [w for ws in self._ready.values() for w in ws]
        self._ready.clear()
        await asyncio.gather(*(w.destroy() for w in workers), return_exceptions=True)
        async with self.changed:
            self.changed.notify_all()
