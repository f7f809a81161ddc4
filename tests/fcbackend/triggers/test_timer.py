"""Timer triggers: cron parsing, firing on the test clock, catch-up after downtime."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend_contract.cron import CronError, parse_schedule
from fcbackend.clock import ManualClock, settle
from fcbackend.triggers.model import TriggerInfo
from fcbackend.triggers.timer import TimerService
from fcbackend.triggers.timer_state import SqliteTimerStateStore
from sqlstore import SqliteDatabase

T0 = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC).timestamp()  # a Monday


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 0/4 * * * *", "2024-01-01T00:00:00", "2024-01-01T00:04:00"),
        ("@every 5m", "2024-01-01T00:00:00", "2024-01-01T00:05:00"),
        ("@every 1h30m", "2024-01-01T00:00:00", "2024-01-01T01:30:00"),
        ("*/10 * * * * ?", "2024-01-01T00:00:05", "2024-01-01T00:00:10"),
        ("0 30 8 * * MON-FRI", "2024-01-05T09:00:00", "2024-01-08T08:30:00"),
        ("0 0 0 1 * *", "2024-01-01T00:00:00", "2024-02-01T00:00:00"),
        ("0 0 12 29 FEB *", "2024-03-01T00:00:00", "2028-02-29T12:00:00"),
        ("0 0 0 * * 0", "2024-01-01T00:00:00", "2024-01-07T00:00:00"),
        ("CRON_TZ=Asia/Shanghai 0 0 1 * * *", "2024-01-01T00:00:00", "2024-01-01T01:00:00"),
    ],
)
def test_next_fire_times(expression: str, after: str, expected: str) -> None:
    assert parse_schedule(expression).next_after(at(after)) == at(expected)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("0 0 * * *", "6 fields"),
        ("0 61 * * * *", "minute value 61 is outside 0-59"),
        ("0 0 0 * FOO *", "month value 'FOO'"),
        ("@every 0s", "at least 1 second"),
        ("@every five", "@every"),
        ("0 */0 * * * *", "step"),
    ],
)
def test_bad_expressions_are_explained(expression: str, fragment: str) -> None:
    with pytest.raises(CronError, match=fragment):
        parse_schedule(expression)


def timer(name: str, cron: str, *, enable: object = True, payload: str = "hi") -> TriggerInfo:
    return TriggerInfo(
        "svc", "fn", name, "timer", {"CronExpression": cron, "Enable": enable, "Payload": payload}
    )


def test_timer_fires_on_the_test_clock_with_fc_event(tmp_path: Path) -> None:
    fired: list[tuple[str, dict]] = []

    async def fire(trigger: TriggerInfo, body: bytes) -> None:
        fired.append((trigger.name, json.loads(body)))

    async def main() -> None:
        clock = ManualClock(T0)
        triggers = [timer("every-minute", "0 * * * * *"), timer("off", "@every 1s", enable=False)]
        service = TimerService(
            lambda: triggers,
            fire,
            clock=clock,
            state=SqliteTimerStateStore(SqliteDatabase(tmp_path / "t.db")),
        )
        await service.start()
        await clock.wait_for_sleepers(1)
        await clock.advance_async(59)
        assert fired == []
        await clock.advance_async(1)
        assert fired == [
            (
                "every-minute",
                {"triggerTime": "2024-01-01T00:01:00Z", "triggerName": "every-minute", "payload": "hi"},
            )
        ]
        await clock.advance_async(120)
        assert [f[1]["triggerTime"] for f in fired] == [
            "2024-01-01T00:01:00Z",
            "2024-01-01T00:02:00Z",
            "2024-01-01T00:03:00Z",
        ]
        await service.close()

    asyncio.run(main())


def test_missed_ticks_fire_once_after_downtime(tmp_path: Path) -> None:
    fired: list[dict] = []

    async def fire(trigger: TriggerInfo, body: bytes) -> None:
        fired.append(json.loads(body))

    async def main() -> None:
        clock = ManualClock(T0)
        triggers = [timer("t", "@every 1m")]
        first = TimerService(
            lambda: triggers,
            fire,
            clock=clock,
            state=SqliteTimerStateStore(SqliteDatabase(tmp_path / "t.db")),
        )
        await first.tick()  # trigger first seen at T0
        await first.close()
        clock.advance(3600 + 30)  # the backend was down for an hour
        second = TimerService(
            lambda: triggers,
            fire,
            clock=clock,
            state=SqliteTimerStateStore(SqliteDatabase(tmp_path / "t.db")),
        )
        await second.tick()
        await second.tick()
        assert [f["triggerTime"] for f in fired] == ["2024-01-01T01:00:00Z"]  # once, latest tick
        await settle()
        await second.close()

    asyncio.run(main())


def test_new_trigger_does_not_backfire(tmp_path: Path) -> None:
    fired: list[bytes] = []

    async def fire(trigger: TriggerInfo, body: bytes) -> None:
        fired.append(body)

    async def main() -> None:
        clock = ManualClock(T0 + 30)
        service = TimerService(lambda: [timer("t", "0 * * * * *")], fire, clock=clock)
        wait = await service.tick()
        assert fired == [] and wait == pytest.approx(5.0)  # next look within the refresh interval
        await service.close()

    asyncio.run(main())


def test_only_the_leading_process_fires_timers_of_a_shared_database(tmp_path: Path) -> None:
    """Two timer services on one database (as two backends on one server database would be):
    only the one holding the timers' leadership fires; when it closes, the other takes over."""
    fired: list[str] = []

    def firing(who: str) -> Callable[[TriggerInfo, bytes], Awaitable[None]]:
        async def fire(trigger: TriggerInfo, body: bytes) -> None:
            fired.append(who)

        return fire

    async def main() -> None:
        clock = ManualClock(T0)
        triggers = [timer("t", "@every 1m")]
        services = {
            who: TimerService(
                lambda: triggers,
                firing(who),
                clock=clock,
                state=SqliteTimerStateStore(SqliteDatabase(tmp_path / "t.db")),
            )
            for who in ("first", "second")
        }
        await services["first"].tick()
        await services["second"].tick()
        clock.advance(60)
        await services["second"].tick()  # not the leader: fires nothing
        await services["first"].tick()
        assert fired == ["first"]
        await services["first"].close()
        clock.advance(60)
        await services["second"].tick()
        assert fired == ["first", "second"]
        await services["second"].close()

    asyncio.run(main())


class _ReadsBeforeTheOtherWrites(SqliteTimerStateStore):
    """A timer store whose reads return what was read before another process wrote (``seen``)."""

    seen: float | None = None

    def get(self, key: str) -> float | None:
        return self.seen if self.seen is not None else super().get(key)


def test_two_processes_that_both_believe_they_lead_fire_each_tick_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A split: the leader's database session was lost and another process took the lock, but
    the old leader has not looked again yet, so both evaluate the same due tick, each having
    read the trigger's last tick before the other recorded a new one. The tick is claimed in the
    database before it fires: one of them fires it."""
    fired: list[tuple[str, str]] = []

    def firing(who: str) -> Callable[[TriggerInfo, bytes], Awaitable[None]]:
        async def fire(trigger: TriggerInfo, body: bytes) -> None:
            fired.append((who, json.loads(body)["triggerTime"]))

        return fire

    monkeypatch.setattr(SqliteTimerStateStore, "try_lead", lambda self: True)

    async def main() -> None:
        clock = ManualClock(T0)
        triggers = [timer("t", "@every 1m")]
        old_state = SqliteTimerStateStore(SqliteDatabase(tmp_path / "t.db"))
        new_state = _ReadsBeforeTheOtherWrites(SqliteDatabase(tmp_path / "t.db"))
        old = TimerService(lambda: triggers, firing("old"), clock=clock, state=old_state)
        new = TimerService(lambda: triggers, firing("new"), clock=clock, state=new_state)
        await old.tick()
        for _ in range(3):
            clock.advance(60)
            new_state.seen = old_state.get("svc/fn/t")  # read before the old leader's write
            await old.tick()
            await new.tick()
        assert sorted(time for _, time in fired) == [
            "2024-01-01T00:01:00Z",
            "2024-01-01T00:02:00Z",
            "2024-01-01T00:03:00Z",
        ]
        await old.close()
        await new.close()

    asyncio.run(main())
