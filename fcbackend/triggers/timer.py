"""Timer triggers: fire functions on their cron schedule while the backend runs.

The event FC sends (docs/reference/fc-resource-types.md#trigger)::

    {"triggerTime": "2024-01-01T00:04:00Z", "triggerName": "<name>", "payload": "<payload>"}

Catch-up policy after downtime (our decision): when ticks were missed because the backend was
not running, the trigger fires **once**, right after start-up, for the most recent missed tick
(its ``triggerTime`` is that tick), then continues on schedule. A trigger seen for the first time
starts counting from that moment (no back-firing). Disabled triggers (``enable: false``; the 2021
doc's ``Enabled`` also accepted) never fire and do not accumulate missed ticks. The last fired
tick per trigger is kept in a :class:`~fcbackend.triggers.timer_state.TimerStateStore` so the policy
holds across restarts; only the process that leads the timers fires them.

All waiting is on the injected clock, so tests fire timers by advancing a manual clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from backend_contract.cron import CronError, Schedule, parse_schedule
from fcbackend.clock import DEFAULT_CLOCK, Clock, utc_iso, wait_event
from fcbackend.triggers.model import Fire, TriggerInfo, truthy
from fcbackend.triggers.timer_state import SqliteTimerStateStore, TimerStateStore

log = logging.getLogger(__name__)
_CATCH_UP_SCAN_LIMIT = 100_000


def timer_event(trigger_name: str, tick: float, payload: str) -> bytes:
    return json.dumps(
        {"triggerTime": utc_iso(tick), "triggerName": trigger_name, "payload": payload}
    ).encode()


class TimerService:
    def __init__(
        self,
        triggers: Callable[[], list[TriggerInfo]],
        fire: Fire,
        *,
        clock: Clock = DEFAULT_CLOCK,
        state: TimerStateStore | None = None,
        refresh_s: float = 5.0,
    ) -> None:
        """``state``: where fired ticks are kept (default: in memory, forgotten at exit)."""
        self._triggers = triggers
        self._fire = fire
        self.clock = clock
        self.state: TimerStateStore = state if state is not None else SqliteTimerStateStore()
        self._refresh_s = refresh_s
        self._schedules: dict[str, Schedule] = {}
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.fired: list[tuple[str, float]] = []  # (trigger key, tick): recent history for status

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="timer-triggers")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.state.close()

    def notify_changed(self) -> None:
        """Call after a timer trigger is created, updated or deleted (re-read at once)."""
        self._changed.set()

    async def _run(self) -> None:
        while True:
            self._changed.clear()
            try:
                wait = await self.tick()
            except Exception:
                log.exception("timer triggers: evaluation failed")
                wait = self._refresh_s
            await wait_event(self.clock, self._changed, wait)

    async def tick(self) -> float:
        """Fire every due timer; return how long to sleep before the next look."""
        now = self.clock.time()
        wait = self._refresh_s
        if not self.state.try_lead():  # another backend on this database fires the timers
            return wait
        active: set[str] = set()
        for trigger in self._triggers():
            if trigger.type != "timer":
                continue
            key = f"{trigger.service}/{trigger.function}/{trigger.name}"
            active.add(key)
            schedule = self._schedule(trigger)
            if schedule is None:
                continue
            if not truthy(trigger.setting("enable", "enabled"), default=True):
                self.state.set(key, now)  # disabled: nothing accrues
                continue
            last = self.state.get(key)
            if last is None:
                self.state.set(key, now)
                last = now
            due = schedule.next_after(last)
            if due is not None and due <= now:
                tick = _latest_tick(schedule, due, now)
                if not self.state.claim(key, last, tick):  # another backend fired it
                    continue
                payload = trigger.setting("payload", default="") or ""
                self.fired.append((key, tick))
                del self.fired[:-1000]
                try:
                    await self._fire(
                        trigger,
                        timer_event(
                            trigger.name, tick, payload if isinstance(payload, str) else json.dumps(payload)
                        ),
                    )
                except Exception:
                    log.exception("timer trigger %s could not fire", key)
                due = schedule.next_after(tick)
            if due is not None:
                wait = min(wait, max(0.0, due - now))
        self.state.forget_except(active)  # deleted triggers start afresh if re-created
        return wait

    def _schedule(self, trigger: TriggerInfo) -> Schedule | None:
        expression = trigger.setting("cronExpression", default="")
        if not isinstance(expression, str):
            return None
        cached = self._schedules.get(expression)
        if cached is None:
            try:
                cached = parse_schedule(expression)
            except CronError as exc:
                log.warning(
                    "timer trigger %s/%s/%s: %s", trigger.service, trigger.function, trigger.name, exc
                )
                return None
            self._schedules[expression] = cached
        return cached


def _latest_tick(schedule: Schedule, first_due: float, now: float) -> float:
    """The most recent tick at or before ``now`` (catch-up fires once, for this tick)."""
    if schedule.every_s is not None:
        return (now // schedule.every_s) * schedule.every_s
    tick = first_due
    for _ in range(_CATCH_UP_SCAN_LIMIT):
        following = schedule.next_after(tick)
        if following is None or following > now:
            break
        tick = following
    return tick
