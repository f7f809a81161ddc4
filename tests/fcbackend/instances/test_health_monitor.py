"""HealthMonitor counting rules with a scripted probe (no Docker needed)."""

from __future__ import annotations

import asyncio
import time

from fcbackend.instances.health import HealthMonitor, HealthState
from fcbackend.models import HealthCheck
from tests.support.docker_images import run


class ScriptedProbe:
    """Answers from a list of outcomes (True pass, False fail, "hang" never answers); the last
    outcome repeats."""

    def __init__(self, outcomes: list[object]):
        self.outcomes = outcomes
        self.calls: list[tuple[str, float]] = []

    async def __call__(self, path: str, timeout: float) -> bool:
        self.calls.append((path, timeout))
        outcome = self.outcomes[min(len(self.calls), len(self.outcomes)) - 1]
        if outcome == "hang":
            await asyncio.Event().wait()
        return bool(outcome)


def check(**changes: float) -> HealthCheck:
    base = {
        "http_get_url": "/healthz",
        "initial_delay_s": 0,
        "period_s": 0.01,
        "timeout_s": 0.05,
        "failure_threshold": 3,
        "success_threshold": 1,
    }
    return HealthCheck(**{**base, **changes})


def test_ready_needs_success_threshold_consecutive_passes():
    probe = ScriptedProbe([True, False, True, True, True])
    monitor = HealthMonitor(check(success_threshold=3), probe)
    assert run(monitor.wait_ready(time.monotonic() + 5))
    assert len(probe.calls) == 5 and probe.calls[0][0] == "/healthz"
    assert monitor.state is HealthState.HEALTHY and monitor.healthy


def test_never_ready_before_the_deadline():
    monitor = HealthMonitor(check(), ScriptedProbe([False]))
    assert not run(monitor.wait_ready(time.monotonic() + 0.1))
    assert monitor.state is HealthState.STARTING


def test_initial_delay_is_waited_before_the_first_probe():
    probe = ScriptedProbe([True])
    monitor = HealthMonitor(check(initial_delay_s=0.2), probe)
    started = time.monotonic()
    run(monitor.wait_ready(started + 5))
    assert time.monotonic() - started >= 0.2


def test_failure_threshold_consecutive_failures_make_it_unhealthy_once():
    calls: list[str] = []
    # pass, fail, pass (resets the count), then three failures including a hung probe (a timeout)
    probe = ScriptedProbe([True, True, False, True, False, "hang", False, True])

    async def body() -> bool:
        monitor = HealthMonitor(check(), probe, on_unhealthy=lambda: calls.append("replace me"))
        assert await monitor.wait_ready(time.monotonic() + 5)
        monitor.start()
        became = await monitor.wait_unhealthy(5)
        await monitor.stop()
        return became and not monitor.healthy and monitor.consecutive_failures == 3

    assert run(body())
    assert calls == ["replace me"]
    assert len(probe.calls) == 7  # no probes after it was declared unhealthy


def test_async_unhealthy_callback_is_awaited():
    seen: list[str] = []

    async def replace() -> None:
        await asyncio.sleep(0)
        seen.append("replaced")

    async def body() -> None:
        monitor = HealthMonitor(
            check(failure_threshold=1), ScriptedProbe([True, False]), on_unhealthy=replace
        )
        await monitor.wait_ready(time.monotonic() + 5)
        monitor.start()
        assert await monitor.wait_unhealthy(5)
        await monitor.stop()

    run(body())
    assert seen == ["replaced"]


def test_stop_ends_the_checks_even_when_it_races_a_finishing_probe():
    """The CI hang: stop() cancelled the monitor just as a probe finished; Python 3.11's wait_for
    then returned the probe's result instead of the cancellation and the checks went on forever,
    so stop() never returned. Here the probe itself starts stop() at the moment it answers."""
    calls: list[int] = []
    stopping: list[asyncio.Task[None]] = []
    monitor = HealthMonitor(check(period_s=0.001, timeout_s=1), lambda path, timeout: probe(path, timeout))

    async def probe(path: str, timeout: float) -> bool:
        calls.append(1)
        if len(calls) == 3 and not stopping:
            stopping.append(asyncio.get_running_loop().create_task(monitor.stop()))
        return True

    async def body() -> tuple[bool, int]:
        assert await monitor.wait_ready(time.monotonic() + 5)
        monitor.start()
        running = monitor._task
        while not stopping:
            await asyncio.sleep(0.001)
        done, _ = await asyncio.wait(stopping, timeout=3)  # does not cancel stop() on timeout
        calls_after_stop = len(calls)
        await asyncio.sleep(0.05)  # a loop still running would probe every millisecond
        if running is not None:
            running.cancel()  # a failing run must not leave the loop behind
        return bool(done), len(calls) - calls_after_stop

    stop_returned, probes_after_stop = run(body())
    assert stop_returned and probes_after_stop == 0 and monitor.healthy
