"""Idle mode: provisioned instances that are not serving are frozen, and thawed on demand.

docs/reference/fc-api.md#provisioned-and-on-demand-instances: with ``alwaysAllocateCPU: false`` FC bills idle
provisioned instances at idle rates — they hold memory but no CPU. Locally we do the same for real: an
instance of such a function that has had no request in flight for ``grace_s`` is frozen (the driver's
``Instance.freeze()``: cgroup freezer, SIGSTOP or ``docker pause``) after its PreFreeze hook runs, and the
next request thaws it first. Which functions are in idle mode is decided by :class:`IdlePolicy` (the
provisioning wiring marks ``(service, function)`` pairs).

Why a driver wrapper: the scheduler owns instances and knows nothing about billing modes; wrapping
each driver (``FreezingDriver(inner, policy)``) adds idle mode to any driver without touching the
scheduler — every request goes through :meth:`FreezableInstance.request`, which is the one place
that can thaw before use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from typing import Any

from fcbackend.clock import DEFAULT_CLOCK, Clock
from fcbackend.instances.driver import Instance, InstanceDriver, InstanceStats
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceResponse
from fcbackend.scheduler import protocol

log = logging.getLogger(__name__)


class IdlePolicy:
    def __init__(self, grace_s: float = 1.0, *, freeze_everything: bool = False) -> None:
        self.grace_s = grace_s
        self.freeze_everything = freeze_everything
        self._idle: set[tuple[str, str]] = set()

    def set_idle_mode(self, service: str, function: str, enabled: bool) -> None:
        (self._idle.add if enabled else self._idle.discard)((service, function))

    def applies_to(self, spec: FunctionSpec) -> bool:
        return self.freeze_everything or (spec.service, spec.function) in self._idle


class FreezableInstance(Instance):
    def __init__(self, inner: Instance, spec: FunctionSpec, policy: IdlePolicy, clock: Clock) -> None:
        self.inner = inner
        self.id = inner.id
        self.driver_name = inner.driver_name
        self.spec = spec
        self._policy = policy
        self._clock = clock
        self._lock = asyncio.Lock()
        self._in_flight = 0
        self._freezer: asyncio.Task[None] | None = None
        self.frozen = False
        self.freezes = 0
        self.thaws = 0
        # Where the PreFreeze hook's output goes (the scheduler points it at the function log).
        self.on_hook_log: Callable[[bytes], None] | None = None
        self._pre_freeze_calls = 0

    def __getattr__(self, name: str) -> Any:  # gpu_assignment, health, pid, ... of the wrapped instance
        return getattr(self.inner, name)

    # ``Instance`` defines these two, so ``__getattr__`` never sees them: forward them by hand, or a
    # wrapped instance that failed its health check would look healthy (and keep being served).
    @property
    def healthy(self) -> bool:
        return bool(self.inner.healthy)

    @property
    def keep_warm(self) -> bool:  # type: ignore[override]
        return bool(self.inner.keep_warm)

    @property
    def node(self) -> str:  # type: ignore[override]
        return self.inner.node

    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        async with self._lock:
            self._cancel_freezer()
            if self.frozen:
                await self.inner.thaw()
                self.frozen = False
                self.thaws += 1
            self._in_flight += 1
        try:
            return await self.inner.request(req, timeout)
        finally:
            self._in_flight -= 1
            if (
                self._in_flight == 0
                and req.control_path != "/pre-stop"
                and self._policy.applies_to(self.spec)
            ):
                self._freezer = asyncio.ensure_future(
                    self._freeze_when_idle(self._clock.time() + self._policy.grace_s)
                )

    async def freeze_now(self) -> bool:
        """Freeze at once if idle (what the grace timer does); True if the instance is frozen."""
        async with self._lock:
            if self._in_flight or self.frozen:
                return self.frozen
            if self.spec.pre_freeze_handler:
                await self._pre_freeze()
            self.frozen = await self.inner.freeze()
            if self.frozen:
                self.freezes += 1
            return self.frozen

    async def _pre_freeze(self) -> None:
        """Run the PreFreeze hook (limit 90 s, docs/reference/fc-runtime.md#lifecycle-hooks) with the headers
        of every hook request (a request id and credentials for its ``context``), and hand its "FC PreFreeze
        Start/End" lines and output to :attr:`on_hook_log`. A failing hook must not keep the instance burning
        CPU: it is logged and the instance is frozen anyway."""
        self._pre_freeze_calls += 1
        request = protocol.hook_request(
            self.spec, f"prefreeze-{self.id}-{self._pre_freeze_calls}", "/pre-freeze", self.id
        )
        output = b""
        try:
            response = await self.inner.request(request, timeout=min(90.0, self.spec.pre_stop_timeout_s))
            output = protocol.response_log(response)
        except Exception as exc:
            log.warning("PreFreeze hook of instance %s failed: %s", self.id, exc)
            output = f"preFreeze handler of instance {self.id} did not complete: {exc}\n".encode()
        with contextlib.suppress(Exception):
            output = self.inner.take_logs() + output
        if output and self.on_hook_log is not None:
            try:
                self.on_hook_log(output)
            except Exception as exc:  # a log sink never blocks a freeze
                log.warning("PreFreeze log of instance %s was lost: %s", self.id, exc)

    def schedule_freeze(self) -> None:
        """Freeze after the grace period unless a request comes first (idle-mode sweep)."""
        if self.frozen or self._in_flight or (self._freezer is not None and not self._freezer.done()):
            return
        if self._policy.applies_to(self.spec) and self.inner.alive():
            self._freezer = asyncio.ensure_future(
                self._freeze_when_idle(self._clock.time() + self._policy.grace_s)
            )

    async def _freeze_when_idle(self, when: float) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._clock.sleep_until(when)
            await self.freeze_now()

    def _cancel_freezer(self) -> None:
        if self._freezer is not None and not self._freezer.done():
            self._freezer.cancel()
        self._freezer = None

    async def stop(self, graceful: bool = True) -> None:
        self._cancel_freezer()
        if self.frozen:
            with contextlib.suppress(Exception):
                await self.inner.thaw()
            self.frozen = False
        await self.inner.stop(graceful)

    def alive(self) -> bool:
        return self.inner.alive()

    def stats(self) -> InstanceStats:
        stats = self.inner.stats()
        stats.extra = {**stats.extra, "frozen": self.frozen, "freezes": self.freezes, "thaws": self.thaws}
        return stats

    def memory_peak_bytes(self) -> int:
        return self.inner.memory_peak_bytes()

    def reset_peak(self) -> None:
        self.inner.reset_peak()

    async def freeze(self) -> bool:
        return await self.freeze_now()

    async def thaw(self) -> None:
        async with self._lock:
            if self.frozen:
                await self.inner.thaw()
                self.frozen = False
                self.thaws += 1

    def take_logs(self) -> bytes:
        return self.inner.take_logs()


class FreezingDriver(InstanceDriver):
    def __init__(self, inner: InstanceDriver, policy: IdlePolicy, *, clock: Clock = DEFAULT_CLOCK) -> None:
        self.inner = inner
        self.name = inner.name
        self.policy = policy
        self._clock = clock
        self.live: weakref.WeakSet[FreezableInstance] = weakref.WeakSet()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def available(self) -> tuple[bool, str]:
        return self.inner.available()

    async def start(self, spec: FunctionSpec, instance_id: str) -> Instance:
        instance = FreezableInstance(
            await self.inner.start(spec, instance_id), spec, self.policy, self._clock
        )
        self.live.add(instance)
        return instance

    def sweep(self) -> int:
        """Schedule a freeze for every idle instance now in idle mode (e.g. provisioned instances
        that have not served yet, or after idle mode was switched on); returns how many."""
        count = 0
        for instance in list(self.live):
            if self.policy.applies_to(instance.spec) and not instance.frozen:
                instance.schedule_freeze()
                count += 1
        return count

    async def prewarm(self, runtime: str) -> None:
        await self.inner.prewarm(runtime)

    async def reap_orphans(self) -> int:
        return await self.inner.reap_orphans()

    async def close(self) -> None:
        await self.inner.close()
