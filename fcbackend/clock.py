"""One clock for everything in the backend that waits: async retries, timers, scheduled scaling.

Why: timer triggers fire on cron ticks, async retries back off for seconds to hours, scheduled
provisioning actions start at a wall-clock time. Tests cannot wait for any of that, so every such
wait goes through a :class:`Clock`. Production uses :class:`SystemClock`; tests use
:class:`ManualClock` and move time forward themselves (``advance``), which wakes exactly the
sleepers whose deadline has passed.

The clock has one time axis (epoch seconds, UTC); ``monotonic()`` is offered for durations and
equals ``time()`` on the manual clock.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time as _time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch (UTC)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations)."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock; cancellable."""

    async def sleep_until(self, when: float) -> None:
        """Wait until ``time()`` reaches ``when``; cancellable. Prefer this when the deadline is
        computed before the coroutine runs (as a task), so a clock that moves meanwhile cannot
        push the deadline later."""


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return _time.time()

    def monotonic(self) -> float:
        return _time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, when: float) -> None:
        await asyncio.sleep(max(0.0, when - _time.time()))


class ManualClock:
    """A clock that only moves when a test moves it.

    Sleepers are futures on their own event loop; :meth:`advance` may be called from that loop or
    from another thread. :meth:`advance_async` steps through each sleeper's deadline in order and
    lets woken coroutines run between steps, so a loop that sleeps tick by tick sees every tick.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._sleepers: dict[int, tuple[float, asyncio.Future[None]]] = {}
        self._changed = threading.Condition(self._lock)

    def time(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + seconds)

    async def sleep_until(self, when: float) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            key = next(self._seq)
            self._sleepers[key] = (when, fut)
            self._changed.notify_all()
        try:
            await fut
        finally:
            with self._lock:
                self._sleepers.pop(key, None)
                self._changed.notify_all()

    @property
    def sleepers(self) -> int:
        """How many coroutines are waiting on this clock right now."""
        with self._lock:
            return sum(1 for _, fut in self._sleepers.values() if not fut.done())

    def next_deadline(self) -> float | None:
        with self._lock:
            pending = [d for d, fut in self._sleepers.values() if not fut.done()]
        return min(pending) if pending else None

    def set(self, when: float) -> None:
        """Jump to an absolute time (never backwards) and wake whoever is due."""
        self.advance(max(0.0, when - self._now))

    def advance(self, seconds: float) -> None:
        """Move time forward at once and wake every sleeper whose deadline has passed."""
        with self._lock:
            self._now += seconds
            due = [fut for deadline, fut in self._sleepers.values() if deadline <= self._now]
        for fut in due:
            fut.get_loop().call_soon_threadsafe(_resolve, fut)

    async def advance_async(self, seconds: float, *, settle_rounds: int = 20) -> None:
        """Advance in steps, one per sleeper deadline, letting woken coroutines run in between."""
        target = self._now + seconds
        await settle(settle_rounds)  # let just-started coroutines register their sleeps first
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self.advance(max(0.0, deadline - self._now))
            await settle(settle_rounds)
        self.advance(max(0.0, target - self._now))
        await settle(settle_rounds)

    async def wait_for_sleepers(self, count: int, timeout: float = 5.0) -> None:
        """Return once at least ``count`` coroutines sleep on this clock (real-time deadline)."""
        deadline = _time.monotonic() + timeout
        while self.sleepers < count:
            if _time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} sleepers on the clock, have {self.sleepers}")
            await asyncio.sleep(0.001)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


async def settle(rounds: int = 20) -> None:
    """Yield to the event loop a few times so that just-woken coroutines make progress."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def wait_event(clock: Clock, event: asyncio.Event, timeout: float | None) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass on ``clock``; True if the event won."""
    if event.is_set():
        return True
    if timeout is None:
        await event.wait()
        return True
    deadline = clock.time() + timeout  # fixed now, before the sleeper task gets to run
    waiter = asyncio.ensure_future(event.wait())
    sleeper = asyncio.ensure_future(clock.sleep_until(deadline))
    try:
        await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, sleeper):
            if not task.done():
                task.cancel()
        await asyncio.gather(waiter, sleeper, return_exceptions=True)
    return event.is_set()


def utc_iso(epoch: float) -> str:
    """RFC 3339 UTC with a ``Z`` (FC's timestamps: ``2024-01-02T03:04:05Z``)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


DEFAULT_CLOCK: Clock = SystemClock()
