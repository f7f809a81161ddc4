"""Scheduled provisioning actions find their latest tick cheaply (audit item 1).

The old search walked ticks forward from the action's start, one ``next_after`` at a time and at
most 200 000 of them: a per-20-seconds cron started months ago took seconds per call on the event
loop and answered with a tick from months ago.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fcbackend.capacity.provision import ScheduledAction, latest_tick
from fcbackend.triggers.cron import parse_schedule


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


NOW = epoch("2026-11-23 12:34:56.700")


def test_a_frequent_cron_started_months_ago_returns_the_latest_tick_fast():
    action = ScheduledAction("frequent", 3, "cron(0/20 * * * * *)", start=epoch("2026-01-01 00:00:00"))
    began = time.perf_counter()
    fired = action.last_fire(NOW)
    elapsed = time.perf_counter() - began
    assert fired == epoch("2026-11-23 12:34:40")
    assert elapsed < 0.05, f"last_fire took {elapsed * 1000:.1f} ms"


def test_a_tick_exactly_at_now_counts():
    action = ScheduledAction("exact", 1, "cron(0/20 * * * * *)")
    assert action.last_fire(epoch("2026-11-23 12:34:40")) == epoch("2026-11-23 12:34:40")


def test_a_yearly_cron_finds_last_years_tick():
    action = ScheduledAction("yearly", 5, "cron(0 30 8 1 3 *)")  # 1 March 08:30:00 every year
    assert action.last_fire(NOW) == epoch("2026-03-01 08:30:00")
    assert action.last_fire(epoch("2026-03-01 08:29:59")) == epoch("2025-03-01 08:30:00")


def test_a_leap_day_cron_is_found_years_back():
    action = ScheduledAction("leap", 2, "cron(0 0 12 29 2 *)")
    assert action.last_fire(NOW) == epoch("2024-02-29 12:00:00")


def test_every_expressions_use_the_same_search():
    action = ScheduledAction("every", 2, "@every 7m")
    fired = action.last_fire(NOW)
    assert fired is not None and fired % 420 == 0 and NOW - 420 < fired <= NOW


def test_the_window_start_and_end_bound_the_answer():
    start = epoch("2026-11-23 12:00:05")
    hourly = ScheduledAction("hourly", 4, "cron(0 0 * * * *)", start=start, end=epoch("2026-11-23 18:00:00"))
    # the last tick before now (12:00:00) is before the start: not fired yet
    assert hourly.last_fire(NOW) is None
    assert hourly.last_fire(epoch("2026-11-23 13:00:00")) == epoch("2026-11-23 13:00:00")
    assert hourly.last_fire(epoch("2026-11-23 17:59:59")) == epoch("2026-11-23 17:00:00")
    assert hourly.last_fire(epoch("2026-11-23 18:00:01")) is None, "after the end time"
    assert hourly.last_fire(epoch("2026-11-23 11:00:00")) is None, "before the start time"
    starts_on_tick = ScheduledAction("on-tick", 1, "cron(0 0 * * * *)", start=epoch("2026-11-23 12:00:00"))
    assert starts_on_tick.last_fire(NOW) == epoch("2026-11-23 12:00:00")


def test_latest_tick_agrees_with_a_forward_walk():
    """Cross-check the bisection against the plain walk on irregular schedules."""
    for expression in ("5,17,43 * 0-22 * * *", "0 0/7 3-9 * * MON-FRI", "30 15 10 1-3 * *"):
        schedule = parse_schedule(expression)
        for now in (NOW, NOW + 3600 * 5.5, NOW + 86400 * 3.25):
            since = now - 3 * 86400
            walked, tick = None, schedule.next_after(since - 1)
            while tick is not None and tick <= now:
                walked, tick = tick, schedule.next_after(tick)
            assert latest_tick(schedule, now, since=since) == walked, (expression, now)
