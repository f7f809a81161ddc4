"""What the rest of the backend may ask of its scheduler: :class:`SchedulerPort`.

Why a Protocol and not the :class:`~fcbackend.scheduler.scheduler.Scheduler` class: the API,
the services and the twins are tested against stand-ins (an echoing scheduler that starts no
instance), and each of those must offer the whole of this contract rather than the API probing
for methods it may lack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fcbackend.instances.driver import InstanceDriver
from fcbackend.models import FunctionSpec, InvocationRequest, InvocationResult
from fcbackend.scheduler.warm_instances import ManagedInstance

Listener = Callable[[FunctionSpec, InvocationResult], None]
# Lifecycle-hook output (initializer, preStop, preFreeze) of an instance, with the function it
# belongs to: it reaches the function's log like invocation output does.
LogListener = Callable[[FunctionSpec, bytes], None]


class SchedulerPort(Protocol):
    """Places invocations on warm instances; the backend's one way to run functions."""

    # The instance drivers by name (sandbox, process, docker): the backend gives them their
    # network and wraps them for idle mode once, while it is composed.
    drivers: dict[str, InstanceDriver]
    default_driver: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def invoke(self, spec: FunctionSpec, req: InvocationRequest) -> InvocationResult: ...

    async def evict(self, service: str, function: str | None = None) -> None:
        """Stop the instances of a service (or one function) that changed."""

    async def set_provisioned(self, spec: FunctionSpec, target: int) -> None:
        """Keep ``target`` instances of ``spec`` started ahead of invocations."""

    def set_max_instances(self, service: str, function: str, maximum: int | None) -> None:
        """Cap a function's instances (None: no cap)."""

    async def kill_request(self, request_id: str) -> bool | None:
        """Stop the instance serving ``request_id``; False if none serves it (yet); None from a
        scheduler that cannot stop one request's instance (the async queue then cancels the
        attempt instead)."""

    def instances(self) -> list[dict[str, Any]]:
        """Every instance, as ``ros fc instances`` lists it."""

    def running_instance(self, instance_id: str) -> ManagedInstance | None:
        """The instance ``instance_id`` while it is started and ready (instance exec)."""

    def add_listener(self, fn: Listener) -> None: ...

    def add_log_listener(self, fn: LogListener) -> None: ...

    def now(self) -> float:
        """The scheduler's clock (idle timeouts of interactive sessions follow it)."""
