"""Provisioned instances: the target to keep warm per function/qualifier, and how it changes.

A provision config (docs/reference/fc-api.md#provisioned-and-on-demand-instances) has a default
``target``, ``scheduledActions`` and ``targetTrackingPolicies``. The effective target at time *t*:

1. start from ``target``;
2. a scheduled action whose window (``startTime``-``endTime``) contains *t* and whose expression
   last fired at or before *t* sets the target (the most recently fired action wins).
   Expressions: ``cron(<6-field cron>)`` (or a bare cron / ``@every``) and ``at(<ISO time>)``
   (our reading of the syntax, which FC documents by example only);
3. target-tracking policies active at *t* each want
   ``ceil(current * utilization / metricTarget)`` clamped to ``[minCapacity, maxCapacity]``; when
   any is active the target is the largest of them (as FC documents it).
   Without a metric sample a policy asks for ``minCapacity``.

:class:`ProvisionManager` re-evaluates on the injected clock and calls ``apply(entry, target)``
(the backend asks ``scheduler.set_provisioned``) only when a target changes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fcbackend.clock import DEFAULT_CLOCK, Clock, wait_event
from fcbackend.triggers.cron import CronError, Schedule, parse_schedule
from fcbackend.triggers.model import lookup

log = logging.getLogger(__name__)
METRIC_TYPES = ("ProvisionedConcurrencyUtilization", "CPUUtilization", "GPUMemUtilization")


@dataclass(frozen=True)
class ScheduledAction:
    name: str
    target: int
    expression: str
    start: float | None = None
    end: float | None = None

    def last_fire(self, now: float) -> float | None:
        """When this action last fired at or before ``now`` (None: not yet / outside its window)."""
        if (self.start is not None and now < self.start) or (self.end is not None and now > self.end):
            return None
        text = self.expression.strip()
        if text.startswith("at(") and text.endswith(")"):
            when = parse_time(text[3:-1])
            return when if when is not None and when <= now else None
        schedule = _cron_of(text)
        if schedule is None:
            return None
        return latest_tick(schedule, now, since=self.start)


# How far back :func:`latest_tick` looks, window by window: most schedules fire within the first
# window or two, so the common case costs a handful of ``next_after`` calls. The last window is the
# cron parser's own search horizon (5 years), enough for the rarest expression (29 February).
LOOKBACK_WINDOWS_S = (60.0, 3600.0, 86400.0, 31 * 86400.0, 366 * 86400.0, 5 * 366 * 86400.0)


def latest_tick(schedule: Schedule, now: float, *, since: float | None = None) -> float | None:
    """The latest firing time of ``schedule`` at or before ``now`` and not before ``since``.

    Why not walk ticks forward from ``since``: a per-second cron with a start months ago means
    millions of ticks (the old walk stopped after 200 000 of them, on the event loop, with a tick
    far in the past). Instead we look back from ``now`` in growing windows and, in the first
    window holding a tick, bisect for the latest one: ``O(log window)`` ``next_after`` calls.
    """
    for window in LOOKBACK_WINDOWS_S:
        low = now - window
        if since is not None and low <= since:  # the window reaches the action's start: last look
            return _latest_tick_between(schedule, since, now)
        found = _latest_tick_between(schedule, low, now)
        if found is not None:
            return found
    return None


def _latest_tick_between(schedule: Schedule, low: float, high: float) -> float | None:
    """The latest tick in ``[low, high]`` by bisection on whole seconds (ticks are whole seconds).

    Invariant: ``found`` is a tick in ``[low, high]`` and no tick lies in ``(ceiling, high]``.
    """
    first = schedule.next_after(math.ceil(low) - 1)
    if first is None or first > high:
        return None
    found, ceiling = int(first), math.floor(high)
    while found < ceiling:
        middle = (found + ceiling + 1) // 2
        tick = schedule.next_after(middle - 1)  # the first tick at or after ``middle``
        if tick is not None and tick <= high:
            found = int(tick)
        else:
            ceiling = middle - 1
    return float(found)


@dataclass(frozen=True)
class TrackingPolicy:
    name: str
    metric_type: str
    metric_target: float
    min_capacity: int
    max_capacity: int
    start: float | None = None
    end: float | None = None

    def active(self, now: float) -> bool:
        return (self.start is None or now >= self.start) and (self.end is None or now <= self.end)

    def desired(self, current: int, utilization: float | None) -> int:
        if utilization is None or self.metric_target <= 0:
            wanted = self.min_capacity
        else:
            wanted = math.ceil(max(current, 1) * utilization / self.metric_target)
        return max(self.min_capacity, min(self.max_capacity, wanted))


@dataclass(frozen=True)
class ProvisionEntry:
    service: str
    qualifier: str
    function: str
    target: int
    scheduled: tuple[ScheduledAction, ...] = ()
    tracking: tuple[TrackingPolicy, ...] = ()
    always_allocate_cpu: bool = True

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service, self.qualifier, self.function)

    @classmethod
    def from_api(cls, service: str, qualifier: str, function: str, doc: Mapping[str, Any]) -> ProvisionEntry:
        target = lookup(doc, "target", "defaultTarget", default=0) or 0
        actions = []
        for raw in lookup(doc, "scheduledActions", default=[]) or []:
            actions.append(
                ScheduledAction(
                    name=str(lookup(raw, "name", default="")),
                    target=int(lookup(raw, "target", default=0) or 0),
                    expression=str(lookup(raw, "scheduleExpression", default="")),
                    start=parse_time(lookup(raw, "startTime")),
                    end=parse_time(lookup(raw, "endTime")),
                )
            )
        policies = []
        for raw in lookup(doc, "targetTrackingPolicies", default=[]) or []:
            policies.append(
                TrackingPolicy(
                    name=str(lookup(raw, "name", default="")),
                    metric_type=str(lookup(raw, "metricType", default=METRIC_TYPES[0])),
                    metric_target=float(lookup(raw, "metricTarget", default=0.5) or 0.5),
                    min_capacity=int(lookup(raw, "minCapacity", default=0) or 0),
                    max_capacity=int(lookup(raw, "maxCapacity", default=0) or 0),
                    start=parse_time(lookup(raw, "startTime")),
                    end=parse_time(lookup(raw, "endTime")),
                )
            )
        allocate = lookup(doc, "alwaysAllocateCPU", default=True)
        return cls(
            service, qualifier, function, int(target), tuple(actions), tuple(policies), allocate is not False
        )


def effective_target(
    entry: ProvisionEntry, now: float, current: int, utilization: Callable[[str], float | None]
) -> int:
    target = entry.target
    fired = [(t, a) for a in entry.scheduled if (t := a.last_fire(now)) is not None]
    if fired:
        target = max(fired, key=lambda pair: pair[0])[1].target
    active = [p for p in entry.tracking if p.active(now)]
    if active:
        target = max(p.desired(current, utilization(p.metric_type)) for p in active)
    return max(0, target)


def validate_provision_config(doc: Mapping[str, Any]) -> list[str]:
    errors = []
    target = lookup(doc, "target", "defaultTarget")
    if target is not None and (
        not isinstance(target, int) or isinstance(target, bool) or not 0 <= target <= 10000
    ):
        errors.append(f"target must be an integer 0-10000, got {target!r}")
    for i, raw in enumerate(lookup(doc, "scheduledActions", default=[]) or []):
        expression = str(lookup(raw, "scheduleExpression", default=""))
        if expression.startswith("at("):
            if parse_time(expression[3:-1]) is None:
                errors.append(
                    f"scheduledActions[{i}].scheduleExpression {expression!r}: expected at(<ISO time>)"
                )
        elif _cron_of(expression) is None:
            errors.append(
                f"scheduledActions[{i}].scheduleExpression {expression!r}: expected "
                "cron(<6-field cron>) or at(<ISO time>)"
            )
    for i, raw in enumerate(lookup(doc, "targetTrackingPolicies", default=[]) or []):
        low, high = lookup(raw, "minCapacity", default=0), lookup(raw, "maxCapacity", default=0)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            errors.append(f"targetTrackingPolicies[{i}]: minCapacity {low} exceeds maxCapacity {high}")
        metric = lookup(raw, "metricType")
        if metric is not None and metric not in METRIC_TYPES:
            errors.append(
                f"targetTrackingPolicies[{i}].metricType {metric!r} is not one of {', '.join(METRIC_TYPES)}"
            )
    return errors


def parse_time(value: Any) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _cron_of(text: str) -> Schedule | None:
    if text.startswith("cron(") and text.endswith(")"):
        text = text[5:-1]
    try:
        return parse_schedule(text)
    except CronError:
        return None


Apply = Callable[[ProvisionEntry, int], Awaitable[None]]


@dataclass
class ProvisionStatus:
    target: int = 0
    applied: int | None = None
    error: str = ""
    entry: ProvisionEntry | None = None
    history: list[tuple[float, int]] = field(default_factory=list)


class ProvisionManager:
    def __init__(
        self,
        entries: Callable[[], list[ProvisionEntry]],
        apply: Apply,
        *,
        clock: Clock = DEFAULT_CLOCK,
        utilization: Callable[[ProvisionEntry, str], float | None] | None = None,
        interval_s: float = 10.0,
    ) -> None:
        self._entries = entries
        self._apply = apply
        self.clock = clock
        self._utilization = utilization or (lambda entry, metric: None)
        self._interval_s = interval_s
        self.status: dict[tuple[str, str, str], ProvisionStatus] = {}
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="provisioning")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def notify_changed(self) -> None:
        self._changed.set()

    async def _run(self) -> None:
        while True:
            self._changed.clear()
            try:
                await self.reconcile()
            except Exception:
                log.exception("provisioning: reconcile failed")
            await wait_event(self.clock, self._changed, self._interval_s)

    async def reconcile(self) -> None:
        now = self.clock.time()
        seen = set()
        for entry in self._entries():
            seen.add(entry.key)
            status = self.status.setdefault(entry.key, ProvisionStatus())
            status.entry = entry
            current = status.applied or 0
            target = effective_target(entry, now, current, functools.partial(self._utilization, entry))
            status.target = target
            if target == status.applied:
                continue
            try:
                await self._apply(entry, target)
            except Exception as exc:
                status.error = str(exc) or type(exc).__name__
                log.warning("provisioning %s to %d failed: %s", "/".join(entry.key), target, status.error)
                continue
            status.applied, status.error = target, ""
            status.history.append((now, target))
            del status.history[:-100]
        for key in list(self.status):
            if key in seen:
                continue
            gone = self.status[key]
            if gone.applied and gone.entry is not None:  # config deleted: release the instances
                try:
                    await self._apply(gone.entry, 0)
                except Exception as exc:
                    log.warning("releasing provisioned instances of %s failed: %s", "/".join(key), exc)
            del self.status[key]
