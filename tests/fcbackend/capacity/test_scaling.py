"""Alias traffic split, provisioned targets (scheduled + tracking, latest tick of a schedule), idle
mode, metrics."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime

import pytest

from backend_contract.cron import Schedule, parse_schedule
from fcbackend.capacity import (
    AliasTrafficRouter,
    FreezingDriver,
    IdlePolicy,
    MetricsCollector,
    ProvisionEntry,
    ProvisionManager,
    effective_target,
    validate_weights,
)
from fcbackend.capacity.provision import ScheduledAction, latest_tick, validate_provision_config
from fcbackend.clock import ManualClock, settle
from fcbackend.instances.driver import Instance, InstanceDriver
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceResponse, InvocationResult

T0 = datetime(2024, 1, 1, tzinfo=UTC).timestamp()


def test_alias_split_90_10_within_binomial_bound() -> None:
    router = AliasTrafficRouter(seed=20240101)
    alias = {"aliasName": "prod", "versionId": "1", "additionalVersionWeight": {"2": 0.1}}
    picks = [router(alias) for _ in range(1000)]
    canary = picks.count("2")
    # mean 100, sd = sqrt(1000 * 0.1 * 0.9) ~ 9.5: 4 sd either side
    assert abs(canary - 100) <= 4 * math.sqrt(1000 * 0.1 * 0.9)
    assert set(picks) == {"1", "2"}
    again = AliasTrafficRouter(seed=20240101)
    assert [again(alias) for _ in range(1000)] == picks  # seeded: reproducible


def test_alias_without_weights_and_bad_weights() -> None:
    router = AliasTrafficRouter(seed=1)
    assert {router({"versionId": "3"}) for _ in range(50)} == {"3"}
    assert {router({"versionId": "3", "additionalVersionWeight": {"4": 1}}) for _ in range(50)} == {"4"}
    assert validate_weights({"additionalVersionWeight": {"2": 0.7, "3": 0.5}})
    assert validate_weights({"additionalVersionWeight": {"2": 1.5}})
    assert validate_weights({"AdditionalVersionWeight": {"2": 0.5}}) == []


def entry(**doc: object) -> ProvisionEntry:
    return ProvisionEntry.from_api("svc", "prod", "fn", doc)


def test_scheduled_actions_set_the_target_in_their_window() -> None:
    e = entry(
        target=1,
        scheduledActions=[
            {
                "name": "morning",
                "target": 5,
                "scheduleExpression": "cron(0 0 8 * * *)",
                "startTime": "2024-01-01T00:00:00Z",
                "endTime": "2024-12-31T00:00:00Z",
            },
            {
                "name": "evening",
                "target": 2,
                "scheduleExpression": "cron(0 0 20 * * *)",
                "startTime": "2024-01-01T00:00:00Z",
            },
            {"name": "launch", "target": 9, "scheduleExpression": "at(2024-03-01T12:00:00Z)"},
        ],
    )
    never = lambda metric: None  # noqa: E731
    assert effective_target(e, T0 + 7 * 3600, 0, never) == 1  # before the first action
    assert effective_target(e, T0 + 9 * 3600, 0, never) == 5
    assert effective_target(e, T0 + 21 * 3600, 0, never) == 2
    assert effective_target(e, T0 + 86400 + 9 * 3600, 0, never) == 5
    launch = datetime(2024, 3, 1, 12, 30, tzinfo=UTC).timestamp()
    assert effective_target(e, launch, 0, never) == 9


def test_target_tracking_scales_between_min_and_max() -> None:
    e = entry(
        target=1,
        targetTrackingPolicies=[
            {
                "name": "util",
                "metricType": "ProvisionedConcurrencyUtilization",
                "metricTarget": 0.5,
                "minCapacity": 1,
                "maxCapacity": 6,
            }
        ],
    )
    assert effective_target(e, T0, 2, lambda m: 1.0) == 4  # 2 * 1.0 / 0.5
    assert effective_target(e, T0, 4, lambda m: 1.0) == 6  # capped at max
    assert effective_target(e, T0, 4, lambda m: 0.1) == 1  # floor at min
    assert effective_target(e, T0, 4, lambda m: None) == 1
    assert validate_provision_config({"target": -1})
    assert validate_provision_config({"scheduledActions": [{"scheduleExpression": "sometimes"}]})
    assert validate_provision_config({"targetTrackingPolicies": [{"minCapacity": 5, "maxCapacity": 1}]})


def test_manager_applies_changes_on_the_clock_and_releases_deleted_configs() -> None:
    applied: list[tuple[str, int]] = []
    configs = [
        entry(
            target=2,
            scheduledActions=[
                {
                    "name": "peak",
                    "target": 4,
                    "scheduleExpression": "cron(0 0 1 * * *)",
                    "startTime": "2024-01-01T00:00:00Z",
                }
            ],
        )
    ]

    async def apply(e: ProvisionEntry, target: int) -> None:
        applied.append((e.function, target))

    async def main() -> None:
        clock = ManualClock(T0)
        manager = ProvisionManager(lambda: list(configs), apply, clock=clock, interval_s=60)
        await manager.start()
        await clock.wait_for_sleepers(1)
        assert applied == [("fn", 2)]
        await clock.advance_async(3600)
        assert applied == [("fn", 2), ("fn", 4)]
        assert manager.status[("svc", "prod", "fn")].target == 4
        configs.clear()
        manager.notify_changed()
        for _ in range(100):
            if len(applied) == 3:
                break
            await asyncio.sleep(0.001)
        assert applied[-1] == ("fn", 0)
        await manager.close()

    asyncio.run(main())


class FakeInstance(Instance):
    def __init__(self) -> None:
        self.id = "i-1"
        self.driver_name = "fake"
        self.frozen = False
        self.requests: list[str] = []

    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        assert not self.frozen, "a frozen instance was sent a request"
        self.requests.append(req.path)
        return InstanceResponse(200, {}, b"ok")

    async def stop(self, graceful: bool = True) -> None:
        assert not self.frozen

    def alive(self) -> bool:
        return True

    async def freeze(self) -> bool:
        self.frozen = True
        return True

    async def thaw(self) -> None:
        self.frozen = False


class FakeDriver(InstanceDriver):
    name = "fake"

    def __init__(self) -> None:
        self.instances: list[FakeInstance] = []

    def available(self) -> tuple[bool, str]:
        return True, ""

    async def start(self, spec: FunctionSpec, instance_id: str) -> Instance:
        self.instances.append(FakeInstance())
        return self.instances[-1]


def spec(function: str = "fn", **kw: object) -> FunctionSpec:
    return FunctionSpec(
        service="svc",
        function=function,
        version_id="LATEST",
        qualifier="LATEST",
        runtime="python3",
        handler="index.handler",
        code_dir=None,
        **kw,
    )  # type: ignore[arg-type]


def test_idle_instances_freeze_after_grace_and_thaw_on_the_next_request() -> None:
    async def main() -> None:
        clock = ManualClock(T0)
        policy = IdlePolicy(grace_s=2.0)
        policy.set_idle_mode("svc", "fn", True)
        inner = FakeDriver()
        driver = FreezingDriver(inner, policy, clock=clock)
        instance = await driver.start(spec(pre_freeze_handler="index.pre_freeze"), "i-1")
        busy = await driver.start(spec("always-on"), "i-2")
        req = InstanceRequest(method="POST", path="/invoke")
        await instance.request(req, 1)
        await busy.request(req, 1)
        await clock.advance_async(1.0)
        assert not inner.instances[0].frozen  # still inside the grace period
        await clock.advance_async(1.5)
        assert inner.instances[0].frozen and inner.instances[0].requests == ["/invoke", "/pre-freeze"]
        assert not inner.instances[1].frozen  # not in idle mode
        response = await instance.request(req, 1)  # thawed first; FakeInstance asserts it
        assert response.body == b"ok" and instance.thaws == 1  # type: ignore[attr-defined]
        await settle()
        await clock.advance_async(2.5)
        assert inner.instances[0].frozen
        await instance.stop()  # thawed before stopping
        assert not inner.instances[0].frozen

    asyncio.run(main())


def test_metrics_per_function() -> None:
    collector = MetricsCollector()
    s = spec()
    for i in range(100):
        collector(
            s,
            InvocationResult(request_id=str(i), status=200, body=b"", duration_ms=float(i + 1), cold=i == 0),
        )
    collector(
        s, InvocationResult(request_id="e", status=200, body=b"", error_type="UnhandledInvocationError")
    )
    collector(s, InvocationResult(request_id="t", status=429, body=b"", error_code="ResourceExhausted"))
    [row] = collector.snapshot(
        [
            {"service": "svc", "function": "fn", "state": "idle"},
            {"service": "svc", "function": "fn", "state": "busy"},
            {"service": "svc", "function": "fn", "state": "idle"},
        ]
    )
    assert row["invocations"] == 102 and row["errors"] == 1 and row["throttles"] == 1
    assert row["coldStarts"] == 1
    assert row["p50Ms"] == pytest.approx(50, abs=1) and row["p99Ms"] == pytest.approx(99, abs=1)
    assert row["instances"] == {"idle": 2, "busy": 1}


# -- scheduled provisioning finds an action's latest tick cheaply: a per-20-seconds cron started
# months ago costs a few next_after calls and answers with the latest tick, not one from months ago
def at_utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


NOW_2026 = at_utc("2026-11-23 12:34:56.700")


def test_a_frequent_cron_started_months_ago_finds_the_latest_tick_in_few_steps(monkeypatch):
    """The cost is counted in ``next_after`` calls (the old walk took up to 200 000 of them)."""
    calls = 0
    next_after = Schedule.next_after

    def counting(self: Schedule, moment: float) -> float | None:
        nonlocal calls
        calls += 1
        return next_after(self, moment)

    monkeypatch.setattr(Schedule, "next_after", counting)
    action = ScheduledAction("frequent", 3, "cron(0/20 * * * * *)", start=at_utc("2026-01-01 00:00:00"))
    assert action.last_fire(NOW_2026) == at_utc("2026-11-23 12:34:40")
    assert calls <= 100, f"{calls} next_after calls"


def test_a_tick_exactly_at_now_counts():
    action = ScheduledAction("exact", 1, "cron(0/20 * * * * *)")
    assert action.last_fire(at_utc("2026-11-23 12:34:40")) == at_utc("2026-11-23 12:34:40")


def test_a_yearly_cron_finds_last_years_tick():
    action = ScheduledAction("yearly", 5, "cron(0 30 8 1 3 *)")  # 1 March 08:30:00 every year
    assert action.last_fire(NOW_2026) == at_utc("2026-03-01 08:30:00")
    assert action.last_fire(at_utc("2026-03-01 08:29:59")) == at_utc("2025-03-01 08:30:00")


def test_a_leap_day_cron_is_found_years_back():
    action = ScheduledAction("leap", 2, "cron(0 0 12 29 2 *)")
    assert action.last_fire(NOW_2026) == at_utc("2024-02-29 12:00:00")


def test_every_expressions_use_the_same_search():
    action = ScheduledAction("every", 2, "@every 7m")
    fired = action.last_fire(NOW_2026)
    assert fired is not None and fired % 420 == 0 and NOW_2026 - 420 < fired <= NOW_2026


def test_the_window_start_and_end_bound_the_answer():
    start = at_utc("2026-11-23 12:00:05")
    hourly = ScheduledAction("hourly", 4, "cron(0 0 * * * *)", start=start, end=at_utc("2026-11-23 18:00:00"))
    # the last tick before now (12:00:00) is before the start: not fired yet
    assert hourly.last_fire(NOW_2026) is None
    assert hourly.last_fire(at_utc("2026-11-23 13:00:00")) == at_utc("2026-11-23 13:00:00")
    assert hourly.last_fire(at_utc("2026-11-23 17:59:59")) == at_utc("2026-11-23 17:00:00")
    assert hourly.last_fire(at_utc("2026-11-23 18:00:01")) is None, "after the end time"
    assert hourly.last_fire(at_utc("2026-11-23 11:00:00")) is None, "before the start time"
    starts_on_tick = ScheduledAction("on-tick", 1, "cron(0 0 * * * *)", start=at_utc("2026-11-23 12:00:00"))
    assert starts_on_tick.last_fire(NOW_2026) == at_utc("2026-11-23 12:00:00")


def test_latest_tick_agrees_with_a_forward_walk():
    """Cross-check the bisection against the plain walk on irregular schedules."""
    for expression in ("5,17,43 * 0-22 * * *", "0 0/7 3-9 * * MON-FRI", "30 15 10 1-3 * *"):
        schedule = parse_schedule(expression)
        for now in (NOW_2026, NOW_2026 + 3600 * 5.5, NOW_2026 + 86400 * 3.25):
            since = now - 3 * 86400
            walked, tick = None, schedule.next_after(since - 1)
            while tick is not None and tick <= now:
                walked, tick = tick, schedule.next_after(tick)
            assert latest_tick(schedule, now, since=since) == walked, (expression, now)
