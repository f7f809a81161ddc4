"""The scheduler's bookkeeping of instances: one :class:`ManagedInstance` per instance and one
:class:`WarmInstancePool` per function version (service, function, version, code checksum).

Why apart from the scheduler: these are plain records and the choice of which warm instance takes
the next request; the policy that starts, limits and stops instances is
:mod:`fcbackend.scheduler.scheduler`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from fcbackend.instances.driver import Instance
from fcbackend.models import FunctionSpec, InvocationResult
from fcbackend.scheduler.affinity import SessionTable


@dataclass(eq=False)
class ManagedInstance:
    """The scheduler's view of one instance (starting, ready, or on its way out)."""

    id: str
    spec: FunctionSpec
    driver_name: str
    created: float
    last_used: float
    state: str = "starting"  # starting | ready | stopping
    in_flight: int = 0
    provisioned: bool = False
    draining: bool = False
    instance: Instance | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    start_error: InvocationResult | None = None
    init_ms: float = 0.0
    started_wall: float = field(default_factory=time.time)
    invoke_head: bytes | None = None  # the encoded constant x-fc-* headers of /invoke (protocol.static_head)

    @property
    def concurrency(self) -> int:
        return max(1, min(200, int(self.spec.instance_concurrency or 1)))

    def accepts(self) -> bool:
        if self.state not in ("starting", "ready") or self.draining:
            return False
        if self.instance is not None and not getattr(self.instance, "healthy", True):
            return False
        return self.in_flight < self.concurrency


@dataclass
class WarmInstancePool:
    """One function version's warm instances, and the callers waiting for one of them."""

    key: tuple[str, str, str, str]
    instances: list[ManagedInstance] = field(default_factory=list)
    waiters: int = 0
    provisioned_target: int = 0
    latest_spec: FunctionSpec | None = None
    sessions: SessionTable[ManagedInstance] = field(default_factory=SessionTable)

    def pick_for_session(
        self, session_id: str, spec: FunctionSpec, now: float
    ) -> tuple[ManagedInstance | None, bool]:
        """Session affinity's choice (fcbackend.scheduler.affinity): the session's own instance
        while it lives (``None`` when that one is busy: the caller waits for it), else an instance
        below its session limit; the flag says whether a new instance may be started instead."""
        bound = self.sessions.instance_for(session_id, now, spec.session_ttl_s, spec.session_idle_s)
        if bound is not None and bound.state in ("starting", "ready") and not bound.draining:
            return (bound if bound.accepts() else None), False
        self.sessions.forget(session_id)
        best: ManagedInstance | None = None
        for inst in self.instances:
            if not inst.accepts() or self.sessions.count(inst) >= spec.sessions_per_instance:
                continue
            rank = (inst.state == "ready", inst.in_flight)
            if best is None or rank > (best.state == "ready", best.in_flight):
                best = inst
        return best, True

    def pick(self) -> ManagedInstance | None:
        best: ManagedInstance | None = None
        for inst in self.instances:
            if not inst.accepts():
                continue
            # Prefer ready over starting, then the busiest (pack requests so idle ones can expire).
            rank = (inst.state == "ready", inst.in_flight)
            if best is None or rank > (best.state == "ready", best.in_flight):
                best = inst
        return best
