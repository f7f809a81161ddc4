"""The node agent: the existing instance drivers, run on one node of the cluster.

Why: a cluster node must start instances exactly as one machine does (bubblewrap + cgroups, plain
processes, Docker, GPU passthrough) and keep its own pool of pre-started generic sandboxes, so
that a cold start on the cluster costs what it costs on one machine plus one control call. The
agent is a plain object: :mod:`fcbackend.cluster.ray_plane` hosts it in a Ray actor pinned to
its node, and nothing here knows Ray.

It admits instances against its node's resources (:class:`~fcbackend.cluster.demand.Demand`):
every API process asks the same agent, so the node is never over-committed however many API
processes share the cluster. Each instance gets a relay port on the node's address
(:mod:`fcbackend.cluster.relay`): invocations go there directly, never through the agent's
methods — except those of an instance with no socket of its own (a run-to-completion container,
a container per request), which the agent serves itself. Instances are tagged with their owner
(an API process's stable name), so a restarted API process can stop what its previous run left
behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import io
import logging
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fcbackend.cluster.demand import Capacity, Demand
from fcbackend.cluster.node_network import GatewayOffer, NodeNetwork
from fcbackend.cluster.relay import InstanceRelay
from fcbackend.gpu.devices import GpuDevice
from fcbackend.gpu.placement import GpuAllocator
from fcbackend.instances.docker.instances import DockerInstance
from fcbackend.instances.driver import Instance, InstanceCrashed, InstanceDriver
from fcbackend.instances.network import with_network_environment
from fcbackend.instances.worker import LocalInstance
from fcbackend.models import FunctionSpec, InstanceRequest, InstanceResponse, InstanceStartError
from fcbackend.scheduler.drivers import build_default_drivers

log = logging.getLogger(__name__)

# GPUs a node declares instead of the ones its driver finds: "COUNT:MEMORY_MB" (e.g. "2:16384")
# in the environment of `ray start`. For test clusters with fake GPUs (Ray's --num-gpus without
# cards) and cards NVML cannot see; a node without it uses the GPUs it discovers.
DECLARED_GPUS_VARIABLE = "ROS_NODE_GPUS"
# Where the node's agent keeps its state (sandbox slots, code cache, the gateway's files, what its
# containers bind), in the environment of `ray start`; it wins over AgentSettings.state_root. For a
# node whose Docker engine runs outside the node's own file system (a pod given the host's Docker
# socket): a directory mounted at the same path on the host, so the containers' binds name it.
STATE_DIR_VARIABLE = "ROS_NODE_STATE_DIR"


@dataclass(frozen=True)
class AgentSettings:
    """How every agent of one cluster runs its drivers (the API process that creates it hands them
    over). No driver among them: an agent serves every API process of the cluster, whatever each
    one's ``--driver``, so a start names its driver and one that names none gets the node's own
    default (sandbox where bubblewrap works, else process), never the creating process's choice."""

    pool_size: int = 2
    prewarm_runtimes: tuple[str, ...] = ("python3",)
    # Where a node keeps its slots and cgroups; None: a directory under the node's temp dir.
    state_root: str | None = None


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    address: str
    total: Capacity


@dataclass(frozen=True)
class StartReply:
    """What a start returns to the API process: where the instance listens, or why it did not
    start (``no_capacity``: the node is full now; ``error``: it cannot start at all)."""

    instance_id: str
    node_id: str
    host: str = ""
    port: int = 0
    driver: str = ""
    keep_warm: bool = False
    no_capacity: bool = False
    error: str = ""
    error_type: str = ""
    free: Capacity = field(default_factory=Capacity)
    # How long the node took (its driver's start and the relay), for the API process's figures.
    took_ms: float = 0.0
    pooled: bool = False
    # Code or layer directories (as the API process names them) this node does not have yet:
    # the API process sends them (put_code) and asks again.
    missing_code: tuple[str, ...] = ()
    # The node does not have this API process's gateway offer (put_gateway) yet.
    missing_gateway: bool = False
    # No port: the instance has no socket of its own (a run-to-completion container, which runs
    # one container per request), so its requests go through the agent (NodeAgent.request).
    through_agent: bool = False
    # The node has no such driver (no Docker engine there, no bubblewrap): ask another node.
    lacks_driver: bool = False


@dataclass(frozen=True)
class CrashReport:
    """Why an instance's connection broke: ``alive`` False when it exited (``reason``, OOM), and
    what it wrote since its last call (``logs``), as a local crash reports it."""

    alive: bool
    reason: str = ""
    oom: bool = False
    exit_code: int | None = None
    logs: bytes = b""


@dataclass(frozen=True)
class CallReport:
    """What a local instance's driver reads after each request and a node instance's API process
    cannot: the memory high-water mark of the request (``X-Fc-Max-Memory-Usage``, from the
    instance's cgroup on its node) and what the instance wrote outside the responses (output
    between invocations, of background threads) since the last report."""

    memory_peak_bytes: int = 0
    logs: bytes = b""


@dataclass(frozen=True)
class AgentCallResult:
    """How a request the agent served itself ended: the instance's ``response``, or why there is
    none (``crash``: the instance failed it; ``timed_out``: no answer within the call's time)."""

    response: InstanceResponse | None = None
    crash: CrashReport | None = None
    timed_out: str = ""


@dataclass
class _Placed:
    instance: Instance
    relay: InstanceRelay | None
    demand: Demand
    owner: str


class NodeAgent:
    def __init__(self, node: NodeIdentity, settings: AgentSettings):
        self.node = node
        self.settings = settings
        root = Path(os.environ.get(STATE_DIR_VARIABLE) or settings.state_root or tempfile.gettempdir())
        self.state_dir = root / f"rosengine-node-{node.node_id[:12]}"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.code_cache = self.state_dir / "code"
        self.drivers, self.default_driver = build_default_drivers(
            self.state_dir,
            None,
            pool_size=settings.pool_size,
            gpu_allocator=_node_gpus(),
        )
        # functions reach their API process's *.aliyuncs.com gateway (fcbackend.cluster.node_network)
        self.network = NodeNetwork(self.state_dir / "gateway")
        for driver in self.drivers.values():
            driver.network = self.network
        self._placed: dict[str, _Placed] = {}
        self._starting: dict[str, Demand] = {}  # admitted, being started: their resources held
        self._lock = asyncio.Lock()
        self._started = False

    async def start(self) -> None:
        """Clean up what a previous agent of this node left, fill the sandbox pools."""
        if self._started:
            return
        self._started = True
        try:
            await self.network.start()
        except OSError as exc:
            log.warning("the gateway's ports on this node: %s", exc)
        for name, driver in self.drivers.items():
            try:
                await driver.reap_orphans()
            except Exception as exc:
                log.warning("driver %s: orphan cleanup failed: %s", name, exc)
        default = self.drivers[self.default_driver]
        for runtime in self.settings.prewarm_runtimes:
            with contextlib.suppress(Exception):
                await default.prewarm(runtime)

    def free(self) -> Capacity:
        free = self.node.total
        for placed in self._placed.values():
            free = free.minus(placed.demand)
        for demand in self._starting.values():
            free = free.minus(demand)
        return free

    def _driver(self, name: str | None) -> tuple[str, InstanceDriver]:
        chosen = name or self.default_driver
        driver = self.drivers.get(chosen)
        if driver is None:
            raise InstanceStartError(
                f"the node has no {chosen!r} driver (what it needs is missing there: bubblewrap, "
                "a Docker engine that answers)",
                "FunctionNotStarted",
            )
        return chosen, driver

    def _refusal(
        self, instance_id: str, exc: InstanceStartError, *, lacks_driver: bool = False
    ) -> StartReply:
        """A start this node refused, naming the node: what it lacks (an image, a driver's
        prerequisite) is that node's to fix."""
        return StartReply(
            instance_id,
            self.node.node_id,
            lacks_driver=lacks_driver,
            error=f"{exc.message} (on node {self.node.node_id[:12]} at {self.node.address})",
            error_type=exc.error_type,
            free=self.free(),
        )

    async def start_instance(
        self, spec: FunctionSpec, instance_id: str, driver: str | None, owner: str, gateway: str = ""
    ) -> StartReply:
        """Start ``instance_id``; ``gateway``: the digest of the owner's gateway offer (empty: the
        API process has no gateway)."""
        await self.start()
        began = time.perf_counter()
        if (driver or self.default_driver) not in self.drivers:  # this node cannot, another may
            try:
                self._driver(driver)
            except InstanceStartError as exc:
                return self._refusal(instance_id, exc, lacks_driver=True)
        missing = tuple(str(p) for p in _code_dirs(spec) if not self._code_path(p).is_dir())
        if missing:
            return StartReply(instance_id, self.node.node_id, missing_code=missing, free=self.free())
        if gateway:
            if not self.network.knows(owner, gateway):
                return StartReply(instance_id, self.node.node_id, missing_gateway=True, free=self.free())
            spec = with_network_environment(spec, self.network.proxy_environment(owner))
        spec = self._with_local_code(spec)
        demand = Demand.of(spec)
        async with self._lock:  # admission is one decision per node
            if not demand.fits(self.free(), self.node.total):
                return StartReply(instance_id, self.node.node_id, no_capacity=True, free=self.free())
            self._starting[instance_id] = demand
        try:
            name, chosen = self._driver(driver)
            pooled_before = getattr(chosen, "pooled_starts", 0)
            instance = await chosen.start(spec, instance_id)
            pooled = getattr(chosen, "pooled_starts", 0) > pooled_before
        except InstanceStartError as exc:
            self._starting.pop(instance_id, None)
            return self._refusal(instance_id, exc)
        except Exception as exc:
            self._starting.pop(instance_id, None)
            return StartReply(
                instance_id,
                self.node.node_id,
                error=f"the instance could not be started on node {self.node.node_id[:12]}: {exc}",
                error_type="FunctionNotStarted",
                free=self.free(),
            )
        except BaseException:
            self._starting.pop(instance_id, None)
            raise
        with contextlib.suppress(Exception):
            instance.reset_peak()  # the first request's peak is its own, not the start's
        # an instance with no socket of its own (a run-to-completion container) has no relay:
        # the agent serves its requests (:meth:`request`)
        client = instance.ca_client()
        relay = InstanceRelay(client) if client is not None else None
        port = 0
        try:
            if relay is not None:
                port = await relay.start(self.node.address)
        except BaseException:
            self._starting.pop(instance_id, None)
            await instance.stop(graceful=False)
            raise
        self._placed[instance_id] = _Placed(instance, relay, demand, owner)
        self._starting.pop(instance_id, None)
        return StartReply(
            instance_id,
            self.node.node_id,
            host=self.node.address,
            port=port,
            through_agent=relay is None,
            driver=name,
            keep_warm=instance.keep_warm,
            free=self.free(),
            took_ms=(time.perf_counter() - began) * 1000,
            pooled=pooled,
        )

    def _code_path(self, path: Path) -> Path:
        """Where this node has the directory the API process calls ``path``: the same path when
        the node shares that file system, else its copy in the node's code cache."""
        if path.is_dir():
            return path
        return self.code_cache / hashlib.sha256(str(path).encode()).hexdigest()[:32]

    def _with_local_code(self, spec: FunctionSpec) -> FunctionSpec:
        if spec.code_dir is None and not spec.layer_dirs:
            return spec
        return dataclasses.replace(
            spec,
            code_dir=self._code_path(spec.code_dir) if spec.code_dir is not None else None,
            layer_dirs=tuple(self._code_path(p) for p in spec.layer_dirs),
        )

    async def put_code(self, path: str, archive: bytes) -> None:
        """Keep the directory the API process calls ``path`` (a tar ``archive`` of it) in the
        node's code cache. Code directories are content-addressed on the API side, so a copy never
        goes stale; a partial copy is never visible (unpacked aside, then renamed)."""
        target = self._code_path(Path(path))
        if target.is_dir():
            return
        await asyncio.to_thread(_unpack, archive, target)

    async def put_gateway(self, owner: str, offer: GatewayOffer) -> None:
        """Where the gateway of API process ``owner`` answers this node's functions."""
        await self.network.offer(owner, offer)

    async def stop_instance(self, instance_id: str, graceful: bool = True) -> Capacity:
        placed = self._placed.pop(instance_id, None)
        if placed is not None:
            if placed.relay is not None:
                await placed.relay.close()
            try:
                await placed.instance.stop(graceful=graceful)
            except Exception as exc:
                log.warning("stopping instance %s failed: %s", instance_id, exc)
        return self.free()

    async def crash_report(self, instance_id: str) -> CrashReport:
        """Why the connection to an instance broke (asked by the API process after it did)."""
        placed = self._placed.get(instance_id)
        if placed is None:
            return CrashReport(alive=False, reason=f"instance {instance_id} is not running on this node")
        instance = placed.instance
        if isinstance(instance, LocalInstance):
            with contextlib.suppress(Exception):
                await instance.worker._wait_exit(2.0)
            if instance.alive():
                return CrashReport(alive=True)
            crash = instance.worker.crash_reason(instance.spec)
            return CrashReport(
                alive=False,
                reason=crash.reason,
                oom=crash.oom,
                exit_code=crash.exit_code,
                logs=_take_logs(instance),
            )
        if isinstance(instance, DockerInstance):
            exited = await instance.exit_report(2.0)
            if exited is None:
                return CrashReport(alive=True)
            return CrashReport(
                alive=False,
                reason=exited.reason,
                oom=exited.oom,
                exit_code=exited.exit_code,
                logs=_take_logs(instance),
            )
        if instance.alive():
            return CrashReport(alive=True)
        return CrashReport(alive=False, reason=f"instance {instance_id} exited", logs=_take_logs(instance))

    async def request(self, instance_id: str, req: InstanceRequest, timeout: float) -> AgentCallResult:
        """Serve one request of an instance with no port of its own (:attr:`StartReply.through_agent`).
        Such an instance starts a container per request, so the control call this costs is
        nothing beside it."""
        placed = self._placed.get(instance_id)
        if placed is None:
            gone = CrashReport(alive=False, reason=f"instance {instance_id} is not running on this node")
            return AgentCallResult(crash=gone)
        instance = placed.instance
        try:
            return AgentCallResult(response=await instance.request(req, timeout))
        except TimeoutError as exc:
            return AgentCallResult(timed_out=str(exc) or f"no response within {timeout:g}s")
        except InstanceCrashed as exc:
            crash = CrashReport(instance.alive(), exc.reason, exc.oom, exc.exit_code, _take_logs(instance))
            return AgentCallResult(crash=crash)

    def after_call(self, instance_id: str) -> CallReport:
        """The request's memory peak (then reset, so the next request's is its own) and the
        instance's output outside responses: asked by the API process after every request."""
        placed = self._placed.get(instance_id)
        if placed is None:
            return CallReport()
        instance = placed.instance
        try:
            peak = instance.memory_peak_bytes()
            instance.reset_peak()
        except Exception:
            peak = 0
        return CallReport(memory_peak_bytes=peak, logs=_take_logs(instance))

    def instances(self) -> list[dict[str, object]]:
        return [
            {"id": key, "owner": placed.owner, "alive": placed.instance.alive()}
            for key, placed in self._placed.items()
        ]

    async def release_owner(self, owner: str) -> int:
        """Stop every instance ``owner`` started (a restarted API process cleaning up)."""
        victims = [key for key, placed in self._placed.items() if placed.owner == owner]
        for key in victims:
            await self.stop_instance(key, graceful=False)
        return len(victims)

    def ping(self) -> str:
        return self.node.node_id

    async def close(self) -> None:
        for key in list(self._placed):
            await self.stop_instance(key, graceful=False)
        for driver in self.drivers.values():
            with contextlib.suppress(Exception):
                await driver.close()
        await self.network.close()


def _take_logs(instance: Instance) -> bytes:
    try:
        return instance.take_logs()
    except Exception:
        return b""


def _code_dirs(spec: FunctionSpec) -> list[Path]:
    return ([spec.code_dir] if spec.code_dir is not None else []) + list(spec.layer_dirs)


def _unpack(archive: bytes, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            tar.extractall(staging, filter="data")  # no absolute paths, links out, devices
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # another start unpacked it first: keep that one
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def pack_directory(path: Path) -> bytes:
    """A tar of ``path``'s contents, as :meth:`NodeAgent.put_code` takes it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as tar:
        tar.add(str(path), arcname=".")
    return buffer.getvalue()


def _node_gpus() -> GpuAllocator | None:
    """The GPUs this node declares in its environment (DECLARED_GPUS_VARIABLE), else None (the
    drivers discover the node's GPUs on first use)."""
    declared = os.environ.get(DECLARED_GPUS_VARIABLE, "").strip()
    if not declared:
        return None
    count, _, memory = declared.partition(":")
    try:
        cards = int(count)
        memory_mb = int(memory or "16384")
    except ValueError:
        log.warning(
            "%s=%r is not COUNT:MEMORY_MB; using the GPUs found on this node",
            DECLARED_GPUS_VARIABLE,
            declared,
        )
        return None
    devices = [
        GpuDevice(index=i, uuid=f"GPU-declared-{i}", name="declared GPU", memory_total_mb=memory_mb)
        for i in range(cards)
    ]
    return GpuAllocator(devices)
