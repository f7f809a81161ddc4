"""Readiness and health checks for instances of any driver (docs/reference/fc-runtime.md#health-checks,
``CustomHealthCheckConfig`` / FC3 ``HealthCheckConfig``).

Why driver-agnostic: how a probe reaches an instance (TCP to a container, a Unix socket into a
sandbox) is the driver's business, so a :class:`HealthMonitor` only takes a *probe* — an async
callable ``(path, timeout_s) -> bool`` — and does the counting FC specifies:

* nothing is sent before ``InitialDelaySeconds``;
* start-up: the instance is *ready* after ``SuccessThreshold`` consecutive passes. We probe quickly
  (tens of milliseconds apart) rather than every ``PeriodSeconds`` while starting, because nobody is
  served until then and a 3-second period would be pure cold-start latency. Start-up fails when the
  deadline (FC: 120 s) passes first;
* steady state: a probe every ``PeriodSeconds``, each bounded by ``TimeoutSeconds``; after
  ``FailureThreshold`` consecutive failures the instance is *unhealthy* for good. It then must get
  no new requests (:attr:`HealthMonitor.healthy` is False, which the instance exposes as
  ``Instance.healthy``) and is replaced: ``on_unhealthy`` is called once so the owner can stop it.

A pass is an HTTP status 200–399 (Kubernetes' rule; FC documents none — UNCONFIRMED); a timeout,
a refused connection or any other status is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum

from fcbackend.instances.ca_client import CaClient, ConnectionLost
from fcbackend.models import HealthCheck, InstanceRequest

Probe = Callable[[str, float], Awaitable[bool]]
UnhealthyCallback = Callable[[], object]

STARTUP_DEADLINE_S = 120.0


class HealthState(StrEnum):
    STARTING = "starting"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


async def probe_once(client: CaClient, path: str, timeout: float) -> bool:
    """One health probe: ``GET <path>`` on a fresh connection (closed afterwards, so a wedged
    server cannot hold a pooled one); any connection failure counts as a failed probe."""
    try:
        response = await client.request(
            InstanceRequest("GET", path or "/", control_path="/health-check"), timeout, close_after=True
        )
        return status_passes(response.status)
    except ConnectionLost:
        return False
    finally:
        await client.close()


def status_passes(status: int) -> bool:
    return 200 <= status < 400


async def poll_until(
    condition: Callable[[], Awaitable[bool]],
    *,
    deadline: float,
    first_interval_s: float = 0.002,
    max_interval_s: float = 0.05,
) -> bool:
    """Call ``condition`` until it returns True or ``time.monotonic()`` passes ``deadline``.

    The interval starts at a couple of milliseconds and doubles up to ``max_interval_s``: a
    container's server is usually up within a few hundred ms and every wasted ms is cold start.
    """
    interval = first_interval_s
    while True:
        if await condition():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 2, max_interval_s)


class HealthMonitor:
    """Counts probe results for one instance; see the module docstring for the rules."""

    def __init__(self, check: HealthCheck, probe: Probe, *, on_unhealthy: UnhealthyCallback | None = None):
        self.check = check
        self._probe = probe
        self._on_unhealthy = on_unhealthy
        self.state = HealthState.STARTING
        self.consecutive_failures = 0
        self.probes_sent = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._unhealthy_event = asyncio.Event()

    @property
    def healthy(self) -> bool:
        """False once the instance failed its checks (it may still be starting when True)."""
        return self.state is not HealthState.UNHEALTHY

    async def _probe_once(self) -> bool:
        self.probes_sent += 1
        timeout = max(0.001, float(self.check.timeout_s))
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that
            # arrives as the probe completes, and the periodic loop then never ends.
            async with asyncio.timeout(timeout):
                return bool(await self._probe(self.check.http_get_url, timeout))
        except (TimeoutError, OSError, ConnectionError):
            return False

    async def wait_ready(self, deadline: float | None = None) -> bool:
        """Wait out ``InitialDelaySeconds``, then probe until ``SuccessThreshold`` consecutive
        passes (True) or ``deadline`` (monotonic; default 120 s from now) passes (False)."""
        if deadline is None:
            deadline = time.monotonic() + STARTUP_DEADLINE_S
        if self.check.initial_delay_s > 0:
            await asyncio.sleep(min(self.check.initial_delay_s, max(0.0, deadline - time.monotonic())))
        needed = max(1, int(self.check.success_threshold))
        passes = 0

        async def enough_passes() -> bool:
            nonlocal passes
            passes = passes + 1 if await self._probe_once() else 0
            return passes >= needed

        ready = await poll_until(enough_passes, deadline=deadline)
        if ready:
            self.state = HealthState.HEALTHY
        return ready

    def start(self) -> None:
        """Begin the periodic checks (call after :meth:`wait_ready` succeeded)."""
        if self._task is None and self.state is not HealthState.UNHEALTHY:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="health-monitor")

    async def wait_unhealthy(self, timeout: float) -> bool:
        """For owners and tests: wait (an event, not a sleep loop) until the instance is unhealthy."""
        try:
            await asyncio.wait_for(self._unhealthy_event.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def _run(self) -> None:
        period = max(0.01, float(self.check.period_s))
        threshold = max(1, int(self.check.failure_threshold))
        while self.state is not HealthState.UNHEALTHY and not self._stopping:
            await asyncio.sleep(period)
            if await self._probe_once():
                self.consecutive_failures = 0
                continue
            self.consecutive_failures += 1
            if self.consecutive_failures >= threshold and not self._stopping:
                await self._mark_unhealthy()

    async def _mark_unhealthy(self) -> None:
        self.state = HealthState.UNHEALTHY
        self._unhealthy_event.set()
        if self._on_unhealthy is not None:
            outcome = self._on_unhealthy()
            if inspect.isawaitable(outcome):
                # shielded: stopping the monitor must not cut the owner's replacement work short
                await asyncio.shield(outcome)

    async def stop(self) -> None:
        """End the periodic checks. The flag ends the loop even if a cancellation is lost, and the
        wait is bounded, so stopping an instance can never hang on its monitor."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(task), max(1.0, float(self.check.timeout_s)) + 1.0)
