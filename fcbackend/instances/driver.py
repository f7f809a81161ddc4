"""The contract between the scheduler (warm pool) and the instance drivers.

Why: FC runs every function in an isolated instance. We have several ways to make one — a
bubblewrap sandbox with cgroup limits (``sandbox``), a plain child process (``process``, for
machines without user namespaces) and a Docker container (``docker``, custom containers and GPU).
The scheduler does not care which: it asks a driver to :meth:`InstanceDriver.start` an instance for
a :class:`~fcbackend.models.FunctionSpec`, then sends it requests.

Every instance speaks the FC custom-runtime protocol
(docs/reference/fc-runtime.md#custom-runtimes-and-containers: ``POST /invoke``, ``POST /initialize``, ``GET
/pre-stop``, the ``x-fc-*`` headers): built-in runtimes are small bootstrap programs that speak it too, so
there is one way to talk to any instance. How bytes get there (a Unix socket for sandboxes, a published TCP
port for containers) is the driver's business.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fcbackend.instances.network import InstanceNetwork
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceResponse

if TYPE_CHECKING:  # ca_client imports this module (InstanceBadResponse)
    from fcbackend.instances.ca_client import CaClient


class InstanceCrashed(Exception):
    """The instance died while serving (OOM kill, segfault, exit). ``reason`` says why."""

    def __init__(self, reason: str, *, oom: bool = False, exit_code: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.oom = oom
        self.exit_code = exit_code


class InstanceLost(InstanceCrashed):
    """The machine the instance ran on is gone (a cluster node that died or was cut off): the
    function did not fail, its instance vanished with the node. ``node`` names it. The scheduler
    answers a platform error the async queue retries on another node."""

    def __init__(self, reason: str, *, node: str):
        super().__init__(reason)
        self.node = node


class InstanceBadResponse(Exception):
    """The instance answered something FC does not pass on (a response body over FC's limit, a
    header block too large); the instance itself is fine and keeps serving. Shown to the caller
    as 502 ``BadResponse``, the code FC answers with when a function's response breaks its limits
    (https://www.alibabacloud.com/help/en/functioncompute/web-functions)."""


@dataclass
class InstanceStats:
    memory_peak_bytes: int = 0
    memory_current_bytes: int = 0
    cpu_seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


class Instance(ABC):
    """One running instance of one function version. Safe to call concurrently up to the
    function's instanceConcurrency (the scheduler enforces the limit)."""

    id: str
    driver_name: str
    # Hint for the scheduler: expensive to start (GPU, CUDA initialisation), so keep it when idle
    # and prefer it for provisioned instances; never recycle it just because a call finished.
    keep_warm: bool = False
    # The cluster node it runs on (fcbackend.cluster); empty for an instance on this machine.
    node: str = ""

    @property
    def healthy(self) -> bool:
        """False once the instance's health check failed ``FailureThreshold`` times in a row
        (fcbackend.instances.health): the scheduler must send it no new requests and replace it."""
        return True

    @abstractmethod
    async def request(self, req: InstanceRequest, timeout: float) -> InstanceResponse:
        """Send one protocol request (invoke, http-invoke, initialize, pre-stop).

        Raise :class:`TimeoutError` when ``timeout`` seconds pass (the scheduler then kills the
        instance), :class:`InstanceCrashed` if it dies meanwhile.
        """

    @abstractmethod
    async def stop(self, graceful: bool = True) -> None:
        """Stop and clean up everything (process tree, cgroup, socket, container)."""

    @abstractmethod
    def alive(self) -> bool: ...

    def stats(self) -> InstanceStats:
        return InstanceStats()

    def memory_peak_bytes(self) -> int:
        """The memory high-water mark since the last :meth:`reset_peak`. Read after every
        invocation (X-Fc-Max-Memory-Usage), so drivers override it to read only that figure."""
        return self.stats().memory_peak_bytes

    def reset_peak(self) -> None:
        """Reset the memory high-water mark so the next call's peak is its own."""

    async def freeze(self) -> bool:
        """Pause the instance (cgroup freezer / SIGSTOP / docker pause); False if unsupported."""
        return False

    async def thaw(self) -> None:
        return None

    def take_logs(self) -> bytes:
        """Bytes the instance wrote to stdout/stderr since the last call (for logs and Tail)."""
        return b""

    def ca_client(self) -> CaClient | None:
        """How to reach the instance's CA from this host; None when it cannot be reached except
        through :meth:`request`. A cluster node agent relays other hosts' connections with it."""
        return None


class InstanceDriver(ABC):
    name: str
    # How this driver's functions reach the *.aliyuncs.com gateway (fcbackend.instances.network);
    # None: they are given nothing (a backend without the gateway).
    network: InstanceNetwork | None = None

    @abstractmethod
    def available(self) -> tuple[bool, str]:
        """(usable here?, why not / a note such as 'functions are not isolated')."""

    @abstractmethod
    async def start(self, spec: FunctionSpec, instance_id: str) -> Instance:
        """Start an instance and return once it is ready for requests (CA listening)."""

    async def prewarm(self, runtime: str) -> None:
        """Optionally prepare generic pre-started sandboxes for a runtime (zygote pool)."""

    async def reap_orphans(self) -> int:
        """Clean up instances a previous backend process left behind; returns how many."""
        return 0

    def bind_retire(self, retire: Callable[[str], Awaitable[bool]]) -> None:
        """Take the scheduler's way to stop one of this driver's idle instances as it stops
        idle ones (preStop first): ``retire(instance_id)``, False when the instance is busy or
        gone. A driver that must free room itself (a full cluster node) stops instances through
        it; the others ignore it."""

    async def close(self) -> None:
        return None
